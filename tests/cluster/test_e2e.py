"""cronjob-doctor against a real cluster: diagnose, history and record on CronJobs that OOM, fail DNS, succeed.

Opt-in (`pytest -m cluster`), in whatever cluster KUBECONFIG points to, inside a namespace the suite creates and
deletes. The CLI runs as a subprocess (`python -m cronjob_doctor`), as an operator would run it, so exit codes,
stdout/stderr separation and signal handling are the real ones.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.builders import job_from
from tests.cluster import manifests
from tests.waiting import wait_until

# One worker runs the whole suite, one test after the other: it shares one real cluster, and its session-scoped
# namespace (with the CronJobs) would otherwise be made once per pytest-xdist worker.
pytestmark = pytest.mark.cluster

RUN_TIMEOUT = 300  # image pulls on a fresh kind node dominate


def cli(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run cronjob-doctor with the caller's KUBECONFIG and current context; never colour."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "cronjob_doctor", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


def start_run(api_client: Any, namespace: str, cronjob: dict[str, Any]) -> str:
    """Start a run of `cronjob` now, as `kubectl create job --from=cronjob/...` would; returns the Job name."""
    from kubernetes import client

    name = cronjob["metadata"]["name"]
    live = client.BatchV1Api(api_client).read_namespaced_cron_job(name, namespace)
    job_name = f"{name}-manual-{secrets.token_hex(2)}"
    job = job_from(cronjob, uid=live.metadata.uid, name=job_name)
    client.BatchV1Api(api_client).create_namespaced_job(namespace, job)
    return job_name


def wait_finished(api_client: Any, namespace: str, job: str, timeout: float = RUN_TIMEOUT) -> str:
    """Wait for the Job's Complete or Failed condition; returns `Complete` or `Failed`."""
    from kubernetes import client

    def ended() -> str | None:
        status = client.BatchV1Api(api_client).read_namespaced_job_status(job, namespace).status
        for condition in status.conditions or []:
            if condition.type in ("Complete", "Failed") and condition.status == "True":
                return str(condition.type)
        return None

    return wait_until(ended, timeout=timeout, interval=2, what=f"job {namespace}/{job} to finish")


