"""Helpers for tests against the real control plane of scripts/controlplane (controlplane/README.md).

Everything waits on state, polling with a timeout; no fixed sleep orders anything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "controlplane"

BEHAVIOUR_LABEL = "controlplane.cronjob-doctor.dev/behaviour"
OOM_BELOW_ANNOTATION = "controlplane.cronjob-doctor.dev/oom-below"
RUN_DURATION_ANNOTATION = "controlplane.cronjob-doctor.dev/run-duration"
SCHEDULED_TIMESTAMP_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
BEHAVIOURS = ("succeed", "oom-below-threshold", "error", "image-pull-backoff", "run-forever", "restart-onfailure")

T = TypeVar("T")


def state_dir() -> Path:
    """The state folder of scripts/controlplane (same rule as the script)."""
    explicit = os.environ.get("CRONJOB_DOCTOR_CONTROLPLANE_STATE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "cronjob-doctor-controlplane"


@dataclass
class ControlPlane:
    """The running control plane: its admin kubeconfig, the built kubectl, the state folder."""

    kubeconfig: str
    kubectl_path: str
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def etcd_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.state['ports']['etcd']}"

    @property
    def logs_dir(self) -> Path:
        return state_dir() / "logs"


# ----------------------------------------------------------------------------------------------- waiting


class WaitTimeout(AssertionError):
    pass


def wait_for(
    check: Callable[[], T | bool | None], *, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"
) -> T:
    """Calls `check` until it returns something truthy and returns that; AssertionError after `timeout` s.

    `check` may raise kubernetes ApiException 404 while an object does not exist yet: that counts as falsy.
    """
    from kubernetes.client.exceptions import ApiException

    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except ApiException as error:
            if error.status != 404:
                raise
            last = None
        if last:
            return last  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------- manifests


def job_template(
    behaviour: str | None,
    *,
    image: str = "registry.example/cronjob-doctor/task:1.0",
    memory_limit: str | None = None,
    oom_below: str | None = None,
    run_duration: str | None = None,
    restart_policy: str = "Never",
    backoff_limit: int = 0,
    active_deadline_seconds: int | None = None,
    ttl_seconds_after_finished: int | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    container: str = "task",
) -> dict[str, Any]:
    """A Job spec template ({metadata, spec}) whose pods live the given behaviour (None: no label)."""
    pod_labels = dict(labels or {})
    if behaviour is not None:
        pod_labels[BEHAVIOUR_LABEL] = behaviour
    pod_annotations = dict(annotations or {})
    if oom_below is not None:
        pod_annotations[OOM_BELOW_ANNOTATION] = oom_below
    if run_duration is not None:
        pod_annotations[RUN_DURATION_ANNOTATION] = run_duration
    resources: dict[str, Any] = {}
    if memory_limit is not None:
        resources = {"requests": {"memory": memory_limit}, "limits": {"memory": memory_limit}}
    spec: dict[str, Any] = {
        "backoffLimit": backoff_limit,
        "template": {
            "metadata": {"labels": pod_labels, "annotations": pod_annotations},
            "spec": {
                "restartPolicy": restart_policy,
                "containers": [{"name": container, "image": image, "command": ["/bin/task"],
                                "resources": resources}],
            },
        },
    }
    if active_deadline_seconds is not None:
        spec["activeDeadlineSeconds"] = active_deadline_seconds
    if ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = ttl_seconds_after_finished
    return {"metadata": {"labels": dict(labels or {})}, "spec": spec}


def cronjob_manifest(
    name: str, behaviour: str | None, *, schedule: str = "0 0 1 1 *", suspend: bool = False, **template: Any
) -> dict[str, Any]:
    """A batch/v1 CronJob whose jobTemplate carries the behaviour label (template: see job_template)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": schedule,
            "suspend": suspend,
            "concurrencyPolicy": "Allow",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": job_template(behaviour, **template),
        },
    }


def create_cronjob(api_client: Any, namespace: str, name: str, behaviour: str | None, **kwargs: Any) -> Any:
    """Creates the CronJob of cronjob_manifest(); returns the created V1CronJob."""
    from kubernetes import client

    return client.BatchV1Api(api_client).create_namespaced_cron_job(
        namespace, cronjob_manifest(name, behaviour, **kwargs)
    )


