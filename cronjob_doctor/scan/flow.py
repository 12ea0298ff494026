"""`scan [-A | -n NS]`: triage every CronJob in scope, worst first.

Three paginated lists however many CronJobs there are (CronJobs, Jobs, Pods with a job-name label), never a
call per CronJob, and a fourth of cronjob-doctor's Leases when debug Jobs are among the Jobs (to tell orphans);
lint runs offline on the listed CronJobs. Read-only: nothing is created or changed.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cronjob_doctor.gcpause import gc_paused
from cronjob_doctor.scan import orphans
from cronjob_doctor.scan.model import Scan, build

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

Obj = dict[str, Any]

JOB_POD_SELECTOR = "job-name"
"""Pods made by the Job controller carry `job-name` (every version) and `batch.kubernetes.io/job-name` (1.27+)."""


def _lean_metadata(obj: Obj) -> None:
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)


def trim_job(job: Obj) -> Obj:
    """What ranking reads of a Job: metadata, status and spec.suspend. The pod template (and managedFields)
    make up most of a listed Job and are dropped as each page arrives, keeping `scan -A` within its memory."""
    _lean_metadata(job)
    spec = job.get("spec")
    if isinstance(spec, dict):
        job["spec"] = {"suspend": spec["suspend"]} if "suspend" in spec else {}
    return job


def trim_pod(pod: Obj) -> Obj:
    """What ranking reads of a pod: metadata and status (the spec is not needed)."""
    _lean_metadata(pod)
    pod.pop("spec", None)
    return pod


@dataclass(frozen=True)
class ScanSettings:
    """What `scan` was asked for."""

    namespace: str | None
    """The namespace to scan; None scans all namespaces (-A)."""
    only_failing: bool = False
    """Show only the CronJobs failing now (--failing)."""


def lint_errors(cronjobs: Sequence[Obj], notes: list[str]) -> dict[tuple[str, str], int]:
    """Error-severity lint findings per CronJob, from the lint registry (offline, on the listed objects). Only
    the error-severity checks run: a check's severity is the worst its findings can have."""
    from cronjob_doctor.lint import CHECKS
    from cronjob_doctor.lint.base import Workload
    from cronjob_doctor.lint.engine import lint_workloads

    workloads = [Workload(obj=cronjob, source="cluster") for cronjob in cronjobs]
    report = lint_workloads(workloads, checks=[check for check in CHECKS if check.severity == "error"])
    notes.extend(report.notes)
    counts = {(w.namespace or "", w.name): 0 for w in workloads}
    for finding in report.findings:
        key = (finding.namespace or "", finding.name)
        if finding.severity == "error" and key in counts:
            counts[key] += 1
    return counts


def run(settings: ScanSettings, *, kube: Kube, now: datetime | None = None) -> Scan:
    """List CronJobs, Jobs and Job pods in scope (three paginated lists) and rank the CronJobs."""
    with gc_paused():  # everything below builds or walks the listed objects: see gcpause
        return _run(settings, kube=kube, now=now)


def _run(settings: ScanSettings, *, kube: Kube, now: datetime | None) -> Scan:
    namespace = settings.namespace
    cronjobs = kube.list_cronjobs(namespace)
    # Jobs and pods are only worth listing when there is a CronJob to attach them to. The two lists run side
    # by side: on a large cluster most of their time is waiting for the server and parsing JSON, which overlap.
    jobs: list[Obj] = []
    pods: list[Obj] = []
    if cronjobs:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan-pods") as pool:
            pending_pods = pool.submit(kube.list_pods, namespace, label_selector=JOB_POD_SELECTOR, trim=trim_pod)
            jobs = kube.list_jobs(namespace, trim=trim_job)
            pods = pending_pods.result()
    notes: list[str] = []
    scope = "all namespaces" if namespace is None else f"namespace {namespace}"
    moment = now or datetime.now(timezone.utc)
    left = orphans.debug_jobs_left(kube, namespace, jobs=jobs, now=moment, host=socket.gethostname(),
                                   pid_alive=orphans.pid_alive, notes=notes)
    return build(
        cronjobs,
        jobs,
        pods,
        scope=scope,
        now=moment,
        lint_errors=lint_errors(cronjobs, notes),
        only_failing=settings.only_failing,
        notes=notes,
        left=left,
    )
