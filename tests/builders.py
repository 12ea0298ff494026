"""Dict builders for Kubernetes objects as the API returns them (camelCase, like `kubectl get -o json`).

`pod(container("backup", terminated(reason="OOMKilled", exit_code=137)))` reads like the fact it states. Builders
only build data; tests and the corpus generator decide what it means.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

NS = "tofu-state"
CRONJOB = "tf-state-backup"
T0 = "2026-03-20T02:00:00Z"
T1 = "2026-03-20T02:01:30Z"
SCRIPT = ("set -e\napk add --no-cache curl\n"
          "curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n"
          "curl -sSLo /tmp/kubectl https://dl.k8s.io/release/$(curl -L -s https://dl.k8s.io/release/stable.txt)"
          "/bin/linux/amd64/kubectl\nchmod +x /tmp/mc /tmp/kubectl\n/tmp/kubectl get secrets -n tofu-state -o json "
          "> /tmp/state.json\n/tmp/mc cp /tmp/state.json backup/tf-state-backups/\n")


def terminated(*, reason: str | None = "Error", exit_code: int = 1, message: str | None = None,
               started: str = T0, finished: str = T1) -> dict[str, Any]:
    out: dict[str, Any] = {"terminated": {"exitCode": exit_code, "startedAt": started, "finishedAt": finished,
                                          "containerID": "containerd://1f2e3d"}}
    if reason is not None:
        out["terminated"]["reason"] = reason
    if message is not None:
        out["terminated"]["message"] = message
    return out


def waiting(reason: str, message: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"waiting": {"reason": reason}}
    if message:
        out["waiting"]["message"] = message
    return out


def running(started: str = T0) -> dict[str, Any]:
    return {"running": {"startedAt": started}}


def container(name: str, state: dict[str, Any] | None = None, *, last: dict[str, Any] | None = None,
              restarts: int = 0, image: str = "alpine:3.20", init: bool = False) -> dict[str, Any]:
    """A container status (state, lastState); `init=True` puts it under initContainerStatuses."""
    status: dict[str, Any] = {"name": name, "image": image, "imageID": "", "ready": False, "restartCount": restarts,
                              "started": False, "state": state or running(), "lastState": last or {}}
    return {"_init": init, "status": status}


def condition(type_: str, status: str = "True", reason: str | None = None, message: str | None = None,
              at: str = T1) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type_, "status": status, "lastTransitionTime": at}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def pod(
    *containers: dict[str, Any],
    name: str = "tf-state-backup-29565120-x7k2p",
    job: str = "tf-state-backup-29565120",
    phase: str = "Failed",
    reason: str | None = None,
    message: str | None = None,
    conditions: list[dict[str, Any]] | None = None,
    memory_limit: str | None = "128Mi",
    labels: dict[str, str] | None = None,
    deleted: bool = False,
    namespace: str = NS,
    script: str = SCRIPT,
    service_account: str = "tf-backup",
) -> dict[str, Any]:
    """A v1 Pod of a CronJob's Job with the given container statuses."""
    specs, inits, statuses, init_statuses = [], [], [], []
    for c in containers or (container("backup"),):
        st = c["status"]
        spec: dict[str, Any] = {"name": st["name"], "image": st["image"], "command": ["/bin/sh", "-c", script]}
        if memory_limit:
            spec["resources"] = {"limits": {"memory": memory_limit}, "requests": {"memory": "64Mi", "cpu": "50m"}}
        (inits if c["_init"] else specs).append(spec)
        (init_statuses if c["_init"] else statuses).append(st)
    all_labels = {"batch.kubernetes.io/job-name": job, "job-name": job, "app": CRONJOB,
                  "batch.kubernetes.io/controller-uid": "5a1d", "controller-uid": "5a1d"}
    all_labels.update(labels or {})
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": all_labels,
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job,
                                                 "controller": True, "uid": "5a1d"}],
                            "creationTimestamp": T0}
    if deleted:
        meta["deletionTimestamp"] = T1
        meta["deletionGracePeriodSeconds"] = 30
    status: dict[str, Any] = {"phase": phase, "conditions": conditions or [], "containerStatuses": statuses,
                              "startTime": T0}
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    spec_out: dict[str, Any] = {"containers": specs, "restartPolicy": "Never", "serviceAccountName": service_account,
                                "nodeName": "node-2"}
    if inits:
        spec_out["initContainers"] = inits
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec_out, "status": status}