def create_job_from_cronjob(
    api_client: Any,
    cronjob: Any,
    name: str | None = None,
    *,
    scheduled_time: dt.datetime | None = None,
    mutate: Callable[[dict[str, Any]], None] | None = None,
) -> Any:
    """Creates a Job the way the CronJob controller does: the jobTemplate's labels, annotations and spec, an
    ownerReference (controller) to the CronJob and the batch.kubernetes.io/cronjob-scheduled-timestamp
    annotation (RFC 3339). `mutate` may edit the Job dict before it is created (e.g. raise a memory limit)."""
    from kubernetes import client

    api = client.ApiClient() if api_client is None else api_client
    raw = api.sanitize_for_serialization(cronjob)
    when = (scheduled_time or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).replace(microsecond=0)
    template = raw["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name or f"{raw['metadata']['name']}-{int(when.timestamp()) // 60}",
            "namespace": raw["metadata"]["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "annotations": {**(meta.get("annotations") or {}),
                            SCHEDULED_TIMESTAMP_ANNOTATION: when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            "ownerReferences": [{
                "apiVersion": "batch/v1", "kind": "CronJob", "name": raw["metadata"]["name"],
                "uid": raw["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": template["spec"],
    }
    if mutate is not None:
        mutate(job)
    return client.BatchV1Api(api_client).create_namespaced_job(job["metadata"]["namespace"], job)


def create_job(api_client: Any, namespace: str, name: str, behaviour: str | None, **template: Any) -> Any:
    """A bare Job (no CronJob) with the behaviour label on its pod template (template: see job_template)."""
    from kubernetes import client

    body = job_template(behaviour, **template)
    body["metadata"]["name"] = name
    return client.BatchV1Api(api_client).create_namespaced_job(
        namespace, {"apiVersion": "batch/v1", "kind": "Job", **body}
    )


# ---------------------------------------------------------------------------------------------- waiting


def job_condition(job: Any, kind: str) -> Any | None:
    for condition in (job.status.conditions or []) if job and job.status else []:
        if condition.type == kind and condition.status == "True":
            return condition
    return None


def wait_for_job_condition(api_client: Any, namespace: str, name: str, kind: str, timeout: float = 60.0) -> Any:
    """Waits until Job NAME has condition KIND (Complete, Failed, ...) True; returns the condition."""
    from kubernetes import client

    batch = client.BatchV1Api(api_client)
    return wait_for(lambda: job_condition(batch.read_namespaced_job(name, namespace), kind),
                    timeout=timeout, what=f"Job {namespace}/{name} condition {kind}")


def job_pods(api_client: Any, namespace: str, job_name: str) -> list[Any]:
    from kubernetes import client

    return client.CoreV1Api(api_client).list_namespaced_pod(
        namespace, label_selector=f"batch.kubernetes.io/job-name={job_name}"
    ).items


def wait_for_pod(
    api_client: Any, namespace: str, job_name: str, predicate: Callable[[Any], bool], timeout: float = 60.0,
    what: str = "pod state",
) -> Any:
    """Waits until some pod of Job JOB_NAME satisfies `predicate`; returns that V1Pod."""
    def check() -> Any:
        return next((pod for pod in job_pods(api_client, namespace, job_name) if predicate(pod)), None)

    return wait_for(check, timeout=timeout, what=f"{what} of a pod of Job {namespace}/{job_name}")


def wait_for_jobs(
    api_client: Any, namespace: str, predicate: Callable[[list[Any]], bool] = bool, timeout: float = 90.0,
    label_selector: str | None = None,
) -> list[Any]:
    """Waits until the namespace's Jobs (optionally selected) satisfy `predicate` (default: there is one)."""
    from kubernetes import client

    batch = client.BatchV1Api(api_client)

    def check() -> list[Any] | None:
        jobs = batch.list_namespaced_job(namespace, label_selector=label_selector or "").items
        return jobs if predicate(jobs) else None

    return wait_for(check, timeout=timeout, what=f"Jobs in {namespace}")


def phase(pod: Any) -> str:
    return pod.status.phase if pod and pod.status else ""


def container_state(pod: Any, container: int = 0) -> Any | None:
    statuses = pod.status.container_statuses or [] if pod and pod.status else []
    return statuses[container] if len(statuses) > container else None


def terminated(pod: Any, container: int = 0) -> Any | None:
    status = container_state(pod, container)
    return status.state.terminated if status and status.state else None


def waiting_reason(pod: Any, container: int = 0) -> str | None:
    status = container_state(pod, container)
    return status.state.waiting.reason if status and status.state and status.state.waiting else None


# ------------------------------------------------------------------------------------------------- logs


def cri_log_lines(lines: Iterable[str], *, start: dt.datetime | None = None, step: float = 1.0,
                  stream: str = "stdout") -> str:
    """LINES in the CRI log file format kubelets write (and kwok reads): `<RFC3339Nano> <stream> F <text>`."""
    when = start or dt.datetime(2025, 1, 1, 0, 0, 0, tzinfo=dt.timezone.utc)
    out = []
    for i, text in enumerate(lines):
        stamp = (when + dt.timedelta(seconds=i * step)).astimezone(dt.timezone.utc)
        out.append(f"{stamp.strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {stream} F {text}\n")
    return "".join(out)


def write_cri_log(path: Path, lines: Iterable[str], **kwargs: Any) -> Path:
    """Writes LINES (see cri_log_lines) to PATH, creating its folder; returns PATH."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cri_log_lines(lines, **kwargs))
    return path


def append_cri_log(path: Path, lines: Iterable[str], **kwargs: Any) -> None:
    with path.open("a") as out:
        out.write(cri_log_lines(lines, start=kwargs.pop("start", dt.datetime.now(dt.timezone.utc)), **kwargs))


def cluster_logs_manifest(
    name: str, logs_file: Path, *, namespaces: Iterable[str] = (), pod_names: Iterable[str] = (),
    containers: Iterable[str] = (), previous_logs_file: Path | None = None,
) -> dict[str, Any]:
    """A kwok ClusterLogs: pods selected by namespace and/or exact name serve LOGS_FILE (and, for
    previous=true, PREVIOUS_LOGS_FILE) for CONTAINERS (all containers when empty)."""
    entry: dict[str, Any] = {"logsFile": str(logs_file), "follow": True}
    if containers:
        entry["containers"] = list(containers)
    if previous_logs_file is not None:
        entry["previousLogsFile"] = str(previous_logs_file)
    selector: dict[str, Any] = {}
    if namespaces:
        selector["matchNamespaces"] = list(namespaces)
    if pod_names:
        selector["matchNames"] = list(pod_names)
    return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs", "metadata": {"name": name},
            "spec": {"selector": selector, "logs": [entry]}}


def create_cluster_logs(api_client: Any, manifest: dict[str, Any]) -> None:
    from kubernetes import client

    client.CustomObjectsApi(api_client).create_cluster_custom_object(
        "kwok.x-k8s.io", "v1alpha1", "clusterlogs", manifest
    )


def delete_cluster_logs(api_client: Any, name: str) -> None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        client.CustomObjectsApi(api_client).delete_cluster_custom_object(
            "kwok.x-k8s.io", "v1alpha1", "clusterlogs", name)
    except ApiException as error:
        if error.status != 404:
            raise


def read_log(api_client: Any, namespace: str, pod: str, **query: Any) -> str:
    """GET pods/log through the apiserver (query: container, follow, timestamps, previous, tail_lines, ...)."""
    from kubernetes import client

    return client.CoreV1Api(api_client).read_namespaced_pod_log(pod, namespace, **query)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, indent=1)


def audited(logs_dir: Path, namespace: str, *, since: dt.datetime) -> list[dict[str, Any]]:
    """The audit events (ResponseComplete) since `since` of requests about `namespace` (and access reviews) made
    by a client, not by the control plane: `system:` users are its own components, and kwok-controller is the
    simulated kubelet (it writes the pods' status and the kubelet's events)."""
    out = []
    for line in (logs_dir / "audit.log").read_text().splitlines():
        event = json.loads(line)
        user = str(event["user"]["username"])
        if event.get("stage") != "ResponseComplete" or user.startswith("system:") or user == "kwok-controller":
            continue
        uri = str(event["requestURI"])
        if f"/namespaces/{namespace}/" not in uri and not uri.endswith("selfsubjectaccessreviews"):
            continue
        when = dt.datetime.fromisoformat(str(event["requestReceivedTimestamp"]).replace("Z", "+00:00"))
        if when >= since:
            out.append(event)
    return out