def _verdict(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.stdout.strip(), f"no report on stdout; stderr:\n{result.stderr}"
    document: dict[str, Any] = json.loads(result.stdout)
    return document


# --- diagnose ------------------------------------------------------------------------------------------------


def test_diagnose_finds_oom_under_128mi(namespace: str, tmp_path: Path) -> None:
    result = cli("diagnose", f"{namespace}/oom-under-128mi", "--memory", "original,512Mi", "--timeout", "5m",
                 "--quiet", "--bundle", str(tmp_path / "bundle"), "-o", "json")
    verdict = _verdict(result)
    assert result.returncode == 1, result.stderr
    assert verdict["verdict"] == "oom", verdict["summary"]
    original = [run for run in verdict["runs"] if run["memory_limit"] == "128Mi"]
    assert original and original[0]["reason"] == "OOMKilled", verdict["runs"]
    assert any(item["source"] for item in verdict["evidence"])
    assert list((tmp_path / "bundle").rglob("pods.json")), "the bundle keeps the pod statuses"


def test_diagnose_finds_a_dns_failure(namespace: str, tmp_path: Path) -> None:
    result = cli("diagnose", f"{namespace}/dns-failure", "--memory", "original", "--timeout", "5m", "--quiet",
                 "--bundle", str(tmp_path / "bundle"), "-o", "json")
    verdict = _verdict(result)
    assert result.returncode == 1, result.stderr
    assert verdict["verdict"] == "network", verdict["summary"]
    logs = "\n".join(p.read_text() for p in (tmp_path / "bundle").rglob("*.log"))
    assert "resolve host" in logs.lower() or "resolve" in json.dumps(verdict["evidence"]).lower()


def test_diagnose_of_a_healthy_cronjob_succeeds_and_cleans_up(
    namespace: str, tmp_path: Path, api_client: Any
) -> None:
    from kubernetes import client

    result = cli("diagnose", f"{namespace}/succeeds", "--timeout", "5m", "--quiet",
                 "--bundle", str(tmp_path / "bundle"), "-o", "json")
    verdict = _verdict(result)
    assert result.returncode == 0, result.stderr
    assert verdict["verdict"] == "success"
    left = client.BatchV1Api(api_client).list_namespaced_job(
        namespace, label_selector="app.kubernetes.io/managed-by=cronjob-doctor"
    )
    assert not left.items, [job.metadata.name for job in left.items]


def test_diagnose_markdown_is_the_ticket_report(namespace: str, tmp_path: Path) -> None:
    result = cli("diagnose", f"{namespace}/succeeds", "--memory", "original", "--timeout", "5m", "--quiet",
                 "--bundle", str(tmp_path / "bundle"), "-o", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## cronjob-doctor")
    assert "### What ran" in result.stdout and f"diagnose {namespace}/succeeds" in result.stdout


# --- history -------------------------------------------------------------------------------------------------


def test_history_shows_the_oom_run_and_its_reason(namespace: str, api_client: Any) -> None:
    job = start_run(api_client, namespace, manifests.OOM)
    assert wait_finished(api_client, namespace, job) == "Failed"
    result = cli("history", f"{namespace}/oom-under-128mi", "-o", "json")
    assert result.returncode == 1, result.stderr  # its latest finished run failed
    history = json.loads(result.stdout)
    runs = {run["job"]: run for run in history["runs"]}
    assert runs[job]["outcome"] == "failed"
    assert runs[job]["manual"] is True
    assert "OOMKilled" in json.dumps(runs[job]), runs[job]


def test_history_of_a_healthy_cronjob_exits_0(namespace: str, api_client: Any) -> None:
    job = start_run(api_client, namespace, manifests.SUCCESS)
    assert wait_finished(api_client, namespace, job) == "Complete"
    result = cli("history", f"{namespace}/succeeds", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert {run["job"]: run for run in json.loads(result.stdout)["runs"]}[job]["outcome"] == "succeeded"


# --- record --------------------------------------------------------------------------------------------------


def test_record_captures_a_failed_run_into_a_bundle(namespace: str, api_client: Any, tmp_path: Path) -> None:
    root = tmp_path / "records"
    env = {**os.environ, "NO_COLOR": "1"}
    recorder = subprocess.Popen(
        [sys.executable, "-m", "cronjob_doctor", "record", f"{namespace}/dns-failure", "--once",
         "--bundle", str(root), "-o", "json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    started = threading.Event()
    stderr_lines: list[str] = []

    def read_stderr() -> None:
        assert recorder.stderr is not None
        for line in recorder.stderr:
            stderr_lines.append(line)
            if line.startswith("record: recording"):
                started.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        # record lists the Jobs that --once does not count before it announces itself, and its watches list
        # first: a run started from now on is a fresh one, seen by that list or by the watch.
        assert started.wait(60), "".join(stderr_lines)
        job = start_run(api_client, namespace, manifests.DNS)
        stdout, _ = recorder.communicate(timeout=RUN_TIMEOUT)
    finally:
        if recorder.poll() is None:
            recorder.terminate()  # SIGTERM: record closes open runs and exits 130
            recorder.wait(30)
    reader.join(5)
    assert recorder.returncode == 1, "".join(stderr_lines)  # --once: 1 when the recorded run failed
    line = json.loads(stdout.strip().splitlines()[-1])
    assert line["job"] == job
    assert line["outcome"] == "failed"
    assert line["verdict"] == "network", line
    bundle = Path(line["bundle"])
    assert bundle.is_dir() and (bundle / "verdict.json").is_file()
    assert json.loads((bundle / "verdict.json").read_text())["verdict"] == "network"
    assert list(bundle.rglob("*.log")), "the run's log was captured before cleanup"
