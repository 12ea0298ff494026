"""`kubectl cronjob-doctor ...`: kubectl finds the `kubectl-cronjob_doctor` entry point on PATH and runs it.

kubectl maps a `-` in the command to `_` in the file name, lists plugins it can run with `kubectl plugin list`
and passes the plugin's exit code through. These tests run the real kubectl with the virtualenv's bin directory
first on PATH, and are skipped when kubectl or the installed entry point is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cronjob_doctor import __version__

BIN = Path(sys.executable).parent
PLUGIN = "kubectl-cronjob_doctor"
BUNDLE = Path(__file__).resolve().parents[1] / "corpus" / "incident-128mi-oomkilled-during-kubectl-download"

pytestmark = [
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
    pytest.mark.skipif(
        shutil.which(PLUGIN, path=str(BIN)) is None,
        reason=f"{PLUGIN} is not installed next to {sys.executable} (pip install -e .)",
    ),
]


def _kubectl(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run kubectl with the plugin's directory first on PATH and an empty kubeconfig (no cluster needed)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["KUBECONFIG"] = str(tmp_path / "kubeconfig")  # a missing file: nothing here may touch a cluster
    env["NO_COLOR"] = "1"
    return subprocess.run(
        ["kubectl", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_plugin_list_shows_the_entry_point(tmp_path: Path) -> None:
    # Exit status is not checked: kubectl exits 1 when *other* plugins on PATH are shadowed or not executable.
    listed = _kubectl("plugin", "list", tmp_path=tmp_path)
    paths = [line.strip() for line in listed.stdout.splitlines()]
    assert str(BIN / PLUGIN) in paths, listed.stdout + listed.stderr


def test_kubectl_cronjob_doctor_version(tmp_path: Path) -> None:
    result = _kubectl("cronjob-doctor", "--version", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"cronjob-doctor {__version__}"


def test_help_names_the_kubectl_command(tmp_path: Path) -> None:
    result = _kubectl("cronjob-doctor", "--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: kubectl cronjob-doctor" in result.stdout


def test_exit_code_and_stdout_pass_through_kubectl(tmp_path: Path) -> None:
    result = _kubectl("cronjob-doctor", "analyze", str(BUNDLE), "-o", "json", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr  # a failure was diagnosed
    assert json.loads(result.stdout)["verdict"] == "oom"


def test_usage_errors_exit_2_through_kubectl(tmp_path: Path) -> None:
    result = _kubectl("cronjob-doctor", "analyze", str(tmp_path / "no-such-bundle"), tmp_path=tmp_path)
    assert result.returncode == 2
    assert "error:" in result.stderr


def test_common_flags_before_the_command_work_through_kubectl(tmp_path: Path) -> None:
    """`kubectl cronjob-doctor -n NS history NAME`: kubectl passes the flags on; the plugin takes them."""
    from cronjob_doctor_sandbox import Sandbox

    with Sandbox(seed="incident") as sandbox:
        config = sandbox.write_kubeconfig(tmp_path / "sandbox.kubeconfig")
        result = _kubectl("cronjob-doctor", "--kubeconfig", str(config), "-n", "tofu-state", "-o", "json",
                          "history", "tf-state-backup", tmp_path=tmp_path)
    assert result.returncode == 1, result.stderr  # its latest run failed
    assert json.loads(result.stdout)["cronjob"] == "tofu-state/tf-state-backup"
