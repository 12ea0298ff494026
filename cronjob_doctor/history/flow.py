"""`history NS/NAME`: read a CronJob, its Jobs and their pods, diagnose failed runs whose pods remain, and
return the timeline (every run still on record, a summary, the warnings an SRE needs).

Read-only: it never creates, patches or deletes. It reads the cluster only through the kube object it is
given; the assembly itself is pure (timeline.py).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.capture.ended import read_leftovers
from cronjob_doctor.history.model import History, build
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import scheduled_runs as runlib
from cronjob_doctor.k8s.names import Target
from cronjob_doctor.k8s.objects import name_of, namespace_of
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.resolve import resolve_cronjob
from cronjob_doctor.rules.base import Evidence, Verdict
from cronjob_doctor.scan import orphans

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
        found = read_leftovers(kube, job, pods=podlib.pods_of(job, pods), events=events)
        notes += found.notes
        verdicts[record.job] = analyze(found.bundle(cronjob=cronjob, jobs=jobs))
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
    namespace = settings.target.namespace
    resolved = resolve_cronjob(kube, namespace, settings.target.name, command="history")
    cronjob = resolved.cronjob
    name = name_of(cronjob)
    jobs = kube.list_jobs(namespace)
    pods = kube.list_pods(namespace, label_selector=JOB_POD_SELECTOR)
    moment = now or datetime.now(timezone.utc)
    notes: list[str] = [f"history of cronjob {namespace}/{name}: {resolved.via}"] if resolved.via else []
    verdicts: dict[str, Verdict] = {}
    recorded: list[str] = []
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
                        recorded.append(record.job)
    left = orphans.debug_jobs_left(kube, namespace, cronjob=name, jobs=jobs, now=moment, host=socket.gethostname(),
                                   pid_alive=orphans.pid_alive, notes=notes)
    return build(cronjob, jobs, pods, now=moment, limit=settings.limit, verdicts=verdicts, recorded=recorded,
                 notes=notes, left=left)
