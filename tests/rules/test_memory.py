"""Memory in all its forms, `detail` saying which: container, init, child, node, runtime, exit-137; and 137 that
something else explains is not memory."""

from __future__ import annotations

import pytest

from tests.builders import T1, container, event, job, job_failed, log, pod, terminated, waiting
from tests.rules._bundles import FAILED, answer, verdict_of

KILLED = container("backup", terminated(reason="Error", exit_code=137))
STARTED = event("Started", "Started container backup", type_="Normal")


def test_oomkilled_with_the_main_process_own_exit_code_is_a_child() -> None:
    p = pod(container("backup", terminated(reason="OOMKilled", exit_code=1)))
    assert answer(p, job_=FAILED, logs={"backup": log("Killed", "137", "oom_kill 1")}) == ("oom", "child")


def test_init_container_oomkilled_is_init() -> None:
    p = pod(container("lib-init", terminated(reason="OOMKilled", exit_code=137), init=True),
            container("app", waiting("PodInitializing")))
    assert answer(p, job_=FAILED) == ("oom", "init")


@pytest.mark.parametrize(("line", "fix"), [
    ("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space", "MaxRAMPercentage"),
    ("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", "max-old-space-size"),
    ("fatal error: runtime: out of memory", "GOMEMLIMIT"),
    ("java.lang.IllegalArgumentException: System memory 466092032 must be at least 471859200. Please increase heap "
     "size using the --driver-memory option", "spark.driver.memory"),
    ("Unhandled exception. System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
     "GCHeapHardLimit"),
])
def test_a_runtime_oom_is_runtime_and_its_fix_is_the_heap_setting(line: str, fix: str) -> None:
    p = pod(container("backup", terminated(reason="Error", exit_code=1)))
    got = verdict_of(p, job_=FAILED, logs={"backup": log("starting", line)})
    assert (got.verdict, got.detail) == ("oom", "runtime")
    assert fix in got.remediation[0]


def test_node_system_oom_explains_a_137() -> None:
    node = event("SystemOOM", "System OOM encountered, victim process: sync, pid: 4242", kind="Node", name="node-2")
    assert answer(pod(KILLED), job_=FAILED, events=[node]) == ("oom", "node")


def _at(event_: dict, first: str, last: str) -> dict:
    return {**event_, "firstTimestamp": first, "lastTimestamp": last}


NODE_OOM = event("SystemOOM", "System OOM encountered, victim process: curl, pid: 4242", kind="Node", name="node-2")


def test_a_node_oom_before_the_container_started_does_not_explain_its_137() -> None:
    """A node event names no container: on cgroup v2 nodes another pod's own OOM kill shows as SystemOOM too."""
    earlier = _at(NODE_OOM, "2026-03-20T01:50:00Z", "2026-03-20T01:51:00Z")
    assert answer(pod(KILLED), job_=FAILED, events=[STARTED, earlier]) == ("oom", "exit-137")
    during = _at(NODE_OOM, "2026-03-20T02:00:40Z", "2026-03-20T02:00:40Z")
    assert answer(pod(KILLED), job_=FAILED, events=[STARTED, during]) == ("oom", "node")


def test_a_node_oom_does_not_explain_an_exit_code_of_the_scripts_own() -> None:
    timed_out = container("backup", terminated(reason="Error", exit_code=28))
    logs = {"backup": log("curl: (28) Failed to connect to dl.min.io port 443 after 130012 ms: Timeout was reached")}
    assert answer(pod(timed_out), job_=FAILED, events=[NODE_OOM], logs=logs)[0] == "network"


def test_the_job_controller_stopping_the_pod_explains_the_137_not_the_node() -> None:
    """What `record` saw of a restartPolicy OnFailure run: curl timed out (exit 28), the container restarted,
    and the Job controller deleted the pod at BackoffLimitExceeded (exit 137), after another pod's OOM kill had
    put a SystemOOM event on the node."""
    stopped = container("backup", terminated(reason="Error", exit_code=137, started="2026-03-20T02:01:00Z",
                                             finished="2026-03-20T02:01:30Z"),
                        last=terminated(reason="Error", exit_code=28, finished="2026-03-20T02:00:50Z"), restarts=2)
    killing = _at(event("Killing", "Stopping container backup", type_="Normal"), T1, T1)
    node = _at(NODE_OOM, "2026-03-20T02:00:10Z", "2026-03-20T02:00:20Z")
    logs = {"backup": log("curl: (28) Failed to connect to dl.min.io port 443 after 130012 ms: Timeout was reached")}
    got = verdict_of(pod(stopped), job_=FAILED, events=[STARTED, node, killing], logs=logs)
    assert (got.verdict, got.detail) == ("network", "timeout")


def test_137_that_no_probe_deadline_or_deletion_explains_is_exit_137() -> None:
    got = verdict_of(pod(KILLED), job_=FAILED, events=[STARTED])
    assert (got.verdict, got.detail) == ("oom", "exit-137")
    assert any("--memory original,512Mi" in r for r in got.remediation)


def test_137_without_events_is_still_memory_when_the_pod_rules_out_the_rest() -> None:
    got = verdict_of(pod(KILLED), job_=FAILED)
    assert (got.verdict, got.detail) == ("oom", "exit-137")
    assert got.confidence < verdict_of(pod(KILLED), job_=FAILED, events=[STARTED]).confidence


def test_137_with_a_liveness_probe_in_the_spec_and_no_events_is_not_proof_of_an_oom() -> None:
    p = pod(KILLED)
    p["spec"]["containers"][0]["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
    assert answer(p, job_=FAILED)[0] == "unknown"


@pytest.mark.parametrize(("name", "kw", "expected"), [
    ("liveness probe", {"events": [STARTED, event("Killing", "Container backup failed liveness probe, will be "
                                                               "restarted", type_="Normal")]}, "config"),
    ("deadline", {"job_": job(failed=1, conditions=job_failed("DeadlineExceeded"), active_deadline=60),
                  "events": [STARTED]}, "deadline"),
    ("deletion", {"events": [STARTED, event("Killing", "Stopping container backup", type_="Normal")]}, "eviction"),
])
def test_137_that_something_else_explains_is_not_memory(name: str, kw: dict, expected: str) -> None:
    kw.setdefault("job_", FAILED)
    p = pod(KILLED, deleted=name == "deletion")
    assert answer(p, **kw)[0] == expected, name
