"""Several containers: each container's peak is judged against that container's own limit, the verdict names the
container that was killed, and the fix patches that container (facts, the OOM rule, the runs judged together)."""

from __future__ import annotations

from typing import Any

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.report import runs as runs_table
from cronjob_doctor.rules.base import DebugRun
from cronjob_doctor.rules.debug_runs import debug_run, debug_run_of
from cronjob_doctor.rules.engine import analyze, analyze_runs
from cronjob_doctor.rules.facts import _build
from cronjob_doctor.rules.sidecars import classify
from tests.builders import container, job, job_complete, job_failed, log, pod, pod_metrics, terminated

MI = 1024 * 1024
TOKEN = "k3j4h-77"
POD = "state-export-doctor-k3j4h-p0o9i"


def _sample(peak: int) -> str:
    return f"##cronjob-doctor-mem sampler={TOKEN} current={peak} peak={peak}"


def _pod(backup: dict[str, Any], prep: dict[str, Any], *, limits: tuple[str, str] = ("128Mi", "1Gi"),
         phase: str = "Failed") -> dict[str, Any]:
    """The debug pod of a CronJob with two containers: `backup` and `prep`, each with its own memory limit."""
    out = pod(container("backup", backup), container("prep", prep), name=POD, job="state-export-doctor-k3j4h",
              phase=phase)
    for spec, limit in zip(out["spec"]["containers"], limits, strict=True):
        spec["resources"]["limits"]["memory"] = limit
    return out


def _bundle(the_pod: dict[str, Any], *, backup_peak: int, prep_peak: int, failed: bool = True,
            originals: dict[str, str | None] | None = None) -> Bundle:
    logs = [LogFile(pod=POD, container="backup", text=log("+ apk add --no-cache curl", _sample(backup_peak),
                                                         "+ curl -sSLo /tmp/kubectl https://dl.k8s.io/kubectl")),
            LogFile(pod=POD, container="prep", text=log("+ curl -sSLo /cache/a https://dl.k8s.io/a",
                                                       _sample(prep_peak), "cache warm"))]
    the_job = job("state-export-doctor-k3j4h", cronjob="state-export",
                  **({"failed": 1, "conditions": job_failed()} if failed else
                     {"succeeded": 1, "conditions": job_complete()}))
    return Bundle(pods=[the_pod], job=the_job, logs=logs,
                  meta={"variant": "original", "sampler_token": TOKEN,
                        "original_limits": originals or {"backup": "128Mi", "prep": "1Gi"}})


def _killed_backup() -> Bundle:
    """backup OOMKilled at its 128Mi (peak 127Mi); prep fine at 550Mi under its 1Gi."""
    return _bundle(_pod(terminated(reason="OOMKilled", exit_code=137), terminated(reason="Completed", exit_code=0)),
                   backup_peak=127 * MI, prep_peak=550 * MI)


def test_facts_keep_each_containers_own_peak_and_limits() -> None:
    facts = _build(_killed_backup())
    assert (facts.memory_of("backup").peak, facts.memory_of("backup").limit) == (127 * MI, 128 * MI)
    assert (facts.memory_of("prep").peak, facts.memory_of("prep").original) == (550 * MI, 1024 * MI)
    assert facts.peak_memory_bytes == 550 * MI, "the highest of all stays for the JSON contract"


def test_the_killed_container_is_judged_by_its_own_peak_against_its_own_limit() -> None:
    got = analyze(_killed_backup())
    assert (got.verdict, got.detail) == ("oom", "container")
    assert "container backup was OOMKilled" in got.summary
    # backup's own 127Mi against its own 128Mi, not prep's 550Mi
    assert got.summary.endswith("measured peak 127Mi vs limit 128Mi"), got.summary
    fix = " ".join(got.remediation)
    assert "raise the memory limit of container backup to 192Mi" in fix and '"name":"backup"' in fix
    assert "550" not in fix and '"name":"prep"' not in fix


