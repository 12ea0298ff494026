"""Ctrl-C and SIGTERM at each phase: before the create, while the Job runs, while the bundle is written. No
debug Job is left behind (unless --keep), the bundle is complete or marked partial (atomic writes: no
half-written file), the exit code is 130. Signals are simulated where they land (pytest-mock), then sent for
real to a `python -m cronjob_doctor` process."""

from __future__ import annotations

import _thread
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture
from typer.testing import CliRunner

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

from .conftest import assert_bundle_readable, debug_jobs


def diagnose_cli(kubeconfig: str, bundle: Path, *extra: str, target: str = "tofu-state/tf-state-backup") -> Any:
    return CliRunner().invoke(
        app, ["diagnose", target, "--kubeconfig", kubeconfig, "--bundle", str(bundle), *extra],
        catch_exceptions=False,
    )


def job_posts(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs")]


def partial(bundle: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((bundle / "partial.json").read_text())
    return data


def test_interrupt_before_create_creates_nothing(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, mocker: MockerFixture
) -> None:
    mocker.patch("cronjob_doctor.diagnose.flow.snapshot", side_effect=KeyboardInterrupt)
    result = diagnose_cli(kubeconfig, tmp_path / "b")
    assert result.exit_code == 130
    assert "interrupted before creating the debug Job; nothing was created" in result.stderr
    assert job_posts(sandbox) == []
    assert partial(tmp_path / "b")["left_in_cluster"] == []
    assert_bundle_readable(tmp_path / "b")


def test_interrupt_right_after_create_deletes_the_job(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, mocker: MockerFixture
) -> None:
    def note(self: object, text: str) -> None:
        if text.startswith("created job"):
            raise KeyboardInterrupt

    mocker.patch("cronjob_doctor.report.live.LiveView.note", note)
    result = diagnose_cli(kubeconfig, tmp_path / "b")
    assert result.exit_code == 130
    (created,) = [r.body["metadata"]["name"] for r in job_posts(sandbox)]
    assert f"deleted job {created}" in result.stderr
    assert debug_jobs(sandbox) == []
    assert partial(tmp_path / "b")["phase"] == "while the debug Job ran"


@pytest.fixture
def sigint_delivered() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt here and in a child, whatever this process inherited: a background job
    starts with SIGINT ignored (then `_thread.interrupt_main()` does nothing), and exec keeps it ignored."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("sigint_delivered")
def test_interrupt_while_running_deletes_the_job_and_keeps_the_lines_so_far(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, mocker: MockerFixture
) -> None:
    shown = [0]

    def log_line(self: object, *args: object) -> None:
        shown[0] += 1
        if shown[0] == 5:
            _thread.interrupt_main()  # what SIGINT does: KeyboardInterrupt in the main thread

    mocker.patch("cronjob_doctor.report.live.LiveView.log_line", log_line)
    result = diagnose_cli(kubeconfig, tmp_path / "b")
    assert result.exit_code == 130
    assert debug_jobs(sandbox) == []
    assert "deleted job" in result.stderr
    assert partial(tmp_path / "b")["phase"] == "while the debug Job ran"
    log = next((tmp_path / "b" / "logs").rglob("backup.log"))
    assert len(log.read_text().splitlines()) >= 5
    assert_bundle_readable(tmp_path / "b")


@pytest.mark.usefixtures("sigint_delivered")
def test_interrupt_while_running_with_keep_leaves_the_job_and_says_how_to_remove_it(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, mocker: MockerFixture
) -> None:
    shown = [0]

    def log_line(self: object, *args: object) -> None:
        shown[0] += 1
        if shown[0] == 1:
            _thread.interrupt_main()

    mocker.patch("cronjob_doctor.report.live.LiveView.log_line", log_line)
    result = diagnose_cli(kubeconfig, tmp_path / "b", "--keep")
    assert result.exit_code == 130
    (job,) = debug_jobs(sandbox)
    assert f"kubectl delete job -n tofu-state {job['metadata']['name']}" in result.stderr
    assert partial(tmp_path / "b")["left_in_cluster"] == [f"job/{job['metadata']['name']}"]


def test_interrupt_while_writing_the_verdict_leaves_no_half_file(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, mocker: MockerFixture
) -> None:
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(dst).name == "verdict.json":
            raise KeyboardInterrupt  # after the temp file is written, before the rename
        real_replace(src, dst)

    mocker.patch.object(bundle_io.os, "replace", side_effect=replace)
    result = diagnose_cli(kubeconfig, tmp_path / "b")
    assert result.exit_code == 130
    assert debug_jobs(sandbox) == []  # cleanup ran before the bundle was written
    assert not (tmp_path / "b" / "verdict.json").exists()
    assert partial(tmp_path / "b")["phase"] == "while writing the bundle"
    assert_bundle_readable(tmp_path / "b")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_real_signal_cleans_up_and_exits_130(
    signum: int, sandbox: Sandbox, kubeconfig: str, tmp_path: Path, sigint_delivered: None
) -> None:
    bundle = tmp_path / "b"
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    child = subprocess.Popen(
        [sys.executable, "-m", "cronjob_doctor", "diagnose", "hang/db-vacuum", "--kubeconfig", kubeconfig,
         "--bundle", str(bundle), "--timeout", "10m", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    try:
        def running() -> bool:
            assert child.poll() is None, child.communicate()
            return bool(debug_jobs(sandbox, "hang") and list(bundle.glob("logs/*/*.log")))

        wait_until(running, what="the debug Job running and its log on disk")
        child.send_signal(signum)
        _out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130, err
    assert debug_jobs(sandbox) == []
    assert "interrupted while the debug Job ran; deleted job db-vacuum-doctor-" in err
    assert "Traceback" not in err
    assert partial(bundle)["left_in_cluster"] == []
    assert_bundle_readable(bundle)
