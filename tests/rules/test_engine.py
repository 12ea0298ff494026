"""The engine contract: every rule runs, a raising rule becomes a note, ranking by confidence then registry order,
`unknown` with capture hints, and DESIGN.md's reasoning over diagnose runs."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.rules import RULES
from cronjob_doctor.rules.base import DebugRun, Finding
from cronjob_doctor.rules.engine import analyze, analyze_runs, run_rules
from tests.builders import (
    container,
    event,
    job,
    job_complete,
    job_failed,
    log,
    netpol,
    pod,
    terminated,
)

MI = 1024 * 1024


class _Boom:
    id = "boom"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        raise RuntimeError("bad data")


class _Fixed:
    def __init__(self, verdict: str, confidence: float) -> None:
        self.id = verdict
        self.confidence = confidence

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        yield Finding(self.id, self.confidence, f"{self.id} fired")


def test_a_raising_rule_becomes_a_note_and_the_rest_still_run() -> None:
    findings, notes = run_rules(Bundle(), [_Boom(), _Fixed("network", 0.7)])
    assert [f.verdict for f in findings] == ["network"]
    assert notes == ["rule boom failed on this bundle: RuntimeError: bad data"]


def test_ties_break_by_registry_order() -> None:
    findings, _ = run_rules(Bundle(), [_Fixed("oom", 0.8), _Fixed("network", 0.8), _Fixed("config", 0.9)])
    assert [f.verdict for f in findings] == ["config", "oom", "network"]


def test_nothing_fires_gives_unknown_with_facts_and_capture_command() -> None:
    verdict = analyze(Bundle(job=job(failed=1, conditions=job_failed())))
    assert verdict.verdict == "unknown"
    assert any("BackoffLimitExceeded" in e.text for e in verdict.evidence)
    assert any("cronjob-doctor diagnose tofu-state/tf-state-backup" in r for r in verdict.remediation)


def _bundle(*pods: dict, job_: dict | None = None, text: str | None = None, **kw: object) -> Bundle:
    logs = [LogFile(pod="p", container="backup", text=text)] if text else []
    return Bundle(pods=list(pods), job=job_, logs=logs, **kw)  # type: ignore[arg-type]


FAILED = job(failed=1, conditions=job_failed())


@pytest.mark.parametrize(("name", "bundle", "verdict", "detail"), [
    ("exit 137 alone (no pod to rule out a probe or a deletion) is not OOM",
     _bundle(job_=FAILED), "unknown", None),
    ("exit 137 that the pod's spec and status leave unexplained is memory",
     _bundle(pod(container("backup", terminated(reason="Error", exit_code=137))), job_=FAILED), "oom", "exit-137"),
    ("OOMKilled in status beats a timeout in the log",
     _bundle(pod(container("backup", terminated(reason="OOMKilled", exit_code=137))), job_=FAILED,
             text=log("+ curl -o /tmp/mc https://dl.min.io/mc", "curl: (28) Operation timed out after 300000 ms")),
     "oom", "container"),
    ("deadline SIGKILL is deadline, not OOM",
     _bundle(pod(container("backup", terminated(reason="Error", exit_code=137))),
             job_=job(failed=1, conditions=job_failed("DeadlineExceeded"), active_deadline=600)), "deadline",
     "active-deadline"),
    ("a child killed while the container says Error is OOM of the child",
     _bundle(pod(container("backup", terminated(reason="Error", exit_code=137))), job_=FAILED,
             text=log("+ apk add curl", "Killed")), "oom", "child"),
    ("liveness probe kill is not OOM",
     _bundle(pod(container("backup", terminated(reason="Error", exit_code=137))), job_=FAILED,
             events=[event("Unhealthy", "Liveness probe failed: timeout"),
                     event("Killing", "Container backup failed liveness probe, will be restarted")]),
     "config", "liveness-probe"),
    ("quota forbidden is scheduling",
     _bundle(job_=FAILED, events=[event("FailedCreate", 'Error creating: pods "x" is forbidden: exceeded quota: q, '
                                         "requested: limits.memory=128Mi, used: limits.memory=2Gi, limited: "
                                         "limits.memory=2Gi", kind="Job")]), "scheduling", "quota"),
    ("RBAC forbidden is permission",
     _bundle(pod(container("backup", terminated(exit_code=1))), job_=FAILED,
             text=log("+ kubectl get secrets", 'Error from server (Forbidden): secrets is forbidden: User "u" cannot '
                      'list resource "secrets" in API group "" in the namespace "n"')), "permission", "rbac"),
    ("a failure at the end of a long line without newlines (a progress bar) is read",
     _bundle(pod(container("backup", terminated(exit_code=6))), job_=FAILED,
             text=log("+ curl -o /tmp/mc https://dl.min.io/mc", "#" * 20_000 + " curl: (6) Could not resolve host: "
                      "dl.min.io")), "network", "dns"),
    ("retry success is success",
     _bundle(pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), name="a"),
             pod(container("backup", terminated(reason="Completed", exit_code=0)), name="b", phase="Succeeded"),
             job_=job(failed=1, succeeded=1, conditions=job_complete())), "success", "retried"),
])
def test_hard_cases(name: str, bundle: Bundle, verdict: str, detail: str | None) -> None:
    got = analyze(bundle)
    assert (got.verdict, got.detail) == (verdict, detail), got.summary


def test_retry_success_names_the_earlier_failure_in_a_note() -> None:
    got = analyze(_bundle(pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), name="a"),
                          job_=job(failed=1, succeeded=1, conditions=job_complete())))
    assert got.findings[1].verdict == "oom"
    assert any(n.startswith("an earlier attempt failed: oom") for n in got.notes)


def test_summary_names_the_failed_step() -> None:
    text = log("+ apk add curl", "++ curl -L -s https://dl.k8s.io/release/stable.txt",
               "+ curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl")
    got = analyze(_bundle(pod(container("backup", terminated(reason="OOMKilled", exit_code=137))), job_=FAILED,
                          text=text))
    assert "during `curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl`" in got.summary


def test_netpol_without_egress_rule_for_the_peer_is_named() -> None:
    deny = netpol("deny-all-egress", egress=[])
    text = log("+ mc ls backup/", "mc: <ERROR> Unable to list. Get \"http://minio.minio.svc.cluster.local:9000/\": "
               "dial tcp 10.43.12.7:9000: i/o timeout")
    got = analyze(_bundle(pod(container("backup", terminated(exit_code=1))), job_=FAILED, text=text,
                          networkpolicies=[deny]))
    assert (got.verdict, got.detail) == ("network", "netpol")
    assert "deny-all-egress" in got.summary
    assert any("port: 9000" in r for r in got.remediation)
    # The rule to add opens the way to the service's namespace (from its DNS name), not to the pod's own.
    assert any("kubernetes.io/metadata.name: minio" in r for r in got.remediation)


def test_netpol_that_allows_the_peer_is_not_blamed() -> None:
    allow = netpol("allow-minio", egress=[{"to": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "minio"}}}], "ports": [{"protocol": "TCP", "port": 9000}]}])
    text = log("dial tcp 10.43.12.7:9000: connect: connection refused")
    got = analyze(_bundle(pod(container("backup", terminated(exit_code=1))), job_=FAILED, text=text,
                          networkpolicies=[allow]))
    assert (got.verdict, got.detail) == ("network", "refused")


def _run(variant: str, limit: str, outcome: str, *, reason: str | None = None, peak: int | None = None) -> DebugRun:
    return DebugRun(
        job=f"tf-state-backup-doctor-{variant.lower()}",
        variant=variant,
        memory_limit=limit,
        outcome=outcome,
        reason=reason,
        exit_code=137 if reason == "OOMKilled" else (0 if outcome == "succeeded" else 1),
        peak_memory_bytes=peak,
    )


def _ok_bundle(limit: str = "512Mi") -> Bundle:
    return _bundle(pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded",
                       memory_limit=limit), job_=job(succeeded=1, conditions=job_complete(), memory_limit=limit))


def _oom_bundle() -> Bundle:
    return _bundle(pod(container("backup", terminated(reason="OOMKilled", exit_code=137))), job_=FAILED)


def test_original_oomkilled_and_raised_succeeded_is_oom_high_confidence() -> None:
    got = analyze_runs([(_run("original", "128Mi", "failed", reason="OOMKilled", peak=134 * MI), _oom_bundle()),
                        (_run("512Mi", "512Mi", "succeeded", peak=180 * MI), _ok_bundle())],
                       original_limit_bytes=128 * MI)
    assert got.verdict == "oom" and got.confidence >= 0.95
    assert [r.verdict for r in got.runs] == ["oom", "success"]
    assert "320Mi" in " ".join(got.remediation)  # 180Mi x1.5 = 270Mi, rounded up to 64Mi


@pytest.mark.parametrize(("peak", "verdict", "confidence"), [
    (180 * MI, "oom", 0.9),
    (70 * MI, "success", 0.8),
    (None, "oom", 0.6),
])
def test_raised_run_succeeds_peak_decides(peak: int | None, verdict: str, confidence: float) -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=peak), _ok_bundle())],
                       original_limit_bytes=128 * MI)
    assert (got.verdict, got.confidence) == (verdict, confidence)
    if peak is None:
        assert any("--memory original,512Mi --runs 3" in r for r in got.remediation)
    if verdict == "success":
        assert "not memory" in got.summary and "--runs" in " ".join(got.remediation)


def test_original_failing_on_network_with_low_peak_keeps_its_own_cause() -> None:
    text = log("+ curl -sSLo /tmp/mc https://dl.min.io/mc", "curl: (6) Could not resolve host: dl.min.io")
    failed = _bundle(pod(container("backup", terminated(exit_code=6))), job_=FAILED, text=text)
    got = analyze_runs([(_run("original", "128Mi", "failed", peak=60 * MI), failed),
                        (_run("512Mi", "512Mi", "succeeded", peak=70 * MI), _ok_bundle())],
                       original_limit_bytes=128 * MI)
    assert (got.verdict, got.detail) == ("network", "dns")
    assert any("not memory" in n for n in got.notes)


def test_analyze_with_runs_from_diagnose() -> None:
    got = analyze(_oom_bundle(), runs=[_run("original", "128Mi", "failed", reason="OOMKilled"),
                                       _run("512Mi", "512Mi", "succeeded", peak=150 * MI)])
    assert got.verdict == "oom" and len(got.runs) == 2


def test_registry_order_is_stable() -> None:
    assert [r.id for r in RULES] == ["success", "oom", "deadline", "eviction", "image-pull", "scheduling", "config",
                                     "permission", "network", "script-error", "silent"]


def _record(*, failed: bool) -> Bundle:
    """A single diagnose run's bundle: the run itself plus the CronJob and its Jobs on record."""
    from tests.builders import cronjob

    history = [job("tf-state-backup-29565000", succeeded=1, conditions=job_complete())]
    if failed:
        history.append(job("tf-state-backup-29565060", failed=1, conditions=job_failed()))
    ok = _ok_bundle()
    ok.cronjob = cronjob()
    ok.jobs = history
    return ok


