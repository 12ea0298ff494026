"""Each kwok Stage of controlplane/stages/ gives pods the life its behaviour label names, on the real apiserver,
with the real Job controller reading the result."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from tests.controlplane import helpers
from tests.controlplane.helpers import (
    container_state,
    create_cronjob,
    create_job,
    create_job_from_cronjob,
    phase,
    terminated,
    wait_for,
    wait_for_job_condition,
    wait_for_pod,
    waiting_reason,
)

pytestmark = pytest.mark.controlplane


def test_the_cluster_is_kubernetes_1_37_with_three_ready_kwok_nodes(api_client: Any) -> None:
    version = client.VersionApi(api_client).get_code()
    assert version.git_version.startswith("v1.37."), version.git_version
    nodes = client.CoreV1Api(api_client).list_node().items
    assert len(nodes) == 3
    for node in nodes:
        ready = {c.type: c.status for c in node.status.conditions}["Ready"]
        assert ready == "True", node.metadata.name
        assert node.metadata.annotations["kwok.x-k8s.io/node"] == "fake"


def test_succeed_runs_then_completes_with_exit_0(api_client: Any, namespace: str) -> None:
    cronjob = create_cronjob(api_client, namespace, "nightly", "succeed")
    job = create_job_from_cronjob(api_client, cronjob)
    name = job.metadata.name
    running = wait_for_pod(api_client, namespace, name, lambda p: phase(p) == "Running", what="Running")
    assert container_state(running).ready is True
    assert container_state(running).state.running.started_at is not None
    done = wait_for_pod(api_client, namespace, name, lambda p: phase(p) == "Succeeded", what="Succeeded")
    state = terminated(done)
    assert (state.exit_code, state.reason) == (0, "Completed")
    assert state.finished_at >= state.started_at
    wait_for_job_condition(api_client, namespace, name, "Complete")
    # the pod carries the CronJob's template label, and the Job the controller's annotation and owner
    assert done.metadata.labels[helpers.BEHAVIOUR_LABEL] == "succeed"
    job = client.BatchV1Api(api_client).read_namespaced_job(name, namespace)
    assert helpers.SCHEDULED_TIMESTAMP_ANNOTATION in job.metadata.annotations
    assert job.metadata.owner_references[0].kind == "CronJob"


def test_a_job_pod_without_a_behaviour_label_completes(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "plain", None)
    done = wait_for_pod(api_client, namespace, "plain", lambda p: phase(p) == "Succeeded", what="Succeeded")
    assert terminated(done).exit_code == 0
    wait_for_job_condition(api_client, namespace, "plain", "Complete")


def test_error_exits_1_and_the_job_fails_with_backoff_limit_exceeded(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "broken", "error", backoff_limit=1)
    condition = wait_for_job_condition(api_client, namespace, "broken", "Failed")
    assert condition.reason == "BackoffLimitExceeded"
    pods = helpers.job_pods(api_client, namespace, "broken")
    assert len(pods) == 2  # backoffLimit 1: the first try and one retry
    for pod in pods:
        assert phase(pod) == "Failed"
        state = terminated(pod)
        assert (state.exit_code, state.reason) == (1, "Error")


def test_oom_below_threshold_is_oomkilled_at_128mi_and_succeeds_at_512mi(api_client: Any, namespace: str) -> None:
    cronjob = create_cronjob(api_client, namespace, "report", "oom-below-threshold",
                             memory_limit="128Mi", oom_below="256Mi")
    small = create_job_from_cronjob(api_client, cronjob, "report-128mi")

    def raise_memory(job: dict[str, Any]) -> None:  # what a debug Job with more memory does
        resources = job["spec"]["template"]["spec"]["containers"][0]["resources"]
        resources["limits"]["memory"] = resources["requests"]["memory"] = "512Mi"

    big = create_job_from_cronjob(api_client, cronjob, "report-512mi", mutate=raise_memory)

    failed = wait_for_pod(api_client, namespace, small.metadata.name, lambda p: phase(p) == "Failed", what="Failed")
    state = terminated(failed)
    assert (state.exit_code, state.reason) == (137, "OOMKilled")
    assert wait_for_job_condition(api_client, namespace, small.metadata.name, "Failed").reason == "BackoffLimitExceeded"

    done = wait_for_pod(api_client, namespace, big.metadata.name, lambda p: phase(p) == "Succeeded", what="Succeeded")
    assert (terminated(done).exit_code, terminated(done).reason) == (0, "Completed")
    assert done.metadata.annotations[helpers.OOM_BELOW_ANNOTATION] == "256Mi"
    wait_for_job_condition(api_client, namespace, big.metadata.name, "Complete")


@pytest.mark.parametrize(("limit", "expected"), [("255Mi", "OOMKilled"), ("256Mi", "Completed"), ("1Gi", "Completed"),
                                                  ("0.25Gi", "Completed"), ("268435455", "OOMKilled")])
def test_oom_threshold_compares_quantities_not_strings(
    api_client: Any, namespace: str, limit: str, expected: str
) -> None:
    create_job(api_client, namespace, "sized", "oom-below-threshold", memory_limit=limit, oom_below="256Mi",
               run_duration="100ms")
    pod = wait_for_pod(api_client, namespace, "sized", lambda p: phase(p) in ("Succeeded", "Failed"), what="finished")
    assert terminated(pod).reason == expected


def test_oom_below_threshold_without_a_limit_succeeds(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "unlimited", "oom-below-threshold", oom_below="256Mi", run_duration="100ms")
    pod = wait_for_pod(api_client, namespace, "unlimited", lambda p: phase(p) in ("Succeeded", "Failed"))
    assert terminated(pod).reason == "Completed"


def test_image_pull_backoff_stays_pending_in_image_pull_backoff(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "pull", "image-pull-backoff", image="registry.example/missing:404")
    pod = wait_for_pod(api_client, namespace, "pull", lambda p: waiting_reason(p) == "ImagePullBackOff",
                       what="ImagePullBackOff")
    assert phase(pod) == "Pending"
    assert 'Back-off pulling image "registry.example/missing:404"' in container_state(pod).state.waiting.message
    # it stays there: a Job created after it runs through every stage of its own life (kwok has moved on past
    # the stages' delays), and nothing has moved the pulling pod
    create_job(api_client, namespace, "witness", "succeed", run_duration="1s")
    wait_for_job_condition(api_client, namespace, "witness", "Complete")
    pod = client.CoreV1Api(api_client).read_namespaced_pod(pod.metadata.name, namespace)
    assert (phase(pod), waiting_reason(pod)) == ("Pending", "ImagePullBackOff")
    job = client.BatchV1Api(api_client).read_namespaced_job("pull", namespace)
    assert job.status.active == 1 and not job.status.conditions
    events = client.CoreV1Api(api_client).list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={pod.metadata.name}").items
    assert {"Scheduled", "Failed", "BackOff"} <= {event.reason for event in events}


def test_run_forever_is_stopped_by_active_deadline_seconds(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "forever", "run-forever", active_deadline_seconds=4)
    running = wait_for_pod(api_client, namespace, "forever", lambda p: phase(p) == "Running", what="Running")
    condition = wait_for_job_condition(api_client, namespace, "forever", "Failed", timeout=30)
    assert condition.reason == "DeadlineExceeded"
    # still running until the deadline (4 s after the Job started): never completed on its own
    assert running.status.container_statuses[0].state.running is not None
    # the Job controller deletes the pod; kwok terminates and removes it
    wait_for(lambda: not helpers.job_pods(api_client, namespace, "forever"), timeout=30, what="pod removed")


def test_restart_onfailure_restarts_in_place_until_the_backoff_limit(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "flaky", "restart-onfailure", restart_policy="OnFailure", backoff_limit=2,
               run_duration="1s")
    restarted = wait_for_pod(api_client, namespace, "flaky",
                             lambda p: bool(container_state(p) and container_state(p).restart_count >= 1),
                             what="restartCount >= 1")
    status = container_state(restarted)
    assert phase(restarted) == "Running"  # restarted in place: same pod, phase Running
    last = status.last_state.terminated
    assert (last.exit_code, last.reason) == (1, "Error")
    first_pod = restarted.metadata.uid
    again = wait_for_pod(api_client, namespace, "flaky",
                         lambda p: bool(container_state(p) and container_state(p).state.running
                                        and container_state(p).restart_count >= 1), what="running again")
    assert again.metadata.uid == first_pod
    condition = wait_for_job_condition(api_client, namespace, "flaky", "Failed", timeout=60)
    assert condition.reason == "BackoffLimitExceeded"


def test_restart_onfailure_under_restart_policy_never_fails_like_error(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "never", "restart-onfailure", restart_policy="Never", run_duration="100ms")
    pod = wait_for_pod(api_client, namespace, "never", lambda p: phase(p) == "Failed", what="Failed")
    assert (terminated(pod).exit_code, container_state(pod).restart_count) == (1, 0)
