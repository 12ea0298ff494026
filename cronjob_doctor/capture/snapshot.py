"""Evidence first: copy what still exists of a CronJob's earlier failed Jobs into the bundle, before creating
anything. Read-only; a Job whose pods are gone still gives its conditions and events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.errors import DoctorError, NotFound


def owned_jobs(jobs: list[dict[str, Any]], cronjob: dict[str, Any]) -> list[dict[str, Any]]:
    """The CronJob's Jobs by ownerReference uid (never by the job-name label, which holds the Job's name)."""
    uid = (cronjob.get("metadata") or {}).get("uid")

    def refs(job: Any) -> list[Any]:
        meta = job.get("metadata") if isinstance(job, dict) else None
        found = meta.get("ownerReferences") if isinstance(meta, dict) else None
        return found if isinstance(found, list) else []

    owned = [job for job in jobs if any(isinstance(r, dict) and r.get("uid") == uid for r in refs(job))]
    return sorted(owned, key=lambda j: str((j.get("metadata") or {}).get("creationTimestamp", "")))


def failed(job: dict[str, Any]) -> bool:
    """A Job with a Failed condition; failed pods plus a Complete condition is a success."""
    status = job.get("status") if isinstance(job, dict) else None
    found = status.get("conditions") if isinstance(status, dict) else None
    conditions = [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []
    if any(c.get("type") == "Complete" and c.get("status") == "True" for c in conditions):
        return False
    return any(c.get("type") == "Failed" and c.get("status") == "True" for c in conditions)


def snapshot(
    kube: Any,
    *,
    cronjob: dict[str, Any],
    root: Path,
    limit: int = 3,
    redact: Callable[[str], str] | None = None,
) -> list[str]:
    """Write jobs.json and `failed-jobs/<job>/` sub-bundles for the latest `limit` failed Jobs; return notes.

    `redact` is applied to each log line before it is written: earlier runs traced secrets just the same."""
    from cronjob_doctor.kube.logs import read_log

    namespace = cronjob["metadata"]["namespace"]
    notes: list[str] = []
    jobs = owned_jobs(kube.list_jobs(namespace), cronjob)
    bundle_io.write_json(root, "jobs.json", {"apiVersion": "batch/v1", "kind": "JobList", "items": jobs})
    recent_failures = [job for job in jobs if failed(job)][-limit:]
    if not recent_failures:
        return notes
    events = kube.list_events(namespace)
    for job in recent_failures:
        name = job["metadata"]["name"]
        target = root / bundle_io.FAILED_JOBS_DIR / name
        bundle_io.write_json(target, "job.json", job)
        pods = kube.list_pods(namespace, label_selector=f"batch.kubernetes.io/job-name={name}")
        if not pods:
            pods = kube.list_pods(namespace, label_selector=f"job-name={name}")
        bundle_io.write_json(target, "pods.json", {"apiVersion": "v1", "kind": "List", "items": pods})
        pod_names = {p["metadata"]["name"] for p in pods}
        related = [
            e
            for e in events
            if (e.get("involvedObject") or {}).get("name") in pod_names | {name}
        ]
        bundle_io.write_json(target, "events.json", {"apiVersion": "v1", "kind": "EventList", "items": related})
        if not pods:
            notes.append(f"failed job {name}: its pods are gone, only the Job and {len(related)} event(s) remain")
        for pod in pods:
            for status in (pod.get("status") or {}).get("containerStatuses") or []:
                container = status["name"]
                for previous in (False, True) if status.get("restartCount") else (False,):
                    try:
                        text = read_log(kube, namespace, pod["metadata"]["name"], container, previous=previous)
                    except NotFound:
                        continue
                    except DoctorError as exc:
                        notes.append(f"log of {pod['metadata']['name']}/{container} unavailable: {exc}")
                        continue
                    if redact is not None:
                        text = "\n".join(redact(line) for line in text.split("\n"))
                    bundle_io.write_text(
                        target, str(bundle_io.log_path(Path("."), pod["metadata"]["name"], container,
                                                       previous=previous)), text
                    )
    return notes
