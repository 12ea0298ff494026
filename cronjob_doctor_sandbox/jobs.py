"""The Job controller: creates pods from the template, counts their outcomes, enforces backoffLimit,
activeDeadlineSeconds and ttlSecondsAfterFinished, and writes Job status and events as kube-controller-manager
does (FailureTarget before Failed, SuccessCriteriaMet before Complete, completionTime only on success).

It only writes Jobs' status and creates/deletes the Job's own pods; pod status belongs to the kubelet.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import events
from .podtemplate import pod_for_job
from .store import NotFoundError, Obj, WatchEvent, now_rfc3339

if TYPE_CHECKING:
    from .cluster import Cluster, Timer

COMPONENT = "job-controller"
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
SUCCESS_MESSAGE = "Reached expected number of succeeded pods"


def finished(job: Obj) -> str | None:
    """'Complete' or 'Failed' when the Job has that condition True, else None."""
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return str(condition["type"])
    return None


def controller_uid(obj: Obj, kind: str) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == kind:
            return str(ref.get("uid"))
    return None


class JobController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self._counted: dict[str, dict[str, str]] = {}  # job uid -> pod uid -> phase already counted
        self._started: dict[str, float] = {}  # job uid -> monotonic start
        self._last_failure: dict[str, float] = {}
        self._timers: dict[str, list[Timer]] = {}
        self._ttl_scheduled: set[str] = set()

    def on_job(self, event: WatchEvent) -> None:
        meta = event.object["metadata"]
        if event.type == "DELETED":
            uid = meta.get("uid", "")
            for timer in self._timers.pop(uid, []):
                timer.cancel()
            for table in (self._counted, self._started, self._last_failure):
                table.pop(uid, None)
            self._ttl_scheduled.discard(uid)
            return
        self._enqueue(meta.get("namespace", ""), meta["name"])

    def on_pod(self, event: WatchEvent) -> None:
        for ref in event.object["metadata"].get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "Job":
                self._enqueue(event.object["metadata"].get("namespace", ""), str(ref.get("name")))

    def _enqueue(self, namespace: str, name: str) -> None:
        self.cluster.post(lambda: self.sync(namespace, name), key=("job", namespace, name))

    def _later(self, job: Obj, seconds: float) -> None:
        meta = job["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        timer = self.cluster.after(seconds, lambda: self._enqueue(namespace, name))
        self._timers.setdefault(meta["uid"], []).append(timer)

    # -- the sync ------------------------------------------------------------------------------------------

    def sync(self, namespace: str, name: str) -> None:
        job = self.store.find("jobs", namespace, name)
        if job is None:
            return
        uid = job["metadata"]["uid"]
        if finished(job):
            self._schedule_ttl(job)
            return
        spec, status = job["spec"], dict(job.get("status") or {})
        pods = [p for p in self.store.list("pods", namespace)[0] if controller_uid(p, "Job") == uid]
        if spec.get("suspend"):
            for pod in pods:
                self._delete_pod(job, pod)
            return
        if not status.get("startTime"):
            status["startTime"] = now_rfc3339()
            self._started[uid] = time.monotonic()
            if spec.get("activeDeadlineSeconds") is not None:
                self._later(job, float(spec["activeDeadlineSeconds"]))
        counted = self._counted.setdefault(uid, {})
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and pod["metadata"]["uid"] not in counted:
                counted[pod["metadata"]["uid"]] = phase
                key = "succeeded" if phase == "Succeeded" else "failed"
                status[key] = status.get(key, 0) + 1
                if phase == "Failed":
                    self._last_failure[uid] = time.monotonic()
        live = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        active = [p for p in live if not p["metadata"].get("deletionTimestamp")]
        terminating = [p for p in live if p["metadata"].get("deletionTimestamp")]
        conditions: list[dict[str, Any]] = list(status.get("conditions") or [])
        failure = next(((c["reason"], c["message"]) for c in conditions if c["type"] == "FailureTarget"), None)
        if failure is None:
            failure = self._failure(job, status, active)
            if failure is not None:
                conditions.append(_condition("FailureTarget", *failure))
                events.record(self.store, job, reason=failure[0], message=failure[1], component=COMPONENT,
                              type="Warning")
                for pod in active:
                    # Pods deleted because the Job failed count as failed.
                    counted[pod["metadata"]["uid"]] = "Failed"
                    status["failed"] = status.get("failed", 0) + 1
                    self._delete_pod(job, pod)
                terminating += active
                active = []
        if failure is not None:
            if not terminating:
                conditions.append(_condition("Failed", *failure))
        elif status.get("succeeded", 0) >= spec.get("completions", 1):
            conditions.append(_condition("SuccessCriteriaMet", "CompletionsReached", SUCCESS_MESSAGE))
            conditions.append(_condition("Complete", "CompletionsReached", SUCCESS_MESSAGE))
            status["completionTime"] = now_rfc3339()
            events.record(self.store, job, reason="Completed", message="Job completed", component=COMPONENT)
        else:
            active += self._create_pods(job, status, len(active))
        status["conditions"] = conditions
        status["ready"] = sum(1 for p in active if _pod_ready(p))
        status["terminating"] = len(terminating)
        status["uncountedTerminatedPods"] = {}
        if active:
            status["active"] = len(active)
        else:
            status.pop("active", None)
        if not status["conditions"]:
            del status["conditions"]
        updated = self.store.mutate("jobs", namespace, name, lambda j: j.__setitem__("status", status))
        if finished(updated):
            self._schedule_ttl(updated)

    def _failure(self, job: Obj, status: Obj, active: list[Obj]) -> tuple[str, str] | None:
        spec = job["spec"]
        limit = int(spec.get("backoffLimit", 6))
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and self._elapsed(job, status) >= float(deadline):
            return "DeadlineExceeded", DEADLINE_MESSAGE
        if spec["template"]["spec"].get("restartPolicy") == "OnFailure":
            # With OnFailure, failures are container restarts inside the active pods.
            restarts = sum(
                int(s.get("restartCount", 0))
                for p in active
                for s in ((p.get("status") or {}).get("containerStatuses") or [])
                + ((p.get("status") or {}).get("initContainerStatuses") or [])
            )
            if (restarts > 0 if limit == 0 else restarts >= limit) or status.get("failed", 0) > limit:
                return "BackoffLimitExceeded", BACKOFF_MESSAGE
            return None
        if status.get("failed", 0) > limit:
            return "BackoffLimitExceeded", BACKOFF_MESSAGE
        return None

    def _elapsed(self, job: Obj, status: Obj) -> float:
        started = self._started.get(job["metadata"]["uid"])
        if started is not None:
            return self.cluster.sim_elapsed(started)
        start = datetime.strptime(status["startTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        real = (datetime.now(timezone.utc) - start).total_seconds()
        return real / self.cluster.time_scale if self.cluster.time_scale else float("inf")

    def _create_pods(self, job: Obj, status: Obj, active: int) -> list[Obj]:
        spec = job["spec"]
        wanted = min(spec.get("parallelism", 1), spec.get("completions", 1) - status.get("succeeded", 0)) - active
        if wanted <= 0:
            return []
        failures = status.get("failed", 0)
        last = self._last_failure.get(job["metadata"]["uid"])
        if failures and last is not None:
            # Replacement pods after failures wait 10s, 20s, 40s ... (at most 6 minutes).
            delay = min(360.0, 10.0 * 2 ** (failures - 1)) - self.cluster.sim_elapsed(last)
            if delay > 0:
                self._later(job, delay)
                return []
        created = []
        for _ in range(wanted):
            pod = self.store.create("pods", pod_for_job(job))
            events.record(self.store, job, reason="SuccessfulCreate", component=COMPONENT,
                          message=f"Created pod: {pod['metadata']['name']}")
            created.append(pod)
        return created

    def _delete_pod(self, job: Obj, pod: Obj) -> None:
        """Graceful deletion: the kubelet stops the containers, then the pod goes (immediately if unbound)."""
        meta = pod["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        phase = (pod.get("status") or {}).get("phase")
        try:
            if not pod["spec"].get("nodeName") or phase in ("Succeeded", "Failed"):
                self.store.delete("pods", namespace, name)
            elif not meta.get("deletionTimestamp"):
                grace = pod["spec"].get("terminationGracePeriodSeconds", 30)

                def mark(p: Obj) -> None:
                    p["metadata"]["deletionTimestamp"] = now_rfc3339()
                    p["metadata"]["deletionGracePeriodSeconds"] = grace

                self.store.mutate("pods", namespace, name, mark)
        except NotFoundError:
            return
        events.record(self.store, job, reason="SuccessfulDelete", message=f"Deleted pod: {name}", component=COMPONENT)

    def _schedule_ttl(self, job: Obj) -> None:
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        uid = job["metadata"]["uid"]
        if ttl is None or uid in self._ttl_scheduled:
            return
        self._ttl_scheduled.add(uid)
        meta = job["metadata"]

        def expire() -> None:
            current = self.store.find("jobs", meta.get("namespace", ""), meta["name"])
            if current is not None and current["metadata"]["uid"] == uid:
                # The TTL-after-finished controller deletes with Background propagation: the GC takes the pods.
                self.store.delete("jobs", meta.get("namespace", ""), meta["name"])

        self._timers.setdefault(uid, []).append(self.cluster.after(float(ttl), expire))


def _condition(kind: str, reason: str, message: str) -> dict[str, Any]:
    stamp = now_rfc3339()
    return {"type": kind, "status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def _pod_ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])
