"""Evidence first: before diagnose creates anything, copy what still exists of the CronJob's recent failed
Jobs into the bundle (jobs.json, and `failed-jobs/<job>/` per failed Job). Read-only; a Job whose pods are gone
still gives its conditions and events.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.capture.ended import read_leftovers, write_leftovers
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s.objects import Obj, name_of, namespace_of

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube


def snapshot(
    kube: Kube,
    *,
    cronjob: Obj,
    root: Path,
    limit: int = 3,
    redact: Callable[[str], str] | None = None,
) -> list[str]:
    """Write jobs.json and `failed-jobs/<job>/` sub-bundles for the latest `limit` failed Jobs; return notes.

    `redact` is applied to each log line before it is written: earlier runs traced secrets just the same."""
    namespace = namespace_of(cronjob)
    notes: list[str] = []
    jobs = joblib.owned_jobs(cronjob, kube.list_jobs(namespace))
    bundle_io.write_json(root, "jobs.json", {"apiVersion": "batch/v1", "kind": "JobList", "items": jobs})
    recent_failures = [job for job in jobs if joblib.outcome(job) == joblib.FAILED][-limit:]
    if not recent_failures:
        return notes
    events = kube.list_events(namespace)
    for job in recent_failures:
        name = name_of(job)
        found = read_leftovers(kube, job, events=events, redact=redact)
        notes += write_leftovers(root / bundle_io.FAILED_JOBS_DIR / name, found)
        notes += found.notes
        if not found.pods:
            notes.append(f"failed job {name}: its pods are gone, only the Job and {len(found.events)} event(s) remain")
    return notes
