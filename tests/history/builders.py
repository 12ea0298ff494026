"""Small builders of CronJob, Job and Pod dicts for the history and scan tests (the API's own JSON shapes)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

Obj = dict[str, Any]
NS = "tofu-state"
NAME = "tf-state-backup"
CJ_UID = "cj-uid-1"


def ts(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def at_minutes(minutes: int) -> datetime:
    return datetime.fromtimestamp(minutes * 60, timezone.utc)


def cronjob(name: str = NAME, *, namespace: str = NS, uid: str = CJ_UID, schedule: str = "0 8 * * *",
            time_zone: str | None = None, suspend: bool = False, policy: str | None = None,
            failed_limit: int | None = 1, successful_limit: int | None = 3, restart: str = "OnFailure",
            deadline: int | None = None, ttl: int | None = None, status: Obj | None = None,
            created: datetime | None = None) -> Obj:
    job_spec: Obj = {"backoffLimit": 2, "template": {"spec": {"restartPolicy": restart, "containers": [
        {"name": "backup", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "echo ok"]}]}}}
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    if ttl is not None:
        job_spec["ttlSecondsAfterFinished"] = ttl
    spec: Obj = {"schedule": schedule, "suspend": suspend, "jobTemplate": {"spec": job_spec}}
    if time_zone:
        spec["timeZone"] = time_zone
    if policy:
        spec["concurrencyPolicy"] = policy
    if failed_limit is not None:
        spec["failedJobsHistoryLimit"] = failed_limit
    if successful_limit is not None:
        spec["successfulJobsHistoryLimit"] = successful_limit
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace, "uid": uid,
                     "creationTimestamp": ts(created or datetime(2025, 9, 14, tzinfo=timezone.utc))},
        "spec": spec,
        "status": status or {},
    }


def job(minutes: int | None = None, outcome: str = "Complete", *, name: str | None = None, cronjob_name: str = NAME,
        namespace: str = NS, owner_uid: str | None = CJ_UID, uid: str | None = None, took: float = 74,
        failed: int = 0, reason: str = "BackoffLimitExceeded", annotations: Obj | None = None,
        start: datetime | None = None, active: int = 0, suspend: bool = False) -> Obj:
    """A Job of the CronJob: `outcome` is Complete, Failed or Running; `minutes` is its scheduled time."""
    job_name = name or f"{cronjob_name}-{minutes}"
    scheduled = at_minutes(minutes) if minutes is not None else datetime(2026, 3, 20, 12, tzinfo=timezone.utc)
    begin = start or scheduled + timedelta(seconds=1)
    end = begin + timedelta(seconds=took)
    meta: Obj = {"name": job_name, "namespace": namespace, "uid": uid or f"uid-{job_name}",
                 "creationTimestamp": ts(scheduled)}
    if owner_uid:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob_name,
                                    "uid": owner_uid, "controller": True}]
    if annotations:
        meta["annotations"] = annotations
    status: Obj = {"startTime": ts(begin)}
    if failed:
        status["failed"] = failed
    if outcome == "Complete":
        status.update(succeeded=1, completionTime=ts(end),
                      conditions=[{"type": "Complete", "status": "True", "lastTransitionTime": ts(end)}])
    elif outcome == "Failed":
        status["failed"] = failed or 1
        status["conditions"] = [{"type": "Failed", "status": "True", "reason": reason,
                                 "message": "Job has reached the specified backoff limit",
                                 "lastTransitionTime": ts(end)}]
    elif outcome == "Running":
        status["active"] = active or 1
    spec: Obj = {"suspend": True} if suspend else {}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec, "status": status}


def pod(of_job: Obj, *, suffix: str = "x7k2p", reason: str | None = None, exit_code: int | None = None,
        restarts: int = 0, last_reason: str | None = None, last_exit: int | None = None, with_uid: bool = True,
        started: bool = True, waiting: str | None = None) -> Obj:
    """A pod of `of_job` with one container `backup`: terminated (reason/exit_code), running, or waiting."""
    job_meta = of_job["metadata"]
    labels = {"job-name": job_meta["name"], "batch.kubernetes.io/job-name": job_meta["name"]}
    if with_uid:
        labels.update({"controller-uid": job_meta["uid"], "batch.kubernetes.io/controller-uid": job_meta["uid"]})
    state: Obj
    if waiting:
        state = {"waiting": {"reason": waiting}}
    elif reason is not None or exit_code is not None:
        state = {"terminated": {"reason": reason, "exitCode": exit_code if exit_code is not None else 1}}
    elif started:
        state = {"running": {"startedAt": job_meta["creationTimestamp"]}}
    else:
        state = {"waiting": {"reason": "ContainerCreating"}}
    status: Obj = {"name": "backup", "state": state, "restartCount": restarts}
    if last_reason is not None or last_exit is not None:
        status["lastState"] = {
            "terminated": {"reason": last_reason, "exitCode": last_exit if last_exit is not None else 1}
        }
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"{job_meta['name']}-{suffix}", "namespace": job_meta["namespace"], "labels": labels,
                     "creationTimestamp": job_meta["creationTimestamp"]},
        "spec": {"containers": [{"name": "backup"}]},
        "status": {"phase": "Failed" if reason else "Running", "containerStatuses": [status]},
    }
