"""What a Job's pods say: which pods belong to it, how each container ended or why it waits, which logs the
kubelet still holds, and the most telling state to show.

Facts Kubernetes fixes: the Job controller labels its pods `batch.kubernetes.io/job-name` and
`batch.kubernetes.io/controller-uid` (1.27+; the legacy `job-name` and `controller-uid` too). No Pod event is
emitted for an OOM kill: the evidence is `state.terminated` / `lastState.terminated` with reason OOMKilled, and
only while the pod exists. With restartPolicy OnFailure a container restarts in the same pod and only one
previous log survives. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cronjob_doctor.k8s.objects import (
    Obj,
    as_dict,
    as_dicts,
    created_time,
    int_field,
    labels_of,
    meta,
    name_of,
    namespace_of,
    owner_references,
    status,
    uid_of,
)
from cronjob_doctor.k8s.time import EPOCH

JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
CONTROLLER_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
STARTING_REASONS = ("ContainerCreating", "PodInitializing")
"""Waiting reasons of a container on its way to running: nothing wrong yet."""


def job_selectors(job_name: str) -> tuple[str, ...]:
    """Label selectors for a Job's pods, newest label first (the legacy one for clusters before 1.27)."""
    return tuple(f"{label}={job_name}" for label in JOB_NAME_LABELS)


def container_statuses(pod: Any) -> Iterator[tuple[Obj, bool]]:
    """(status, is_init) for every container status, init containers first as they run first."""
    pod_status = status(pod)
    for item in as_dicts(pod_status.get("initContainerStatuses")):
        yield item, True
    for item in as_dicts(pod_status.get("containerStatuses")):
        yield item, False


def container_state(pod: Any, container: str) -> Obj:
    """The `state` of a container (init, regular or ephemeral) in a pod's status, {} when not reported yet."""
    pod_status = status(pod)
    for field in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for entry in as_dicts(pod_status.get(field)):
            if entry.get("name") == container:
                return as_dict(entry.get("state"))
    return {}


def is_native_sidecar(pod: Any, container: str) -> bool:
    """An init container with restartPolicy Always (1.29+): it runs beside the app and is stopped at the end."""
    for item in as_dicts(as_dict(pod.get("spec") if isinstance(pod, dict) else None).get("initContainers")):
        if item.get("name") == container:
            return item.get("restartPolicy") == "Always"
    return False


@dataclass(frozen=True)
class Termination:
    """A container's `state.terminated` (or `lastState.terminated`: the previous instance)."""

    pod: str
    container: str
    reason: str | None
    exit_code: int | None
    message: str | None = None
    init: bool = False
    last_state: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    container_id: str | None = None

    @property
    def failed(self) -> bool:
        """A non-zero exit or a named reason other than Completed."""
        return self.exit_code not in (0, None) or (self.reason or "") not in ("", "Completed")

    def describe(self) -> str:
        kind = "init container" if self.init else "container"
        state = "lastState terminated" if self.last_state else "terminated"
        code = f" (exit {self.exit_code})" if self.exit_code is not None else ""
        msg = f": {self.message.strip()}" if self.message and self.message.strip() else ""
        return f"pod {self.pod} {kind} {self.container} {state} {self.reason or 'without a reason'}{code}{msg}"


@dataclass(frozen=True)
class Waiting:
    """A container's `state.waiting` with a reason other than starting (ErrImagePull, CreateContainerConfigError)."""

    pod: str
    container: str
    reason: str
    message: str
    init: bool = False

    def describe(self) -> str:
        kind = "init container" if self.init else "container"
        msg = f": {self.message}" if self.message else ""
        return f"pod {self.pod} {kind} {self.container} waiting {self.reason}{msg}"


def terminations(pod: Any) -> list[Termination]:
    """Every termination the pod status still holds, current state before lastState, init containers first."""
    name = name_of(pod) or "?"
    out: list[Termination] = []
    for item, init in container_statuses(pod):
        container = str(item.get("name") or "?")
        for last, key in ((False, "state"), (True, "lastState")):
            terminated = as_dict(item.get(key)).get("terminated")
            if not isinstance(terminated, dict):
                continue
            out.append(Termination(
                pod=name, container=container, reason=_text(terminated.get("reason")),
                exit_code=int_field(terminated.get("exitCode")), message=_text(terminated.get("message")),
                init=init, last_state=last, started_at=_text(terminated.get("startedAt")),
                finished_at=_text(terminated.get("finishedAt")),
                container_id=_text(terminated.get("containerID")),
            ))
    return out


def waitings(pod: Any, *, starting: bool = False) -> list[Waiting]:
    """Containers waiting (the current state only) for a reason other than starting, or for any reason with
    `starting` (a pod stuck in ContainerCreating says something too: a volume that will not mount)."""
    name = name_of(pod) or "?"
    out = []
    for item, init in container_statuses(pod):
        waiting = as_dict(item.get("state")).get("waiting")
        if (
            isinstance(waiting, dict)
            and waiting.get("reason")
            and (starting or waiting["reason"] not in STARTING_REASONS)
        ):
            out.append(Waiting(name, str(item.get("name") or "?"), str(waiting["reason"]),
                               str(waiting.get("message") or ""), init))
    return out