def test_no_failure_on_record_and_every_run_succeeding_is_success_with_a_note() -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=None), _record(failed=False))],
                       original_limit_bytes=128 * MI)
    assert (got.verdict, got.exit_code) == ("success", 0)
    assert any("nothing failed" in n for n in got.notes)
    assert not got.remediation


def test_a_peak_above_the_original_limit_is_no_alarm_without_a_failure_to_explain() -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=300 * MI), _record(failed=False))],
                       original_limit_bytes=128 * MI)
    assert got.verdict == "success"
    assert any("page cache" in n for n in got.notes)


def test_a_failure_on_record_lets_the_unmeasured_raised_run_point_at_memory() -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=None), _record(failed=True))],
                       original_limit_bytes=128 * MI)
    assert (got.verdict, got.detail) == ("oom", "unmeasured")


def test_the_caller_can_say_there_is_no_failure_on_record() -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=None), _ok_bundle())],
                       original_limit_bytes=128 * MI, on_record=False)
    assert got.verdict == "success"


def test_no_runner_up_has_more_confidence_than_the_headline() -> None:
    got = analyze_runs([(_run("512Mi", "512Mi", "succeeded", peak=None), _ok_bundle())],
                       original_limit_bytes=128 * MI)
    assert got.verdict == "oom" and got.confidence == 0.6
    assert all(f.confidence <= got.confidence for f in got.findings)
    failed_job = Bundle(job=FAILED, failed_jobs=[_oom_bundle()], pods=_ok_bundle().pods)
    earlier = analyze(failed_job)
    assert all(f.confidence <= earlier.confidence for f in earlier.findings)