def test_an_oomkilled_container_is_never_taken_for_a_sidecar_stopped_at_shutdown() -> None:
    # backup was killed long before prep completed: not "stopped because the job's own containers were done"
    the_pod = _pod(terminated(reason="OOMKilled", exit_code=137, finished="2026-03-20T02:00:40Z"),
                   terminated(reason="Completed", exit_code=0, finished="2026-03-20T02:04:10Z"))
    assert classify(the_pod, _build(Bundle(pods=[the_pod])).terminations) == {}
    assert analyze(Bundle(pods=[the_pod], job=job(failed=1, conditions=job_failed()))).verdict == "oom"


def test_metrics_api_usage_is_each_containers_own_peak() -> None:
    # no sampler lines: the peaks come from PodMetrics as diagnose's capture writes them, container by container
    sample = pod_metrics(POD, memory="120Mi", at="2026-03-20T02:00:30Z")
    sample["containers"].append({"name": "prep", "usage": {"cpu": "5m", "memory": "600Mi"}})
    the_pod = _pod(terminated(reason="OOMKilled", exit_code=137), terminated(reason="Completed", exit_code=0))
    bundle = Bundle(pods=[the_pod], job=job(failed=1, conditions=job_failed()), metrics=[sample])
    facts = _build(bundle)
    assert (facts.memory_of("backup").peak, facts.memory_of("prep").peak) == (120 * MI, 600 * MI)
    got = analyze(bundle)
    assert "container backup was OOMKilled" in got.summary
    assert got.summary.endswith("measured peak 120Mi vs limit 128Mi"), got.summary


def test_a_run_recorded_with_one_peak_and_one_limit_reads_as_before() -> None:
    # meta.json as diagnose wrote it before per-container peaks: one peak, one limit
    bundle = _killed_backup()
    bundle.meta = {"variant": "original", "instrumented": ["backup"], "peak_memory_bytes": 127 * MI,
                   "memory_limit_bytes": 128 * MI, "original_limits": {"backup": "128Mi", "prep": "1Gi"}}
    run = debug_run_of(bundle)
    assert run is not None
    assert (run.container, run.reason, run.memory_limit, run.peak_memory_bytes) == ("backup", "OOMKilled", "128Mi",
                                                                                    127 * MI)
    assert (run.peak_memory_by_container, run.memory_limit_by_container) == ({}, {})
    assert runs_table.peak_vs_limit(run) == "127Mi / 128Mi (99%)"


def test_a_container_near_its_own_limit_is_named_not_one_near_anothers() -> None:
    # prep at 1000Mi is near its own 1Gi; backup's 50Mi is far from its 128Mi
    the_pod = _pod(terminated(exit_code=1), terminated(reason="Completed", exit_code=0))
    got = analyze(_bundle(the_pod, backup_peak=50 * MI, prep_peak=1000 * MI))
    near = [f for f in got.findings if f.detail == "near-limit"]
    assert near and "in container prep reached 1000Mi of the 1Gi limit" in near[0].summary
    the_pod = _pod(terminated(exit_code=1), terminated(reason="Completed", exit_code=0))
    got = analyze(_bundle(the_pod, backup_peak=50 * MI, prep_peak=600 * MI))
    assert not [f for f in got.findings if f.detail == "near-limit"], "600Mi of 1Gi is not near prep's limit"


def _run(variant: str, outcome: str, *, peaks: dict[str, int], limits: dict[str, str | None],
         reason: str | None = None, killed: str | None = None) -> DebugRun:
    return DebugRun(job=f"state-export-doctor-{variant.lower()}", variant=variant,
                    memory_limit=limits.get(killed or "backup"), outcome=outcome, reason=reason,
                    exit_code=137 if reason == "OOMKilled" else (0 if outcome == "succeeded" else 1),
                    peak_memory_bytes=max(peaks.values()), container=killed or "backup",
                    peak_memory_by_container=peaks, memory_limit_by_container=limits)


def _raised_ok() -> Bundle:
    return _bundle(_pod(terminated(reason="Completed", exit_code=0), terminated(reason="Completed", exit_code=0),
                        limits=("512Mi", "1Gi"), phase="Succeeded"),
                   backup_peak=187 * MI, prep_peak=550 * MI, failed=False)


