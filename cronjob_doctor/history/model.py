"""A CronJob's timeline as `history` reports it: the runs that still have a Job, a summary of them and the
warnings about them, assembled by `build()` from API dicts.

Pure: dicts, verdicts and a clock in, a History out. The flow that reads the cluster is history.py; the
renderers (report/history.py) read only this module's types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cronjob_doctor.history.checks import CronJobWarning, warnings
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import schedule as schedlib
from cronjob_doctor.k8s import scheduled_runs as runlib
from cronjob_doctor.k8s.objects import name_of, namespace_of
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.k8s.time import parse_time
from cronjob_doctor.rules.base import Verdict
from cronjob_doctor.scan.left import LeftJob

Obj = dict[str, Any]

@dataclass(frozen=True)
class HistoryRow:
    """A scheduled run as history shows it, with its verdict: from the pods that remain, or (--bundles) the one
    `record` wrote when it captured the run."""

    run: ScheduledRun
    verdict: Verdict | None = None


@dataclass(frozen=True)
class Summary:
    """Numbers over every run that still has a Job."""

    total: int
    succeeded: int
    failed: int
    running: int
    success_rate: float | None
    """Succeeded / finished, None when nothing finished."""
    typical_duration: float | None
    """Median duration of successful runs."""
    worst_duration: float | None
    worst_job: str | None
    failure_streak: int
    last_success: datetime | None
    """From the Jobs, else the CronJob's status.lastSuccessfulTime (Jobs of older successes may be pruned)."""
    last_success_job: str | None
    lost_evidence: tuple[str, ...]
    """Failed runs whose pods are gone: nothing left to read."""


@dataclass(frozen=True)
class History:
    """The answer of `history`, rendered by report/history.py."""

    namespace: str
    name: str
    schedule: str
    time_zone: str | None
    schedule_text: str
    """`schedule `0 8 * * *` fires at 08:00 UTC`, or why the schedule cannot be read."""
    observed_text: str | None
    """`scheduled runs observed at 08:00 UTC`, when the runs' times of day are few enough to say so."""
    suspended: bool
    concurrency_policy: str
    failed_jobs_history_limit: int
    successful_jobs_history_limit: int
    last_schedule_time: datetime | None
    runs: tuple[HistoryRow, ...]
    """The most recent runs (up to the limit), oldest first."""
    hidden: int
    """Older runs left out by the limit."""
    summary: Summary
    warnings: tuple[CronJobWarning, ...]
    now: datetime
    notes: tuple[str, ...] = ()
    left: tuple[LeftJob, ...] = ()
    """Debug Jobs of this CronJob that cronjob-doctor left in the cluster (orphans of a killed diagnose, kept)."""
    zone: Any = field(default=None, compare=False)
    """The CronJob's time zone (tzinfo) for showing local times, None when UTC."""
    command: str | None = None
    """The command line that produced this answer, for the ticket report's "what ran"."""

    @property
    def failing(self) -> bool:
        """Failing now: the latest finished run failed."""
        return self.summary.failure_streak > 0

    @property
    def exit_code(self) -> int:
        """0 the latest run succeeded / nothing wrong, 1 the CronJob is failing now."""
        return 1 if self.failing else 0


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def summarize(records: Sequence[ScheduledRun], cronjob: Obj) -> Summary:
    """The summary line: success rate, typical and worst duration, failure streak, last success, lost runs."""
    finished = [r for r in records if r.finished]
    succeeded = [r for r in records if r.outcome == joblib.SUCCEEDED]
    failed = [r for r in records if r.outcome == joblib.FAILED]
    durations = [(d, r.job) for r in finished for d in [r.duration()] if d is not None]
    worst = max(durations) if durations else None
    last = runlib.last_success(records)
    status = cronjob.get("status") or {}
    last_time = (last.end or last.when) if last else parse_time(status.get("lastSuccessfulTime"))
    return Summary(
        total=len(records),
        succeeded=len(succeeded),
        failed=len(failed),
        running=len([r for r in records if r.outcome == joblib.RUNNING]),
        success_rate=len(succeeded) / len(finished) if finished else None,
        typical_duration=runlib.median_duration(records),
        worst_duration=worst[0] if worst else None,
        worst_job=worst[1] if worst else None,
        failure_streak=runlib.failure_streak(records),
        last_success=last_time,
        last_success_job=last.job if last else None,
        lost_evidence=tuple(r.job for r in records if r.evidence_lost),
    )


def _observed(records: Sequence[ScheduledRun], zone_name: str) -> str | None:
    times = sorted({r.scheduled.strftime("%H:%M") for r in records if r.scheduled and not r.manual})
    if not times or len(times) > 3:
        return None
    return "scheduled runs observed at " + ", ".join(f"{t} UTC" for t in times)


def build(
    cronjob: Obj,
    jobs: Sequence[Obj],
    pods: Sequence[Obj],
    *,
    now: datetime,
    limit: int = 20,
    verdicts: dict[str, Verdict] | None = None,
    recorded: Sequence[str] = (),
    notes: Sequence[str] = (),
    left: Sequence[LeftJob] = (),
) -> History:
    """Assemble the History from API dicts (pure: the clock and any verdicts are passed in). `recorded`: the
    Jobs whose evidence a `record` bundle holds (--bundles)."""
    spec = cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    kept = set(recorded)
    records = [replace(r, recorded=True) if r.job in kept else r for r in runlib.scheduled_runs(cronjob, jobs, pods)]
    time_zone = spec.get("timeZone") or None
    parsed, problem = schedlib.parse(spec.get("schedule"), time_zone)
    schedule_text = schedlib.describe(parsed, now) if parsed else f"schedule `{spec.get('schedule')}`: {problem}"
    shown = records[-limit:] if limit > 0 else records
    verdicts = verdicts or {}
    return History(
        namespace=namespace_of(cronjob),
        name=name_of(cronjob),
        schedule=str(spec.get("schedule") or ""),
        time_zone=time_zone,
        schedule_text=schedule_text,
        observed_text=_observed(records, parsed.zone_name if parsed else "UTC"),
        suspended=schedlib.suspended(cronjob),
        concurrency_policy=str(spec.get("concurrencyPolicy") or "Allow"),
        failed_jobs_history_limit=_int(spec.get("failedJobsHistoryLimit"), 1),
        successful_jobs_history_limit=_int(spec.get("successfulJobsHistoryLimit"), 3),
        last_schedule_time=parse_time(status.get("lastScheduleTime")),
        runs=tuple(HistoryRow(r, verdicts.get(r.job)) for r in shown),
        hidden=len(records) - len(shown),
        summary=summarize(records, cronjob),
        warnings=tuple(warnings(cronjob, records, schedule=parsed, now=now)),
        now=now,
        notes=tuple(notes),
        left=tuple(left),
        zone=parsed.zone if parsed and parsed.zone_name != "UTC" else None,
    )
