"""Facts from the API's own shapes: lastState and init terminations, both event APIs, Job outcomes, trace, memory."""

from __future__ import annotations

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.rules.facts import _build, job_record
from tests.builders import (
    container,
    event,
    job,
    job_complete,
    job_failed,
    log,
    pod,
    terminated,
    waiting,
)


def test_last_state_and_init_terminations_are_facts() -> None:
    p = pod(container("fetch", terminated(reason="OOMKilled", exit_code=137), init=True),
            container("backup", waiting("CrashLoopBackOff"), last=terminated(reason="Error", exit_code=1)))
    facts = _build(Bundle(pods=[p]))
    got = {(t.container, t.init, t.last_state, t.reason) for t in facts.terminations}
    assert got == {("fetch", True, False, "OOMKilled"), ("backup", False, True, "Error")}
    assert [w.reason for w in facts.waiting] == ["CrashLoopBackOff"]


def test_events_of_both_apis_normalise_alike() -> None:
    core = event("FailedScheduling", "0/3 nodes are available", count=4)
    new = event("FailedScheduling", "0/3 nodes are available", count=4, new_api=True)
    facts = _build(Bundle(events=[core, new]))
    assert [(e.reason, e.message, e.kind, e.count) for e in facts.events] == [
        ("FailedScheduling", "0/3 nodes are available", "Pod", 4)] * 2


def test_job_with_failed_pods_and_complete_condition_succeeded() -> None:
    record = job_record(job(failed=1, succeeded=1, conditions=job_complete()))
    assert (record.outcome, record.failed_pods) == ("succeeded", 1)


def test_job_failed_reason_and_duration() -> None:
    record = job_record(job(failed=1, conditions=job_failed("DeadlineExceeded", at="2026-03-20T02:10:00Z"),
                            start="2026-03-20T02:00:00Z"))
    assert (record.outcome, record.reason, record.duration_seconds) == ("failed", "DeadlineExceeded", 600.0)


def test_trace_lines_with_depth_and_memory_samples_against_limit() -> None:
    text = log("+ apk add curl", "##cronjob-doctor-mem sampler=t1 current=1000 peak=5000",
               "++ curl -s https://x/stable.txt", "+ curl -o /tmp/k https://x/k", "curl: (6) Could not resolve host: x")
    facts = _build(Bundle(pods=[pod()], logs=[LogFile(pod="p", container="backup", text=text)],
                          meta={"sampler_token": "t1"}))
    assert [(t.depth, t.command, t.number) for t in facts.trace] == [
        (1, "apk add curl", 1), (2, "curl -s https://x/stable.txt", 3), (1, "curl -o /tmp/k https://x/k", 4)]
    assert facts.peak_memory_bytes == 5000
    assert facts.memory_limit_bytes == 128 * 1024 * 1024
    match = facts.matches[0]
    assert (match.signature.id, match.where) == ("curl-6", "logs/p/backup.log:5")
    before = facts.trace_before(match.log_key, match.number)
    assert before is not None and before.command == "curl -o /tmp/k https://x/k"


def test_original_limit_from_meta_overrides_raised_spec() -> None:
    facts = _build(Bundle(pods=[pod(memory_limit="512Mi")], meta={"original_limits": {"backup": "128Mi"}}))
    assert (facts.memory_limit_bytes, facts.original_limit_bytes) == (512 * 1024**2, 128 * 1024**2)


def test_script_options_say_whether_a_failure_stops_the_script() -> None:
    from cronjob_doctor.k8s.shell import ShellScript, script_options

    strict = script_options(ShellScript("set -euo pipefail\npg_dump db | gzip > /b/db.gz", "args", 0, "bash"))
    loose = script_options(ShellScript("pg_dump db | gzip > /b/db.gz || true", "args", 0, "sh", flags="ec"))
    assert (strict.errexit, strict.pipefail, strict.pipeline) == (True, True, True)
    assert (loose.errexit, loose.pipefail, loose.pipeline) == (True, False, True)
    assert not script_options(ShellScript("a || b && c", "args", 0, "sh")).pipeline
