"""The CronJob controller: creates a CronJob's Job for a scheduled time, keeps status.active,
lastScheduleTime and lastSuccessfulTime, and prunes finished Jobs beyond the history limits.

There is no schedule loop: Jobs are created by `trigger` (the server's "run now"), so tests and the demo decide
when a run happens. Pruning (after a run completes) deletes Jobs with Background propagation; the garbage
collector removes their pods.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import events
from .jobs import controller_uid, finished
from .podtemplate import default_job
from .store import NotFoundError, Obj, WatchEvent

if TYPE_CHECKING:
    from .cluster import Cluster

COMPONENT = "cronjob-controller"
SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def job_for(cronjob: Obj, scheduled: datetime) -> Obj:
    """The Job the controller creates for `scheduled`: named `<cronjob>-<minutes since the epoch>`."""
    meta = cronjob["metadata"]
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    minutes = int(scheduled.timestamp()) // 60
    job_meta: dict[str, Any] = {
        "name": f"{meta['name']}-{minutes}",
        "namespace": meta.get("namespace", ""),
        "uid": str(uuid.uuid4()),
        "labels": dict((template.get("metadata") or {}).get("labels") or {}),
        "annotations": {**((template.get("metadata") or {}).get("annotations") or {}),
                        SCHEDULED_ANNOTATION: _rfc3339(scheduled)},
        "ownerReferences": [{
            "apiVersion": "batch/v1", "kind": "CronJob", "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True,
        }],
    }
    return default_job({"apiVersion": "batch/v1", "kind": "Job", "metadata": job_meta, "spec": template["spec"]})


def job_ref(job: Obj) -> dict[str, str]:
    meta = job["metadata"]
    return {"kind": "Job", "namespace": meta.get("namespace", ""), "name": meta["name"], "uid": meta["uid"],
            "apiVersion": "batch/v1", "resourceVersion": meta.get("resourceVersion", "")}


class CronJobController:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    def on_cronjob(self, event: WatchEvent) -> None:
        if event.type != "DELETED":
            meta = event.object["metadata"]
            self._enqueue(meta.get("namespace", ""), meta["name"])

    def on_job(self, event: WatchEvent) -> None:
        for ref in event.object["metadata"].get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "CronJob":
                self._enqueue(event.object["metadata"].get("namespace", ""), str(ref.get("name")))

    def _enqueue(self, namespace: str, name: str) -> None:
        self.cluster.post(lambda: self.sync(namespace, name), key=("cronjob", namespace, name))

    def trigger(self, namespace: str, name: str, *, scheduled: datetime | None = None) -> str:
        """Create the Job for `scheduled` (default: now, rounded down to the minute); return its name."""
        cronjob = self.store.get("cronjobs", namespace, name)
        moment = (scheduled or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(second=0, microsecond=0)
        job = job_for(cronjob, moment)
        existing = self.store.find("jobs", namespace, job["metadata"]["name"])
        if existing is not None and controller_uid(existing, "CronJob") == cronjob["metadata"]["uid"]:
            return str(existing["metadata"]["name"])  # the controller already ran this schedule time
        created = self.store.create("jobs", job)
        events.record(self.store, cronjob, reason="SuccessfulCreate", component=COMPONENT,
                      message=f"Created job {created['metadata']['name']}")

        def add_active(cj: Obj) -> None:
            status = cj.setdefault("status", {})
            status.setdefault("active", []).append(job_ref(created))
            last = status.get("lastScheduleTime")
            if last is None or last < _rfc3339(moment):
                status["lastScheduleTime"] = _rfc3339(moment)

        self.store.mutate("cronjobs", namespace, name, add_active)
        return str(created["metadata"]["name"])

    def sync(self, namespace: str, name: str) -> None:
        """Drop finished Jobs from status.active (SawCompletedJob), then enforce the history limits."""
        cronjob = self.store.find("cronjobs", namespace, name)
        if cronjob is None:
            return
        uid = cronjob["metadata"]["uid"]
        jobs = {j["metadata"]["uid"]: j for j in self.store.list("jobs", namespace)[0]
                if controller_uid(j, "CronJob") == uid}
        status = copy.deepcopy(cronjob.get("status") or {})
        active = []
        saw_completion = False
        for ref in status.get("active") or []:
            job = jobs.get(ref.get("uid"))
            if job is None:
                continue  # deleted by someone else: the real controller drops it silently
            outcome = finished(job)
            if outcome is None:
                active.append(job_ref(job))
                continue
            saw_completion = True
            events.record(self.store, cronjob, reason="SawCompletedJob", component=COMPONENT,
                          message=f"Saw completed job: {job['metadata']['name']}, status: {outcome}")
            completion = (job.get("status") or {}).get("completionTime")
            if outcome == "Complete" and completion and completion > status.get("lastSuccessfulTime", ""):
                status["lastSuccessfulTime"] = completion
        known = {ref["uid"] for ref in active}
        for job in jobs.values():  # Jobs created by someone else but controlled by this CronJob
            if finished(job) is None and job["metadata"]["uid"] not in known:
                active.append(job_ref(job))
        if active:
            status["active"] = active
        else:
            status.pop("active", None)
        if status != (cronjob.get("status") or {}):
            self.store.mutate("cronjobs", namespace, name, lambda cj: cj.__setitem__("status", status))
        if saw_completion:
            # Pruning follows a run's completion (the real controller also prunes on every sync; here a seeded
            # history, such as the incident's two failed Jobs, stays as loaded until the next run ends).
            self._prune(cronjob, list(jobs.values()))

    def _prune(self, cronjob: Obj, jobs: list[Obj]) -> None:
        spec = cronjob["spec"]
        limits = {
            "Complete": spec.get("successfulJobsHistoryLimit", 3),
            "Failed": spec.get("failedJobsHistoryLimit", 1),
        }
        for outcome, limit in limits.items():
            done = sorted((j for j in jobs if finished(j) == outcome), key=_scheduled_key)
            for job in done[: max(0, len(done) - int(limit))]:
                meta = job["metadata"]
                try:
                    self.store.delete("jobs", meta.get("namespace", ""), meta["name"])
                except NotFoundError:
                    continue
                events.record(self.store, cronjob, reason="SuccessfulDelete", component=COMPONENT,
                              message=f"Deleted job {meta['name']}")


def _scheduled_key(job: Obj) -> str:
    annotations = job["metadata"].get("annotations") or {}
    status = job.get("status") or {}
    return str(
        annotations.get(SCHEDULED_ANNOTATION) or status.get("startTime") or job["metadata"].get("creationTimestamp", "")
    )
