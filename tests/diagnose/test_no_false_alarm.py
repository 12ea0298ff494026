"""No false alarms, end to end: `diagnose` on a healthy CronJob with no failure on record answers success (exit 0)
with a note that nothing failed, and its report has no Fix section; `oom` from "it did not reproduce with more
memory" appears only when there is a failure to explain. The real CLI and client against the sandbox."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.cronjobs import job_for

TARGET = "ok/log-rotate"


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _unmeasured(sandbox: Sandbox) -> None:
    """Run the healthy CronJob's program directly (no shell script): no sampler, so the peak is not measured."""
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["/usr/sbin/logrotate", "/etc/logrotate.conf"]
    container.pop("args", None)
    sandbox.store.update("cronjobs", cronjob)


def _failed_job_on_record(sandbox: Sandbox) -> None:
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    scheduled = datetime(2026, 3, 20, 3, 30, tzinfo=timezone.utc)
    job = job_for(cronjob, scheduled)
    stamp = (scheduled + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    job["status"] = {"startTime": stamp, "failed": 1, "conditions": [
        {"type": kind, "status": "True", "reason": "BackoffLimitExceeded", "lastTransitionTime": stamp,
         "message": "Job has reached the specified backoff limit"} for kind in ("FailureTarget", "Failed")]}
    sandbox.store.create("jobs", job)


def _diagnose(kubeconfig: str, bundle: Path, *extra: str) -> Any:
    return invoke("diagnose", TARGET, "--kubeconfig", kubeconfig, "--bundle", str(bundle), "--quiet", *extra)


def test_healthy_cronjob_with_nothing_on_record_is_success_exit_0(sandbox: Sandbox, kubeconfig: str,
                                                                   tmp_path: Path) -> None:
    _unmeasured(sandbox)
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", "json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "success"
    assert any("nothing failed" in note for note in verdict["notes"])
    assert verdict["remediation"] == []
    assert all(f["confidence"] <= verdict["confidence"] for f in verdict["findings"])


def test_healthy_cronjob_with_a_measured_peak_is_success_exit_0(sandbox: Sandbox, kubeconfig: str,
                                                                 tmp_path: Path) -> None:
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", "json")
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "success" and "not reproduce" not in verdict["summary"]


def test_the_success_report_has_no_fix_section(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    _unmeasured(sandbox)
    for output, heading in (("text", "Fix"), ("markdown", "### Fix")):
        result = _diagnose(kubeconfig, tmp_path / output, "-o", output, "--no-color")
        assert result.exit_code == 0, result.output
        assert "success" in result.stdout
        assert not [line for line in result.stdout.splitlines() if line.strip() == heading], result.stdout


def test_with_a_failure_on_record_memory_stays_a_candidate(sandbox: Sandbox, kubeconfig: str,
                                                             tmp_path: Path) -> None:
    _unmeasured(sandbox)
    _failed_job_on_record(sandbox)
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", "json")
    verdict = json.loads(result.stdout)
    assert (verdict["verdict"], verdict.get("detail")) == ("oom", "unmeasured")
    assert result.exit_code == 1
    # The headline's confidence is never below a runner-up's (the run's own success finding among them).
    assert all(f["confidence"] <= verdict["confidence"] for f in verdict["findings"])


def test_several_variants_read_the_record_from_the_bundle_root(sandbox: Sandbox, kubeconfig: str,
                                                               tmp_path: Path) -> None:
    """With several runs each has its own bundle under the root; the CronJob's record (no failure) is at the
    root, and it still decides that an unmeasured success is no OOM."""
    _unmeasured(sandbox)
    result = _diagnose(kubeconfig, tmp_path / "b", "--memory", "original,512Mi", "-o", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["verdict"] == "success"