def job(name: str = "tf-state-backup-29565120", *, failed: int = 0, succeeded: int = 0,
        conditions: list[dict[str, Any]] | None = None, start: str = T0, end: str | None = T1,
        active_deadline: int | None = None, backoff_limit: int = 2, memory_limit: str = "128Mi",
        namespace: str = NS, cronjob: str = CRONJOB, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A batch/v1 Job owned by a CronJob."""
    spec: dict[str, Any] = {"backoffLimit": backoff_limit, "template": {
        "metadata": {"labels": {"app": CRONJOB, **(labels or {})}},
        "spec": {"restartPolicy": "OnFailure", "serviceAccountName": "tf-backup", "containers": [
            {"name": "backup", "image": "alpine:3.20", "command": ["/bin/sh", "-c", SCRIPT],
             "resources": {"limits": {"memory": memory_limit}, "requests": {"memory": "64Mi", "cpu": "50m"}}}]}}}
    if active_deadline is not None:
        spec["activeDeadlineSeconds"] = active_deadline
    status: dict[str, Any] = {"startTime": start, "conditions": conditions or []}
    if failed:
        status["failed"] = failed
    if succeeded:
        status["succeeded"] = succeeded
    if end and any(c.get("type") == "Complete" for c in conditions or []):
        status["completionTime"] = end
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": start,
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob,
                                              "controller": True, "uid": "c0"}]},
            "spec": spec, "status": status}


def job_failed(reason: str = "BackoffLimitExceeded", message: str = "Job has reached the specified backoff limit",
               at: str = T1) -> list[dict[str, Any]]:
    """The conditions of a failed Job (FailureTarget, then Failed, as Kubernetes 1.31+ writes them)."""
    return [condition("FailureTarget", reason=reason, message=message, at=at),
            condition("Failed", reason=reason, message=message, at=at)]


def job_complete(at: str = T1) -> list[dict[str, Any]]:
    return [condition("SuccessCriteriaMet", reason="CompletionsReached", message="Reached expected number of "
                      "succeeded pods", at=at),
            condition("Complete", reason="CompletionsReached", message="Reached expected number of succeeded "
                      "pods", at=at)]


def event(reason: str, message: str, *, kind: str = "Pod", name: str = "tf-state-backup-29565120-x7k2p",
          type_: str = "Warning", count: int = 1, namespace: str = NS, new_api: bool = False,
          component: str = "kubelet") -> dict[str, Any]:
    """A core/v1 Event, or (new_api=True) its events.k8s.io/v1 shape (regarding/note/series)."""
    obj = {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1" if kind == "Pod" else "batch/v1"}
    if new_api:
        out: dict[str, Any] = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "regarding": obj, "note": message,
                               "reason": reason, "type": type_, "reportingController": component,
                               "eventTime": T1, "metadata": {"name": f"{name}.17f", "namespace": namespace}}
        if count > 1:
            out["series"] = {"count": count, "lastObservedTime": T1}
        return out
    return {"apiVersion": "v1", "kind": "Event", "involvedObject": obj, "message": message, "reason": reason,
            "type": type_, "count": count, "source": {"component": component},
            "firstTimestamp": T0, "lastTimestamp": T1, "metadata": {"name": f"{name}.17f", "namespace": namespace}}


def cronjob(name: str = CRONJOB, *, namespace: str = NS, memory_limit: str = "128Mi", schedule: str = "0 2 * * *",
            active_deadline: int | None = None) -> dict[str, Any]:
    """A batch/v1 CronJob like the incident's."""
    job_spec = job(memory_limit=memory_limit, active_deadline=active_deadline)["spec"]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1,
                     "successfulJobsHistoryLimit": 3, "jobTemplate": {"spec": job_spec}}}


def netpol(name: str, *, pod_labels: dict[str, str] | None = None, egress: list[dict[str, Any]] | None = None,
           types: tuple[str, ...] = ("Egress",), namespace: str = NS) -> dict[str, Any]:
    """A networking.k8s.io/v1 NetworkPolicy."""
    spec: dict[str, Any] = {"podSelector": {"matchLabels": pod_labels} if pod_labels else {},
                            "policyTypes": list(types)}
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def log(*lines: str, start: str = "2026-03-20T02:00:01", step: float = 0.5) -> str:
    """Log text with kubelet timestamps (timestamps=true), one per line."""
    base = datetime.fromisoformat(start)
    out = []
    for i, line in enumerate(lines):
        stamp = (base + timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
        out.append(f"{stamp} {line}")
    return "\n".join(out) + "\n"