def test_runs_name_the_container_killed_at_its_original_limit_and_fix_that_one() -> None:
    original = _run("original", "failed", reason="OOMKilled", peaks={"backup": 127 * MI, "prep": 550 * MI},
                    limits={"backup": "128Mi", "prep": "1Gi"})
    raised = _run("512Mi", "succeeded", peaks={"backup": 187 * MI, "prep": 550 * MI},
                  limits={"backup": "512Mi", "prep": "1Gi"})
    got = analyze_runs([(original, _killed_backup()), (raised, _raised_ok())], original_limit_bytes=128 * MI)
    assert (got.verdict, got.confidence) == ("oom", 0.97)
    assert got.summary.startswith("container backup OOMKilled at the original limit 128Mi")
    assert got.summary.endswith("and succeeded at 512Mi (state-export-doctor-512mi); measured peak 187Mi")
    fix = " ".join(got.remediation)
    assert "container backup to 320Mi (measured peak 187Mi" in fix and '"name":"prep"' not in fix


def test_a_raised_run_judges_each_containers_peak_against_its_own_original_limit() -> None:
    raised = _run("512Mi", "succeeded", peaks={"backup": 187 * MI, "prep": 550 * MI},
                  limits={"backup": "512Mi", "prep": "1Gi"})
    got = analyze_runs([(raised, _raised_ok())], original_limit_bytes=128 * MI, on_record=True)
    assert (got.verdict, got.detail) == ("oom", "container")
    assert "container backup measured peak 187Mi vs limit 128Mi" in got.summary
    # prep's 550Mi is far above backup's 128Mi but under its own 1Gi: not memory, for prep
    below = _run("512Mi", "succeeded", peaks={"backup": 100 * MI, "prep": 550 * MI},
                 limits={"backup": "512Mi", "prep": "1Gi"})
    got = analyze_runs([(below, _raised_ok())], original_limit_bytes=128 * MI, on_record=True)
    assert (got.verdict, got.detail) == ("success", "not-memory")
    assert "each container's peak stayed below its own original limit (backup 100Mi of 128Mi, prep 550Mi of 1Gi)" \
        in got.summary


def test_a_kill_under_a_limit_the_debug_run_lowered_is_said_to_be_the_debug_runs() -> None:
    lowered = _run("256Mi", "failed", reason="OOMKilled", killed="prep", peaks={"backup": 187 * MI, "prep": 255 * MI},
                   limits={"backup": "256Mi", "prep": "256Mi"})
    got = analyze_runs([(lowered, _killed_backup())], original_limit_bytes=128 * MI, on_record=True)
    assert any("container prep was OOMKilled under 256Mi, below its own limit 1Gi" in n for n in got.notes)


def test_the_run_says_whose_reason_and_each_containers_peak_and_limit() -> None:
    run = debug_run(job=job("state-export-doctor-k3j4h", failed=1, conditions=job_failed()),
                    pods=[_killed_backup().pods[0]], variant="original", memory_limit_bytes=None,
                    instrumented="prep", peak_memory_bytes=None, bundle="b",
                    peaks={"backup": 127 * MI, "prep": 550 * MI}, limits={"backup": "128Mi", "prep": "1Gi"})
    assert (run.container, run.reason, run.exit_code, run.memory_limit) == ("backup", "OOMKilled", 137, "128Mi")
    assert run.peak_memory_bytes == 550 * MI
    data = run.to_dict()
    assert data["peak_memory_by_container"] == {"backup": 127 * MI, "prep": 550 * MI}
    assert data["memory_limit_by_container"] == {"backup": "128Mi", "prep": "1Gi"}
    assert data["container"] == "backup"
    assert runs_table.peak_vs_limit(run) == "backup 127Mi / 128Mi (99%); prep 550Mi / 1Gi (54%)"
    assert runs_table.rows([run])[0][3] == "OOMKilled (backup)"


def test_one_container_keeps_todays_cells() -> None:
    run = DebugRun(job="j", variant="512Mi", memory_limit="512Mi", outcome="succeeded", peak_memory_bytes=182 * MI,
                   container="backup", peak_memory_by_container={"backup": 182 * MI},
                   memory_limit_by_container={"backup": "512Mi"})
    assert runs_table.peak_vs_limit(run) == "182Mi / 512Mi (36%)"
    assert runs_table.rows([run])[0][3] == "-"