def pod_reason(pod: Any) -> tuple[str | None, str | None]:
    """The pod's own status.reason and message (Evicted, DeadlineExceeded, NodeLost, Preempting, ...)."""
    pod_status = status(pod)
    return _text(pod_status.get("reason")), _text(pod_status.get("message"))


def phase(pod: Any) -> str:
    return str(status(pod).get("phase") or "")


def is_deleted(pod: Any) -> bool:
    """Deletion requested (graceful termination under way, or a finalizer holds it)."""
    return bool(meta(pod).get("deletionTimestamp"))


@dataclass(frozen=True)
class Failure:
    """The most telling failure of a set of pods: a container termination, a waiting reason or the pod's own."""

    pod: str
    container: str | None
    reason: str | None
    exit_code: int | None
    message: str | None = None


def failure(pods: Sequence[Any]) -> Failure | None:
    """Newest pod first: a failed termination (current, then last state), the pod's own reason, then a waiting
    reason (ImagePullBackOff, CreateContainerConfigError)."""
    for pod in reversed(pods):
        for item in terminations(pod):
            if item.failed:
                return Failure(item.pod, item.container, item.reason, item.exit_code, item.message)
        reason, message = pod_reason(pod)
        if reason:
            return Failure(name_of(pod), None, reason, None, message)
        for wait in waitings(pod):
            return Failure(wait.pod, wait.container, wait.reason, None, wait.message)
    return None


def restarts(pods: Iterable[Any]) -> int:
    """Container restarts inside the pods (restartPolicy OnFailure retries in place, not in new pods)."""
    return sum(int_field(item.get("restartCount")) or 0 for pod in pods for item, _ in container_statuses(pod))


def log_sources(pod: Any) -> list[tuple[str, bool]]:
    """(container, previous) for every log the kubelet still holds for this pod, init containers first and the
    previous instance before the current one (its lines are older): a container that started has a log; one
    that restarted (or has a lastState) also has the previous instance's."""
    out: list[tuple[str, bool]] = []
    for item, _init in container_statuses(pod):
        container = item.get("name")
        if not container:
            continue
        state = as_dict(item.get("state"))
        if as_dict(item.get("lastState")).get("terminated") or (int_field(item.get("restartCount")) or 0) > 0:
            out.append((str(container), True))
        if "running" in state or "terminated" in state:
            out.append((str(container), False))
    return out


def logs_available(pod: Any) -> bool:
    """The kubelet keeps a container's log while the pod exists and the container has started."""
    return bool(log_sources(pod))


def telling_state(pod: Any) -> str:
    """The phase, refined by the most telling container state (ImagePullBackOff, OOMKilled, ...), for display."""
    for item, _init in container_statuses(pod):
        state = as_dict(item.get("state"))
        waiting = as_dict(state.get("waiting"))
        if waiting.get("reason") and waiting["reason"] not in STARTING_REASONS:
            return str(waiting["reason"])
        terminated = as_dict(state.get("terminated"))
        if terminated.get("reason") and terminated.get("reason") != "Completed":
            return f"{status(pod).get('phase', 'Unknown')} ({terminated['reason']}, exit {terminated.get('exitCode')})"
    return str(status(pod).get("phase", "Pending"))


class PodIndex:
    """Pods grouped by their Job, built once so a scan over thousands of Jobs stays linear."""

    def __init__(self, pods: Iterable[Obj]) -> None:
        self._by_uid: dict[str, list[Obj]] = {}
        self._by_name: dict[tuple[str, str], list[Obj]] = {}
        self._by_name_without_uid: dict[tuple[str, str], list[Obj]] = {}
        for pod in pods:
            labels = labels_of(pod)
            uids = {labels.get(key) for key in CONTROLLER_UID_LABELS}
            uids |= {ref.get("uid") for ref in owner_references(pod)}
            uids.discard(None)
            for uid in uids:
                self._by_uid.setdefault(str(uid), []).append(pod)
            for job_name in {labels.get(key) for key in JOB_NAME_LABELS} - {None}:
                key = (namespace_of(pod), str(job_name))
                self._by_name.setdefault(key, []).append(pod)
                if not uids:
                    self._by_name_without_uid.setdefault(key, []).append(pod)

    def for_job(self, job: Any) -> list[Obj]:
        """The Job's pods, oldest first: by controller-uid label or ownerReference (a re-created Job of the same
        name has another uid), and by the job-name label for pods that carry no uid at all."""
        uid, key = uid_of(job), (namespace_of(job), name_of(job))
        if uid:
            found = self._by_uid.get(uid, []) + self._by_name_without_uid.get(key, [])
        else:
            found = self._by_name.get(key, [])
        unique = {(namespace_of(pod), name_of(pod)): pod for pod in found}
        return sorted(unique.values(), key=lambda pod: (created_time(pod) or EPOCH, name_of(pod)))


def pods_of(job: Any, pods: Iterable[Obj]) -> list[Obj]:
    """The Job's pods among `pods` (see PodIndex.for_job)."""
    return PodIndex(pods).for_job(job)


def job_name_of(pod: Any) -> str | None:
    """The Job a pod belongs to, from its labels."""
    labels = labels_of(pod)
    return next((labels[key] for key in JOB_NAME_LABELS if labels.get(key)), None)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
