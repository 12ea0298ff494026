"""`history NS/NAME`: read a CronJob, its Jobs and their pods, diagnose failed runs whose pods remain, and
return the timeline (every run still on record, a summary, the warnings an SRE needs).

Read-only: it never creates, patches or deletes. It reads the cluster only through the kube object it is
given; the assembly itself is pure (timeline.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.errors import ClusterError, NotFound
from cronjob_doctor.history.model import History, build
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import scheduled_runs as runlib
from cronjob_doctor.k8s.names import Target
from cronjob_doctor.k8s.objects import name_of, namespace_of
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.rules.base import Evidence, Verdict

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

Obj = dict[str, Any]

JOB_POD_SELECTOR = "job-name"
"""Pods made by the Job controller carry `job-name` (every version) and `batch.kubernetes.io/job-name` (1.27+)."""


@dataclass(frozen=True)
class HistorySettings:
    """What `history` was asked for."""

    target: Target
    """The CronJob."""
    limit: int = 20
    """Show the N most recent runs (the summary and warnings count every run); 0 shows all."""
    verdicts: bool = True
    """Run the verdict engine on failed runs whose pods still exist."""
    bundles: Path | None = None
    """A `record` bundle root (--bundles): runs whose pods are gone show the verdict recorded for them."""


def related_events(events: Sequence[Obj], names: set[str]) -> list[Obj]:
    """Events about the named Job and pods (core/v1 `involvedObject` or events.k8s.io/v1 `regarding`)."""
    out = []
    for event in events:
        about = event.get("involvedObject") or event.get("regarding") or {}
        if isinstance(about, dict) and about.get("name") in names:
            out.append(event)
    return out


def _logs(kube: Kube, namespace: str, pod: Obj, notes: list[str]) -> list[LogFile]:
    """Read what the kubelet still holds for each started container, and the previous instance after a
    restart (restartPolicy OnFailure keeps only that one)."""
    from cronjob_doctor.kube.logs import read_log

    pod_name = name_of(pod)
    status = pod.get("status") or {}
    out = []
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        container = cs.get("name")
        if not container:
            continue
        wanted = []
        if "running" in (cs.get("state") or {}) or "terminated" in (cs.get("state") or {}):
            wanted.append(False)
        restarted = isinstance(cs.get("restartCount"), int) and cs["restartCount"] > 0
        if (cs.get("lastState") or {}).get("terminated") or restarted:
            wanted.append(True)
        for previous in wanted:
            try:
                text = read_log(kube, namespace, pod_name, container, previous=previous)
            except NotFound:
                continue  # the pod or the previous instance went away between the list and the read
            except ClusterError as exc:
                notes.append(f"log of {pod_name}/{container} unreadable: {exc.message}")
                continue
            out.append(LogFile(pod=pod_name, container=container, previous=previous, text=text))
    return out


def diagnose_runs(
    kube: Kube,
    cronjob: Obj,
    jobs: Sequence[Obj],
    pods: Sequence[Obj],
    candidates: Sequence[ScheduledRun],
    *,
    analyze: Callable[[Bundle], Verdict],
    notes: list[str],
) -> dict[str, Verdict]:
    """Run the verdict engine on each failed run whose pods remain, from an in-memory Bundle."""
    namespace = namespace_of(cronjob)
    by_name = {name_of(job): job for job in jobs}
    wanted = [r for r in candidates if r.outcome == joblib.FAILED and r.pods and r.job in by_name]
    if not wanted:
        return {}
    events = kube.list_events(namespace)
    verdicts = {}
    for record in wanted:
        job = by_name[record.job]
        job_pods = podlib.pods_of(job, pods)
        logs = [log for pod in job_pods for log in _logs(kube, namespace, pod, notes)]
        bundle = Bundle(
            cronjob=cronjob,
            job=job,
            jobs=list(jobs),
            pods=job_pods,
            events=related_events(events, {record.job, *record.pods}),
            logs=logs,
        )
        verdicts[record.job] = analyze(bundle)
    return verdicts


def recorded_verdict(root: Path, namespace: str, cronjob: str, job: str) -> Verdict | None:
    """The verdict `record` wrote for a run (`<root>/<ns>/<cronjob>/<job>/verdict.json`), None if there is none."""
    path = root / namespace / cronjob / job / "verdict.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("verdict"), str):
        return None
    evidence = tuple(Evidence(str(e.get("source", "")), str(e.get("text", "")))
                     for e in data.get("evidence") or [] if isinstance(e, dict))
    return Verdict(verdict=data["verdict"], confidence=float(data.get("confidence") or 0.0),
                   summary=str(data.get("summary", "")), evidence=evidence,
                   remediation=tuple(str(r) for r in data.get("remediation") or []),
                   notes=(f"recorded by cronjob-doctor record: {path.parent}",))


def run(settings: HistorySettings, *, kube: Kube, now: datetime | None = None) -> History:
    """Read the CronJob, its Jobs and their pods (three calls, plus events and logs for failed runs whose
    pods remain) and build the History."""
    namespace, name = settings.target.namespace, settings.target.name
    try:
        cronjob = kube.get_cronjob(namespace, name)
    except NotFound as exc:
        scheduled_job = re.fullmatch(r"(.+)-\d{8,10}", name)
        if scheduled_job:  # the Job named in a KubeJobFailed alert rather than its CronJob
            hint = f"history takes the CronJob: cronjob-doctor history {namespace}/{scheduled_job.group(1)}"
        else:
            hint = exc.hint or f"list them: cronjob-doctor scan -n {namespace}"
        raise NotFound(exc.message, hint=hint) from exc
    jobs = kube.list_jobs(namespace)
    pods = kube.list_pods(namespace, label_selector=JOB_POD_SELECTOR)
    moment = now or datetime.now(timezone.utc)
    notes: list[str] = []
    verdicts: dict[str, Verdict] = {}
    if settings.verdicts:
        from cronjob_doctor.rules.engine import analyze

        records = runlib.scheduled_runs(cronjob, jobs, pods)
        shown = records[-settings.limit:] if settings.limit > 0 else records
        verdicts = diagnose_runs(kube, cronjob, jobs, pods, shown, analyze=analyze, notes=notes)
        if settings.bundles is not None:
            for record in shown:
                if record.job not in verdicts:
                    found = recorded_verdict(settings.bundles, namespace, name, record.job)
                    if found is not None:
                        verdicts[record.job] = found
    return build(cronjob, jobs, pods, now=moment, limit=settings.limit, verdicts=verdicts, notes=notes)
