"""`cronjob-doctor scan` end to end against the sandbox: the incident, scopes, and a generated large cluster
whose numbers are checked against the seed, with a constant number of list calls."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.kube.client import PAGE_SIZE
from cronjob_doctor_sandbox import Sandbox, seeds


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_incident_scan_ranks_tf_state_backup_first_among_the_failing(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, err = invoke("scan", "-A", "--kubeconfig", kubeconfig)
    assert code == 1, err
    rows = [line for line in out.splitlines() if "/" in line and not line.startswith(("next", "  "))]
    assert rows[0].startswith("tofu-state/tf-state-backup")
    assert "failed" in rows[0]
    assert "8 CronJob(s) in all namespaces, 1 failing now" in out
    assert "next: cronjob-doctor history tofu-state/tf-state-backup" in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 80


def test_incident_scan_json_failing_only(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("scan", "-A", "--failing", "-o", "json", "--kubeconfig", kubeconfig)
    assert code == 1
    data = json.loads(out)
    assert [(c["namespace"], c["name"]) for c in data["cronjobs"]] == [("tofu-state", "tf-state-backup")]
    row = data["cronjobs"][0]
    assert (row["failure_streak"], row["lost_evidence"], row["last_outcome"]) == (1, 2, "failed")
    assert row["last_reason"] == "BackoffLimitExceeded"
    assert row["last_schedule"] == "2026-03-21T08:00:00Z" and row["last_success"] == "2026-03-20T08:01:14Z"
    assert row["lint_errors"] >= 1  # the incident spec has error-severity lint findings
    assert data["total"] == 8


def test_a_namespace_with_nothing_failing_exits_0(sandbox: Sandbox, kubeconfig: str) -> None:
    code, out, _ = invoke("scan", "-n", "ok", "--kubeconfig", kubeconfig)
    assert code == 0
    assert "1 CronJob(s) in namespace ok, 0 failing now" in out


def test_default_scope_is_the_contexts_namespace(sandbox: Sandbox, tmp_path: Path) -> None:
    config = str(sandbox.write_kubeconfig(tmp_path / "kc", namespace="tofu-state"))
    code, out, _ = invoke("scan", "--kubeconfig", config, "-o", "markdown")
    assert code == 1
    assert "## CronJob scan of namespace tofu-state" in out and "| tofu-state/tf-state-backup |" in out


def test_all_namespaces_and_a_namespace_together_is_an_input_error(sandbox: Sandbox, kubeconfig: str) -> None:
    code, _, err = invoke("scan", "-A", "-n", "x", "--kubeconfig", kubeconfig)
    assert code == 2 and "not both" in err


NAMESPACES, CRONJOBS, JOBS, PODS = 12, 15, 6, 400


@pytest.fixture
def large(tmp_path: Path) -> Iterator[tuple[Sandbox, str]]:
    """The generated large cluster, controllers off so the seed stays exactly as generated."""
    sandbox = Sandbox(seed=None, controllers=False).start()
    seeds.generate_large(sandbox.store, namespaces=NAMESPACES, cronjobs_per_ns=CRONJOBS, jobs_per_cronjob=JOBS,
                         pods=PODS)
    try:
        yield sandbox, str(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))
    finally:
        sandbox.stop()


def _expected() -> dict[tuple[str, str], tuple[int, int]]:
    """(failure streak, failed runs without pods) per CronJob, from the seed's rule: run r of CronJob c in
    namespace n fails when (n + c + r) % 7 == 0, and failed runs never get pods."""
    out = {}
    for n in range(NAMESPACES):
        for c in range(CRONJOBS):
            failed = [(n + c + r) % 7 == 0 for r in range(JOBS)]
            streak = 0
            for f in reversed(failed):
                if not f:
                    break
                streak += 1
            out[(f"team-{n:03d}", f"job-{c:02d}")] = (streak, sum(failed))
    return out


def test_large_cluster_numbers_match_the_seed_with_constant_list_calls(large: tuple[Sandbox, str]) -> None:
    sandbox, kubeconfig = large
    before = len(sandbox.requests)
    code, out, err = invoke("scan", "-A", "-o", "json", "--kubeconfig", kubeconfig)
    data = json.loads(out)
    expected = _expected()
    failing = sum(1 for streak, _ in expected.values() if streak)
    assert code == (1 if failing else 0), err
    assert (data["total"], data["failing"]) == (NAMESPACES * CRONJOBS, failing)
    got = {(c["namespace"], c["name"]): (c["failure_streak"], c["lost_evidence"]) for c in data["cronjobs"]}
    assert got == expected
    assert all(c["runs"] == JOBS for c in data["cronjobs"])
    streaks = [c["failure_streak"] for c in data["cronjobs"]]
    assert streaks == sorted(streaks, reverse=True)  # worst first
    reads = [r for r in sandbox.requests[before:] if r.method == "GET"]
    pages = {"cronjobs": math.ceil(NAMESPACES * CRONJOBS / PAGE_SIZE),
             "jobs": math.ceil(NAMESPACES * CRONJOBS * JOBS / PAGE_SIZE),
             "pods": math.ceil(PODS / PAGE_SIZE)}
    for kind, count in pages.items():
        calls = [r for r in reads if r.path.rstrip("/").endswith("/" + kind)]
        assert len(calls) == count, (kind, [r.path for r in reads])
    assert len(reads) == sum(pages.values())  # nothing per CronJob


def test_trimming_listed_jobs_and_pods_changes_no_row(large: tuple[Sandbox, str]) -> None:
    """scan drops pod templates, pod specs and managedFields as pages arrive; ranking the whole objects of the
    generated cluster must give exactly the same rows."""
    from datetime import datetime, timezone

    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor.report.scan import to_dict
    from cronjob_doctor.scan import flow as scanlib
    from cronjob_doctor.scan import model as triage

    now = datetime.now(timezone.utc)
    kube = Kube.connect(kubeconfig=large[1], context=None)
    try:
        trimmed = scanlib.run(scanlib.ScanSettings(namespace=None), kube=kube, now=now)
        cronjobs = kube.list_cronjobs(None)
        jobs = kube.list_jobs(None)
        pods = kube.list_pods(None, label_selector=scanlib.JOB_POD_SELECTOR)
    finally:
        kube.close()
    assert any(job["spec"].get("template") for job in jobs) and any(pod.get("spec") for pod in pods)
    lint = scanlib.lint_errors(cronjobs, [])
    whole = triage.build(cronjobs, jobs, pods, scope="all namespaces", now=now, lint_errors=lint)
    assert trimmed.total == whole.total > 0
    assert to_dict(trimmed)["cronjobs"] == to_dict(whole)["cronjobs"]


def test_trim_keeps_what_ranking_reads() -> None:
    from cronjob_doctor.scan.flow import trim_job, trim_pod

    job = {"metadata": {"name": "j", "managedFields": [{"manager": "kube-controller-manager"}]},
           "spec": {"suspend": True, "template": {"spec": {"containers": []}}, "backoffLimit": 6},
           "status": {"failed": 1}}
    assert trim_job(job) == {"metadata": {"name": "j"}, "spec": {"suspend": True}, "status": {"failed": 1}}
    pod = {"metadata": {"name": "p", "managedFields": []}, "spec": {"containers": []}, "status": {"phase": "Failed"}}
    assert trim_pod(pod) == {"metadata": {"name": "p"}, "status": {"phase": "Failed"}}
