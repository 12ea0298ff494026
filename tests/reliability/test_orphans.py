"""kill -9 mid-diagnose: the bundle it wrote says the capture was cut short; the next diagnose finds the debug
Job it left by its labels, says it was left by a run that is gone (not "another diagnose is running"), and
adopts it (--adopt) or deletes it (--delete-orphans); scan and history list it. Run for real: a diagnose in a
child process, killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronjob_doctor.capture.state import cut_short
from cronjob_doctor.cli import app
from cronjob_doctor.errors import Conflict
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

from .conftest import MANAGED, debug_jobs, run_diagnose


@pytest.fixture
def killed(sandbox: Sandbox, kubeconfig: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A diagnose of the CronJob named by the test's parameter, killed with SIGKILL once its debug Job exists;
    yields the debug Job's name."""
    target: str = request.param
    namespace = target.split("/")[0]
    child = subprocess.Popen(
        [sys.executable, "-m", "cronjob_doctor", "diagnose", target, "--kubeconfig", kubeconfig,
         "--bundle", str(tmp_path / "killed"), "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        (job,) = wait_until(lambda: debug_jobs(sandbox, namespace), timeout=60, what="the debug Job")
        wait_until(lambda: sandbox.store.list("leases", namespace)[0], what="the diagnose's lease")
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()  # reaped: the pid is gone, as after a kill -9 in a shell
    return str(job["metadata"]["name"])


@pytest.mark.parametrize("killed", ["hang/db-vacuum"], indirect=True)
def test_the_next_diagnose_says_the_job_was_left_by_a_run_that_is_gone(
    killed: str, sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    note = cut_short(tmp_path / "killed")
    assert note is not None and note.startswith("the capture was cut short: diagnose (pid ")
    # the debug Job's pods carry the managed-by label too
    pods = [p for p in sandbox.store.list("pods", "hang")[0] if p["metadata"]["labels"].get("job-name") == killed]
    assert pods and all(p["metadata"]["labels"][MANAGED[0]] == MANAGED[1] for p in pods)

    with pytest.raises(Conflict) as raised:
        run_diagnose(kube, "hang/db-vacuum", tmp_path / "second")
    message = raised.value.message
    assert f"job {killed} (still running) was left by a diagnose that is gone" in message
    assert "is no longer running" in message
    assert "another diagnose" not in message
    assert "--adopt" in (raised.value.hint or "") and "--delete-orphans" in (raised.value.hint or "")
    assert [j["metadata"]["name"] for j in debug_jobs(sandbox, "hang")] == [killed], "nothing created or deleted"
    assert not (tmp_path / "second").exists()


@pytest.mark.parametrize("killed", ["hang/db-vacuum"], indirect=True)
def test_delete_orphans_deletes_the_left_job_then_runs(
    killed: str, sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    outcome = run_diagnose(kube, "hang/db-vacuum", tmp_path / "b", delete_orphans=True, timeout="20s")
    assert outcome.verdict is not None and outcome.verdict.verdict == "deadline"
    assert any(n.startswith(f"deleted job {killed} (still running) was left by a diagnose that is gone")
               for n in outcome.verdict.notes)
    assert debug_jobs(sandbox, "hang") == []
    deletes = [r.path for r in sandbox.requests if r.method == "DELETE" and "/jobs/" in r.path]
    assert deletes[0].endswith(f"/jobs/{killed}")


@pytest.mark.parametrize("killed", ["tofu-state/tf-state-backup"], indirect=True)
def test_adopt_follows_the_left_job_to_its_end_judges_it_and_cleans_up(
    killed: str, sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    bundle = tmp_path / "adopted"
    outcome = run_diagnose(kube, "tofu-state/tf-state-backup", bundle, adopt=True, redact=False)
    verdict = outcome.verdict
    assert verdict is not None and verdict.verdict == "oom", verdict.summary
    assert [run.job for run in verdict.runs] == [killed]
    assert any(n.startswith(f"adopted job {killed}") for n in verdict.notes)
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["job"] == killed and meta["partial"] is False
    [log] = (bundle / "logs").rglob("backup.log")
    assert len(log.read_text().splitlines()) > 50
    assert cut_short(bundle) is None
    assert debug_jobs(sandbox, "tofu-state") == [], "the adopted Job is cleaned up"
    assert [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs")] == [
        r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs") and r.body["metadata"][
            "name"] == killed], "adopting creates no debug Job"


def test_adopt_without_an_orphan_is_an_input_error(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diagnose", "ok/log-rotate", "--adopt", "--kubeconfig", kubeconfig,
                                      "--bundle", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "nothing to adopt" in result.stderr


@pytest.mark.parametrize("killed", ["hang/db-vacuum"], indirect=True)
def test_scan_and_history_list_the_orphan(killed: str, kubeconfig: str) -> None:
    runner = CliRunner()
    scan = runner.invoke(app, ["scan", "-n", "hang", "-o", "json", "--kubeconfig", kubeconfig])
    [listed] = json.loads(scan.stdout)["debug_jobs"]
    assert (listed["name"], listed["state"], listed["cronjob"]) == (killed, "orphan", "db-vacuum")
    assert "is no longer running" in listed["why"]
    text = runner.invoke(app, ["scan", "-n", "hang", "--kubeconfig", kubeconfig]).stdout
    assert "Debug Jobs left by cronjob-doctor (1 orphan(s))" in text
    assert "next: cronjob-doctor diagnose hang/db-vacuum --adopt" in text
    history = runner.invoke(app, ["history", "hang/db-vacuum", "-o", "json", "--kubeconfig", kubeconfig])
    assert [(j["name"], j["state"]) for j in json.loads(history.stdout)["debug_jobs"]] == [(killed, "orphan")]
