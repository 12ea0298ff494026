"""The kubelet's bookkeeping for one pod and its containers, and the pod status built from it.

Status shapes follow the kubelet: container state waiting/running/terminated with lastState, restartCount and
containerID per instance; pod conditions PodReadyToStartContainers, Initialized, Ready, ContainersReady,
PodScheduled. Nothing here touches timers or writes to the store.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import scenarios
from .store import Obj, Store, now_rfc3339

if TYPE_CHECKING:
    from .cluster import Timer

NODE_IP = "10.0.0.11"
_CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


@dataclass(eq=False)
class ContainerRun:
    """One container across its instances (restarts keep the status, a new instance gets a new containerID)."""

    spec: dict[str, Any]
    init: bool
    target: bool
    active: bool = False  # pulling, creating or running
    running: bool = False
    finished: bool = False  # terminated and not going to restart
    succeeded: bool = False
    waiting: tuple[str, str] | None = None
    restarts: int = 0
    pull_failures: int = 0
    instance: int = 0
    container_id: str = ""
    started_at: str = ""
    terminated: dict[str, Any] | None = None
    last_terminated: dict[str, Any] | None = None
    memory: int = 0
    peak: int = 0
    limit: int | None = None
    timeline: list[scenarios.Step] = field(default_factory=list)
    position: int = 0
    exit_code: int | None = 0
    sampler: bool = False
    sampler_token: str = ""
    next_sample: float = 0.0
    t0: float = 0.0

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    def sampler_line(self) -> str:
        """The sampler's line for this instance's memory now."""
        return scenarios.sampler_line(self.memory, self.peak, self.sampler_token)

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    def new_instance(self, container_id: str) -> None:
        if self.terminated is not None:
            self.last_terminated = self.terminated
        self.terminated = None
        self.container_id = container_id
        self.instance += 1
        self.running = True
        self.finished = False
        self.waiting = None
        self.started_at = now_rfc3339()
        self.position = 0
        self.memory = self.peak = 0  # a new container instance has a new cgroup
        self.next_sample = 0.0

    def terminate(self, code: int, reason: str) -> None:
        self.running = False
        self.active = False
        self.finished = True
        self.succeeded = code == 0
        self.waiting = None
        self.terminated = {
            "exitCode": code,
            "reason": reason,
            "startedAt": self.started_at,
            "finishedAt": now_rfc3339(),
            "containerID": f"containerd://{self.container_id}",
        }

    def status(self, pod_initializing: bool) -> dict[str, Any]:
        image = str(self.spec.get("image", ""))
        state: dict[str, Any]
        if self.running:
            state = {"running": {"startedAt": self.started_at}}
        elif self.waiting is not None:
            state = {"waiting": {"reason": self.waiting[0], "message": self.waiting[1]}}
        elif self.terminated is not None:
            state = {"terminated": self.terminated}
        else:
            state = {"waiting": {"reason": "PodInitializing" if pod_initializing else "ContainerCreating"}}
        status: dict[str, Any] = {
            "name": self.name,
            "state": state,
            "lastState": {"terminated": self.last_terminated} if self.last_terminated else {},
            "ready": self.running and not self.init,
            "restartCount": self.restarts,
            "image": scenarios.qualified_image(image),
            "imageID": "",
            "started": self.running,
        }
        if self.container_id:
            status["containerID"] = f"containerd://{self.container_id}"
            digest = hashlib.sha256(image.encode()).hexdigest()
            status["imageID"] = f"{scenarios.qualified_image(image).rsplit(':', 1)[0]}@sha256:{digest}"
        return status


@dataclass(eq=False)
class PodRun:
    """What the kubelet knows about one pod it runs."""

    namespace: str
    name: str
    uid: str
    scenario: str
    restart_policy: str
    pod_ip: str
    init: list[ContainerRun]
    main: list[ContainerRun]
    created: float
    timers: list[Timer] = field(default_factory=list)
    stopped: bool = False
    deleting: bool = False
    finished: bool = False
    start_time: str = ""
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def cancel_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    def finish_all(self) -> None:
        self.finished = True
        for container in self.init + self.main:
            container.waiting = None if container.terminated else container.waiting

    def conditions_from(self, pod: Obj) -> None:
        for condition in (pod.get("status") or {}).get("conditions") or []:
            self.conditions[condition["type"]] = dict(condition)

    def set_condition(self, kind: str, status: str, reason: str | None = None, message: str | None = None) -> None:
        current = self.conditions.get(kind)
        changed = current is None or current.get("status") != status
        condition: dict[str, Any] = {"type": kind, "status": status, "lastProbeTime": None}
        condition["lastTransitionTime"] = now_rfc3339() if changed else current["lastTransitionTime"]  # type: ignore[index]
        if reason:
            condition["reason"] = reason
        if message:
            condition["message"] = message
        self.conditions[kind] = condition

    def phase(self) -> str:
        if self.init and any(c.finished and not c.succeeded for c in self.init) and self.restart_policy == "Never":
            return "Failed"
        if self.main and all(c.finished for c in self.main):
            return "Succeeded" if all(c.succeeded for c in self.main) else "Failed"
        if any(c.running or c.terminated is not None for c in self.main):
            return "Running"
        return "Pending"


def pod_status(pod: Obj, run: PodRun) -> dict[str, Any]:
    """The pod's status as the kubelet would report it now."""
    phase = run.phase()
    if phase in ("Succeeded", "Failed"):
        run.finished = True
    initializing = any(not c.succeeded for c in run.init)
    if run.start_time:
        run.set_condition("PodReadyToStartContainers", "False" if run.finished else "True")
    if initializing and not run.finished:
        names = ", ".join(c.name for c in run.init if not c.succeeded)
        run.set_condition(
            "Initialized", "False", "ContainersNotInitialized", f"containers with incomplete status: [{names}]"
        )
    else:
        run.set_condition("Initialized", "True")
    unready = [c.name for c in run.main if not c.running]
    for kind in ("Ready", "ContainersReady"):
        if phase == "Succeeded":
            run.set_condition(kind, "False", "PodCompleted")
        elif unready:
            run.set_condition(
                kind, "False", "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
            )
        else:
            run.set_condition(kind, "True")
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [run.conditions[k] for k in _CONDITION_ORDER if k in run.conditions],
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "podIP": run.pod_ip,
        "podIPs": [{"ip": run.pod_ip}],
        "startTime": run.start_time or now_rfc3339(),
        "containerStatuses": [c.status(initializing) for c in run.main],
        "qosClass": (pod.get("status") or {}).get("qosClass") or qos_class(pod["spec"]),
    }
    if run.init:
        status["initContainerStatuses"] = [c.status(False) for c in run.init]
    return status


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed when every container's requests equal its limits for cpu and memory; BestEffort with none."""
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        if not all(k in limits and requests.get(k, limits[k]) == limits[k] for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


def resolve_env(store: Store, namespace: str, spec: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """The container's environment, Secret and ConfigMap references resolved; the kubelet's error if one is
    missing (the container then waits in CreateContainerConfigError)."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
           "KUBERNETES_SERVICE_HOST": "10.43.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    for source in spec.get("envFrom") or []:
        for kind, resource in (("secretRef", "secrets"), ("configMapRef", "configmaps")):
            ref = source.get(kind)
            if ref:
                obj = store.find(resource, namespace, ref.get("name", ""))
                if obj is None:
                    if not ref.get("optional"):
                        return env, f'{resource[:-1].replace("configmap", "configmap")} "{ref.get("name")}" not found'
                    continue
                for key, value in _data(obj, resource).items():
                    env[source.get("prefix", "") + key] = value
    for item in spec.get("env") or []:
        if "value" in item or "valueFrom" not in item:
            env[item["name"]] = str(item.get("value", ""))
            continue
        source = item["valueFrom"]
        for kind, resource, label in (
            ("secretKeyRef", "secrets", "Secret"),
            ("configMapKeyRef", "configmaps", "ConfigMap"),
        ):
            ref = source.get(kind)
            if not ref:
                continue
            obj = store.find(resource, namespace, ref.get("name", ""))
            if obj is None:
                if ref.get("optional"):
                    break
                return env, f'{resource[:-1]} "{ref.get("name")}" not found'
            data = _data(obj, resource)
            if ref.get("key") not in data:
                if ref.get("optional"):
                    break
                return env, f"couldn't find key {ref.get('key')} in {label} {namespace}/{ref.get('name')}"
            env[item["name"]] = data[ref["key"]]
    return env, None


def _data(obj: Obj, resource: str) -> dict[str, str]:
    if resource == "secrets":
        decoded = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}
        decoded.update(obj.get("stringData") or {})
        return decoded
    return {k: str(v) for k, v in (obj.get("data") or {}).items()}
