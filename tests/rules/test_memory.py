"""Memory in all its forms, `detail` saying which: container, init, child, node, runtime, exit-137; and 137 that
something else explains is not memory."""

from __future__ import annotations

import pytest

from tests.builders import container, event, job, job_failed, log, pod, terminated, waiting
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
