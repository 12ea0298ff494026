"""`cronjob-doctor history` end to end: the real client over HTTP against the sandbox's incident seed."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path

from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def wait_for_job(sandbox: Sandbox, namespace: str, name: str, condition: str) -> None:
    """Wait until the Job in the sandbox's store has the condition (generous: CI machines are slow)."""
    def reached() -> bool:
        job = sandbox.store.get("jobs", namespace, name)
        return any(c.get("type") == condition and c.get("status") == "True"
                   for c in (job.get("status") or {}).get("conditions") or [])

    wait_until(reached, timeout=90, what=f"job {namespace}/{name} to reach {condition}")


def test_incident_history_shows_the_failed_runs_with_their_pods_gone(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, err = invoke("history", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig)
    assert code == 1, err
    lines = out.splitlines()
    for suffix in ("29565120", "29568000"):
        row = next(line for line in lines if line.startswith(suffix))
        assert "failed" in row and "BackoffLimitExceeded" in row and "pods gone" in row
    for suffix in ("29562240", "29563680", "29566560"):
        assert "succeeded" in next(line for line in lines if line.startswith(suffix))
    assert "schedule `0 8 * * *` fires at 08:00 UTC" in out
    assert "scheduled runs observed at 08:00 UTC" in out
    flat = " ".join(out.split())
    assert ("2 failed runs have no pods left (tf-state-backup-29565120, tf-state-backup-29568000): their logs, "
            "exit codes and termination reasons are gone") in flat
    assert "failedJobsHistoryLimit is 1" in flat and "restartPolicy OnFailure" in flat
    assert max(len(line.rstrip()) for line in lines) <= 80


def test_history_reads_and_never_writes(sandbox: Sandbox, kubeconfig: str) -> None:
    invoke("history", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig)
    assert [r for r in sandbox.requests if r.method in WRITES] == []


def test_history_json_for_the_incident(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("history", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig, "-o", "json")
    assert code == 1
    data = json.loads(out)
    outcomes = {run["job"].rsplit("-", 1)[1]: (run["outcome"], run["pods"], run["scheduled"]) for run in data["runs"]}
    assert outcomes["29565120"] == ("failed", [], "2026-03-19T08:00:00Z")
    assert outcomes["29568000"] == ("failed", [], "2026-03-21T08:00:00Z")
    assert data["summary"]["evidence_lost"] == ["tf-state-backup-29565120", "tf-state-backup-29568000"]
    assert data["schedule_text"] == "schedule `0 8 * * *` fires at 08:00 UTC"
    assert "evidence-lost" in {w["id"] for w in data["warnings"]}


def test_history_markdown_for_the_incident(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("--kubeconfig", kubeconfig, "-o", "markdown", "history", "tofu-state/tf-state-backup")
    assert code == 1
    assert "| tf-state-backup-29565120 | 2026-03-19 08:00 | failed |" in out
    # A ticket report says what to do next and what produced it.
    assert "cronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi -o markdown" in out
    assert "cronjob-doctor record tofu-state/tf-state-backup" in out
    assert "### What ran" in out and "cronjob-doctor history tofu-state/tf-state-backup" in out


def test_bare_name_uses_the_contexts_namespace(sandbox: Sandbox, tmp_path: Path) -> None:
    config = str(sandbox.write_kubeconfig(tmp_path / "kc", namespace="tofu-state"))
    code, out, _ = invoke("history", "tf-state-backup", "--kubeconfig", config, "--limit", "2")
    assert code == 1
    assert "29568000" in out and "29562240" not in out and "3 older hidden by --limit" in out


def test_bare_name_with_namespace_flag(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("history", "-n", "tofu-state", "tf-state-backup", "--kubeconfig", kubeconfig)
    assert code == 1 and "tofu-state/tf-state-backup" in out


def test_unknown_cronjob_is_a_cluster_error_with_a_hint(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, err = invoke("history", "tofu-state/nope", "--kubeconfig", kubeconfig)
    assert code == 3 and out == ""
    assert "error:" in err and "nope" in err and "cronjob-doctor scan -n tofu-state" in err


def test_the_job_an_alert_names_shows_its_cronjobs_history(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("history", "tofu-state/tf-state-backup-29568000", "--kubeconfig", kubeconfig)
    assert code == 1
    assert "tofu-state/tf-state-backup-29568000 belongs to it" in " ".join(out.split())


def test_malformed_target_is_an_input_error(sandbox: Sandbox, kubeconfig: str) -> None:
    code, _, err = invoke("history", "a/b/c", "--kubeconfig", kubeconfig)
    assert code == 2 and "expected NAMESPACE/NAME" in err


def _keep_pods_copy(sandbox: Sandbox, namespace: str, source: str, name: str) -> None:
    """A copy of a seeded CronJob with restartPolicy Never, so its failed pod stays (OnFailure pods are deleted)."""
    cronjob = copy.deepcopy(sandbox.store.get("cronjobs", namespace, source))
    for key in ("uid", "resourceVersion", "creationTimestamp"):
        cronjob["metadata"].pop(key, None)
    cronjob["metadata"]["name"] = name
    cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"] = 0
    cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    sandbox.store.create("cronjobs", cronjob)


def test_failed_run_with_its_pod_left_gets_a_verdict(sandbox: Sandbox, kubeconfig: str) -> None:
    _keep_pods_copy(sandbox, "cdn", "cdn-backup", "cdn-keep")
    fire = datetime(2026, 3, 22, 3, 30, tzinfo=timezone.utc)  # a time the schedule `30 3 * * *` fires at
    job = sandbox.cluster.trigger_cronjob("cdn", "cdn-keep", scheduled=fire)
    wait_for_job(sandbox, "cdn", job, "Failed")
    code, out, err = invoke("history", "cdn/cdn-keep", "--kubeconfig", kubeconfig, "-o", "json")
    assert code == 1, err
    run = json.loads(out)["runs"][-1]
    assert run["job"] == job and run["outcome"] == "failed" and len(run["pods"]) == 1
    assert run["logs_available"] and run["exit_code"] == 6
    assert run["verdict"]["verdict"] == "network"
    code, text, _ = invoke("history", "cdn/cdn-keep", "--kubeconfig", kubeconfig)
    assert "Verdicts (from the pods that remain, or recorded by record)" in text and "network (confidence" in text


def test_a_successful_latest_run_exits_0(sandbox: Sandbox, kubeconfig: str) -> None:
    fire = datetime(2026, 3, 22, 3, 30, tzinfo=timezone.utc)
    job = sandbox.cluster.trigger_cronjob("ok", "log-rotate", scheduled=fire)
    wait_for_job(sandbox, "ok", job, "Complete")
    code, out, err = invoke("history", "ok/log-rotate", "--kubeconfig", kubeconfig)
    assert code == 0, err
    assert "OK: the latest finished run succeeded" in out
