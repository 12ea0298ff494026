"""The krew manifest in examples/krew/ pins the archive the build script makes, and its launcher dispatches.

The launcher is run with stand-in `uvx` / `pipx` scripts (first on PATH) that run the installed entry point,
so the test checks which tool it picks and which arguments it passes, without a download.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from cronjob_doctor import __version__

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "examples" / "krew" / "kubectl-cronjob_doctor"
MANIFEST = ROOT / "examples" / "krew" / "cronjob-doctor.yaml"
BIN = Path(sys.executable).parent


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_krew_archive", ROOT / "scripts" / "build_krew_archive.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_pins_the_archive_the_script_builds() -> None:
    build = _build_script()
    sha256 = hashlib.sha256(build.archive_bytes()).hexdigest()
    assert build.check(sha256, __version__) == []
    assert build.archive_bytes() == build.archive_bytes()  # reproducible, or the pin means nothing


def test_a_changed_launcher_makes_the_manifest_stale() -> None:
    build = _build_script()
    problems = build.check("0" * 64, __version__)
    assert any("stale" in p for p in problems)
    assert build.check(hashlib.sha256(build.archive_bytes()).hexdigest(), "9.9.9")


def test_manifest_shape_matches_what_krew_installs() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert manifest["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert manifest["kind"] == "Plugin"
    # krew links kubectl-<name with - as _>: the bin must be that name for `kubectl cronjob-doctor` to work.
    assert manifest["metadata"]["name"] == "cronjob-doctor"
    for platform in manifest["spec"]["platforms"]:
        assert platform["bin"] == "kubectl-cronjob_doctor"
        assert [f["from"] for f in platform["files"]] == [LAUNCHER.name]
    assert f"cronjob-doctor=={__version__}" in LAUNCHER.read_text().replace("${VERSION}", __version__)
    assert os.access(LAUNCHER, os.X_OK)


def _stand_in(directory: Path, name: str, skip: int) -> None:
    """A fake `uvx`/`pipx` that logs its arguments and runs the real entry point with the rest."""
    script = directory / name
    script.write_text(
        "#!/bin/sh\n"
        f'echo "{name} $*" >> "{directory}/calls"\n'
        f"shift {skip}\n"
        f'exec "{BIN}/$@"\n'
    )
    script.chmod(0o755)


def _launch(path: list[Path], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": os.pathsep.join([*(str(p) for p in path), "/usr/bin", "/bin"])}
    return subprocess.run([str(LAUNCHER), *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("tool", "skip", "expected"),
    [
        ("uvx", 3, f"uvx --quiet --from cronjob-doctor=={__version__} kubectl-cronjob_doctor --version"),
        ("pipx", 3, f"pipx run --spec cronjob-doctor=={__version__} kubectl-cronjob_doctor --version"),
    ],
)
def test_launcher_runs_the_pinned_release(tmp_path: Path, tool: str, skip: int, expected: str) -> None:
    _stand_in(tmp_path, tool, skip)
    result = _launch([tmp_path], "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cronjob-doctor {__version__}"
    assert (tmp_path / "calls").read_text().strip() == expected


def test_launcher_without_uvx_or_pipx_says_what_to_install(tmp_path: Path) -> None:
    if any((Path(d) / t).exists() for d in ("/usr/bin", "/bin") for t in ("uvx", "pipx")):
        pytest.skip("uvx or pipx is installed system-wide")
    result = _launch([], "--version")
    assert result.returncode == 2
    assert "needs uv (uvx) or pipx" in result.stderr
