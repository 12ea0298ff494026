"""The `scan` triage: one row per CronJob (last schedule, last success, last outcome and reason, failure
streak, runs with lost evidence, suspension, lint errors), ranked worst first.

Pure: CronJob, Job and Pod dicts (and lint error counts) in, a Scan out. The flow that lists them is scan.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import schedule as schedlib
from cronjob_doctor.k8s import scheduled_runs as runlib
from cronjob_doctor.k8s.objects import name_of, namespace_of
from cronjob_doctor.k8s.pods import PodIndex
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.k8s.time import parse_time
from cronjob_doctor.scan.left import LeftJob

Obj = dict[str, Any]


@dataclass(frozen=True)
class ScanRow:
    """One CronJob as the triage table shows it."""

    namespace: str
    name: str
    schedule: str
    suspended: bool
    last_schedule: datetime | None
    """status.lastScheduleTime, else the latest scheduled run on record."""
    last_success: datetime | None
    """The latest successful run's end, else status.lastSuccessfulTime (its Job may be pruned)."""
    last_outcome: str | None
    """Outcome of the latest run (`running` while one is active), None when no Job exists."""
    last_reason: str | None
    """The latest finished run's failure reason, with the pods' termination reason when they remain."""
    failure_streak: int
    lost_evidence: int
    """Failed runs whose pods are gone."""
    lint_errors: int | None
    """Error-severity lint findings; None when lint could not run."""
    runs: int
    active: int
    """Jobs running now."""

    @property
    def failing(self) -> bool:
        """Failing now: the latest finished run failed."""
        return self.failure_streak > 0

    @property
    def rank(self) -> tuple[Any, ...]:
        """Sort key, worst first: failing (longest streak first), lint errors, lost evidence, suspended."""
        return (
            not self.failing,
            -self.failure_streak,
            -(self.lint_errors or 0),
            -self.lost_evidence,
            not self.suspended,
            self.namespace,
            self.name,
        )


@dataclass(frozen=True)
class Scan:
    """The answer of `scan`, rendered by report/scan.py."""

    scope: str
    """`all namespaces` or `namespace NAME`."""
    rows: tuple[ScanRow, ...]
    """Worst first; only the failing ones with --failing."""
    total: int
    """CronJobs in scope, before --failing."""
    failing: int
    """CronJobs failing now, in scope."""
    only_failing: bool
    now: datetime
    notes: tuple[str, ...] = ()
    command: str | None = None
    """The command line that produced this answer, for the ticket report's "what ran"."""
    left: tuple[LeftJob, ...] = ()
    """Debug Jobs cronjob-doctor left in scope: orphans of a diagnose that is gone, kept ones, running ones."""

    @property
    def exit_code(self) -> int:
        """0 when nothing is failing, 1 when any CronJob in scope is failing now."""
        return 1 if self.failing else 0


def _reason(run: ScheduledRun | None) -> str | None:
    if run is None or run.outcome != joblib.FAILED:
        return None
    parts = [p for p in (run.reason, run.pod_reason) if p]
    if run.exit_code is not None:
        parts.append(f"exit {run.exit_code}")
    return " / ".join(parts) or None


def row(cronjob: Obj, records: Sequence[ScheduledRun], *, lint_errors: int | None) -> ScanRow:
    """Reduce one CronJob and its runs to a triage row."""
    spec = cronjob.get("spec") or {}
    status = cronjob.get("status") or {}
    scheduled = [r.scheduled for r in records if r.scheduled and not r.manual]
    last_schedule = parse_time(status.get("lastScheduleTime")) or (max(scheduled) if scheduled else None)
    success = runlib.last_success(records)
    from_status = parse_time(status.get("lastSuccessfulTime"))
    last_success = (success.end or success.when) if success else from_status
    if last_success is not None and from_status is not None and from_status > last_success:
        last_success = from_status
    latest = records[-1] if records else None
    finished = runlib.last_finished(records)
    return ScanRow(
        namespace=namespace_of(cronjob),
        name=name_of(cronjob),
        schedule=str(spec.get("schedule") or ""),
        suspended=schedlib.suspended(cronjob),
        last_schedule=last_schedule,
        last_success=last_success,
        last_outcome=latest.outcome if latest else None,
        last_reason=_reason(finished),
        failure_streak=runlib.failure_streak(records),
        lost_evidence=sum(1 for r in records if r.evidence_lost),
        lint_errors=lint_errors,
        runs=len(records),
        active=sum(1 for r in records if r.outcome == joblib.RUNNING),
    )


def build(
    cronjobs: Sequence[Obj],
    jobs: Sequence[Obj],
    pods: Sequence[Obj],
    *,
    scope: str,
    now: datetime,
    lint_errors: Mapping[tuple[str, str], int] | None = None,
    only_failing: bool = False,
    notes: Sequence[str] = (),
    left: Sequence[LeftJob] = (),
) -> Scan:
    """Group Jobs and pods by CronJob in one pass each, build a row per CronJob, rank worst first."""
    grouped = joblib.group_jobs(cronjobs, jobs)
    index = PodIndex(pods)
    rows = []
    for cronjob in cronjobs:
        key = (namespace_of(cronjob), name_of(cronjob))
        records = runlib.scheduled_runs(cronjob, grouped.get(key, []), index)
        errors = lint_errors.get(key) if lint_errors is not None else None
        rows.append(row(cronjob, records, lint_errors=errors))
    rows.sort(key=lambda r: r.rank)
    failing = sum(1 for r in rows if r.failing)
    shown = [r for r in rows if r.failing] if only_failing else rows
    return Scan(
        scope=scope,
        rows=tuple(shown),
        total=len(rows),
        failing=failing,
        only_failing=only_failing,
        now=now,
        notes=tuple(notes),
        left=tuple(left),
    )
