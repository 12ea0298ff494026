"""Where diagnose writes its bundle: `--bundle DIR` never changes DIR's mode or owner (DIR may be /tmp), a
non-empty DIR is refused with exit 2 unless --bundle-subdir (or --force) asks for a fresh subdirectory of it, and the
default directory is each run's own, even for two runs in the same second."""

from __future__ import annotations

import os
import stat
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.cli import app
from cronjob_doctor.errors import InputError
from cronjob_doctor_sandbox import Sandbox

NOW = datetime(2026, 3, 21, 8, 0, 0, tzinfo=timezone.utc)
NAME = "cronjob-doctor-tofu-state-tf-state-backup-20260321T080000Z"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def root_for(requested: Path | None, *, subdir: bool = False, parent: Path | None = None) -> Path:
    if requested is None:
        return bundle_io.default_bundle_dir("tofu-state", "tf-state-backup", NOW, parent=parent)
    return bundle_io.bundle_root(requested, namespace="tofu-state", name="tf-state-backup", now=NOW, subdir=subdir)


def test_an_existing_empty_directory_is_used_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    before = shared.stat()
    assert root_for(shared) == shared
    bundle_io.write_json(shared, "cronjob.json", {})
    bundle_io.make_private_dir(shared / "logs" / "pod")
    after = shared.stat()
    assert (mode(shared), after.st_uid, after.st_gid) == (0o755, before.st_uid, before.st_gid)
    assert mode(shared / "logs") == mode(shared / "logs" / "pod") == 0o700
    assert mode(shared / "cronjob.json") == 0o600


def test_a_missing_directory_is_created_private(tmp_path: Path) -> None:
    created = root_for(tmp_path / "new" / "bundle")
    assert created.is_dir() and mode(created) == mode(created.parent) == 0o700


def test_a_non_empty_directory_is_refused_without_being_touched(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    os.chmod(tmp_path, 0o751)
    with pytest.raises(InputError, match="is not empty") as raised:
        root_for(tmp_path)
    assert "--bundle-subdir" in (raised.value.hint or "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"] and mode(tmp_path) == 0o751


def test_with_bundle_subdir_a_fresh_subdirectory_is_used(tmp_path: Path) -> None:
    (tmp_path / "earlier-bundle").mkdir()
    os.chmod(tmp_path, 0o755)
    first = root_for(tmp_path, subdir=True)
    second = root_for(tmp_path, subdir=True)
    assert (first.name, second.name) == (NAME, f"{NAME}-2")
    assert first.parent == second.parent == tmp_path and mode(first) == 0o700 and mode(tmp_path) == 0o755


def test_a_directory_like_tmp_is_left_as_it_is(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / ".X11-unix").mkdir()
    os.chmod(tmp, 0o1777)
    with pytest.raises(InputError, match="is not empty"):
        root_for(tmp)
    inside = root_for(tmp, subdir=True)
    assert inside.parent == tmp and mode(inside) == 0o700
    assert mode(tmp) == 0o1777


def test_a_directory_others_can_write_to_is_refused(tmp_path: Path) -> None:
    open_to_all = tmp_path / "open"
    open_to_all.mkdir()
    os.chmod(open_to_all, 0o777)  # no sticky bit: anyone may rename what we write and put a link there
    with pytest.raises(InputError, match="writable by other users"):
        root_for(open_to_all)
    assert mode(open_to_all) == 0o777


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="exists and is not a directory"):
        root_for(tmp_path / "f")


def test_default_directories_are_unique_even_in_the_same_second(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def one() -> None:
        start.wait()
        path = root_for(None, parent=tmp_path)
        with lock:
            made.append(path)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8
    assert sorted(p.name for p in made) == sorted([NAME, *(f"{NAME}-{n}" for n in range(2, 9))])
    assert all(mode(p) == 0o700 for p in made)


# -- through the CLI, against the sandbox -------------------------------------------------------------


def diagnose(kubeconfig: str, bundle: Path, *extra: str) -> Any:
    return CliRunner().invoke(app, ["diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig,
                                    "--bundle", str(bundle), "-q", "-o", "json", *extra])


def job_posts(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs")]


def test_diagnose_refuses_a_non_empty_bundle_directory_before_creating_anything(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    target = tmp_path / "evidence"
    target.mkdir()
    (target / "verdict.json").write_text('{"verdict": "oom"}')
    result = diagnose(kubeconfig, target)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: --bundle {target} is not empty")
    assert "--bundle-subdir" in result.stderr
    assert [p.name for p in target.iterdir()] == ["verdict.json"]
    assert job_posts(sandbox) == []


@pytest.mark.parametrize("flag", ["--bundle-subdir", "--force"])
def test_diagnose_with_bundle_subdir_or_force_writes_beside_what_is_there(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, flag: str
) -> None:
    target = tmp_path / "evidence"
    target.mkdir()
    os.chmod(target, 0o750)
    (target / "verdict.json").write_text('{"verdict": "oom"}')
    result = diagnose(kubeconfig, target, flag)
    assert result.exit_code == 1, result.output
    (fresh,) = [p for p in target.iterdir() if p.is_dir()]
    assert fresh.name.startswith("cronjob-doctor-tofu-state-tf-state-backup-")
    assert (fresh / "verdict.json").is_file() and mode(fresh) == 0o700
    assert (target / "verdict.json").read_text() == '{"verdict": "oom"}' and mode(target) == 0o750


def test_diagnose_into_an_existing_empty_directory_keeps_its_mode(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    target = tmp_path / "evidence"
    target.mkdir()
    os.chmod(target, 0o755)
    result = diagnose(kubeconfig, target)
    assert result.exit_code == 1, result.output
    assert (target / "verdict.json").is_file() and mode(target) == 0o755
