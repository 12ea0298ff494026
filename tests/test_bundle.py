"""Bundle reading (lenient about what is missing, strict about malformed JSON) and private, atomic writing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.errors import InputError


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_empty_directory_is_an_empty_bundle(tmp_path: Path) -> None:
    bundle = bundle_io.read(tmp_path)
    assert bundle.cronjob is None and bundle.pods == [] and bundle.logs == []


def test_raw_kubectl_dumps_are_read_as_is(tmp_path: Path) -> None:
    write(
        tmp_path / "pods.json",
        {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "a"}}]},
    )
    write(tmp_path / "events.json", [{"kind": "Event", "reason": "BackOff"}])
    write(tmp_path / "job.json", {"kind": "Job", "metadata": {"name": "j"}})
    (tmp_path / "logs" / "a").mkdir(parents=True)
    (tmp_path / "logs" / "a" / "backup.log").write_text(
        "2026-11-25T00:00:01.123456789Z + apk add --no-cache curl\nplain line\n"
    )
    (tmp_path / "logs" / "a" / "backup.previous.log").write_text("old\n")
    (tmp_path / "logs" / "loose.log").write_text("x\n")
    bundle = bundle_io.read(tmp_path)
    assert [p["metadata"]["name"] for p in bundle.pods] == ["a"]
    assert bundle.events[0]["reason"] == "BackOff"
    assert bundle.job == {"kind": "Job", "metadata": {"name": "j"}}
    current = bundle.log("a", "backup")
    assert current is not None
    lines = list(current.lines())
    assert lines[0].number == 1 and lines[0].timestamp == "2026-11-25T00:00:01.123456789Z"
    assert lines[0].text == "+ apk add --no-cache curl"
    assert lines[1].timestamp is None and lines[1].text == "plain line"
    assert bundle.log("a", "backup", previous=True) is not None
    assert any(log.container == "loose" and log.pod == "" for log in bundle.logs)
    assert current.source == "logs/a/backup.log"


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text('{"items": [\n  {"a": 1},\n  oops]}')
    with pytest.raises(InputError, match=r"pods.json: malformed JSON at line 3 column 3"):
        bundle_io.read(tmp_path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("pods.json", "42", "expected a Pod object or a list"),
        ("pods.json", '[1, 2]', "found a int"),
        ("pods.json", '{"kind": "Job"}', "holds a Job, expected Pod"),
    ],
)
def test_wrong_shapes_are_input_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(InputError, match=message):
        bundle_io.read(tmp_path)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        bundle_io.read(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        bundle_io.read(tmp_path / "file")


def test_writes_are_private_and_atomic(tmp_path: Path) -> None:
    root = bundle_io.make_private_dir(tmp_path / "b")
    path = bundle_io.write_json(root, "job.json", {"kind": "Job"})
    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with bundle_io.open_log(root, "p", "c") as handle:
        handle.write("line\n")
    log = bundle_io.log_path(root, "p", "c")
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(log.parent).st_mode) == 0o700
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, mocker) -> None:  # type: ignore[no-untyped-def]
    root = bundle_io.make_private_dir(tmp_path / "b")
    bundle_io.write_json(root, "job.json", {"v": 1})
    mocker.patch("cronjob_doctor.bundle.os.fsync", side_effect=OSError(28, "No space left on device"))
    with pytest.raises(InputError, match="No space left on device"):
        bundle_io.write_json(root, "job.json", {"v": 2})
    assert json.loads((root / "job.json").read_text()) == {"v": 1}
    assert sorted(p.name for p in root.iterdir()) == ["job.json"]


def test_failed_job_sub_bundles_are_read(tmp_path: Path) -> None:
    write(tmp_path / "failed-jobs" / "x-1" / "job.json", {"kind": "Job", "metadata": {"name": "x-1"}})
    bundle = bundle_io.read(tmp_path)
    assert [b.job["metadata"]["name"] for b in bundle.failed_jobs if b.job] == ["x-1"]


def test_drop_torn_lines_cuts_only_an_unfinished_last_line(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    files = {
        "p1/whole.log": b"a\nb\n",
        "p1/torn.log": b"a\nb\n2026-11-25T00:00:01.000000000Z hal",
        "p2/only-half.log": b"2026-11-25T00:00:01.0000",
        "p2/empty.log": b"",
        "p2/long.log": b"first\n" + b"x" * 200_000,
        "p2/long-whole.log": b"y" * 200_000 + b"\n" + b"z" * 70_000,
    }
    for name, data in files.items():
        (logs / name).parent.mkdir(parents=True, exist_ok=True)
        (logs / name).write_bytes(data)
    torn = bundle_io.drop_torn_lines(tmp_path)
    assert sorted(p.relative_to(logs).as_posix() for p in torn) == [
        "p1/torn.log", "p2/long-whole.log", "p2/long.log", "p2/only-half.log"]
    assert (logs / "p1/whole.log").read_bytes() == b"a\nb\n"
    assert (logs / "p1/torn.log").read_bytes() == b"a\nb\n"
    assert (logs / "p2/only-half.log").read_bytes() == b""
    assert (logs / "p2/empty.log").read_bytes() == b""
    assert (logs / "p2/long.log").read_bytes() == b"first\n"
    assert (logs / "p2/long-whole.log").read_bytes() == b"y" * 200_000 + b"\n"
    assert bundle_io.drop_torn_lines(tmp_path) == []
