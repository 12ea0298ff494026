"""A CronJob's past runs: each Job it scheduled, reduced to what an SRE reads in a history table (when it was
scheduled, how it ended, why, how long it took, what evidence is left), and the figures over them.

Shared by `history` and `scan`. A *scheduled run* is one Job of a CronJob; a *debug run* is one run of
diagnose's debug Job (debugjob/). Pure: no client, no clock (callers pass `now`), no terminal.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s.jobs import FAILED, FINISHED, RUNNING, SUCCEEDED
from cronjob_doctor.k8s.objects import Obj, created_time, name_of
from cronjob_doctor.k8s.time import EPOCH


@dataclass(frozen=True)
class ScheduledRun:
    """One Job of a CronJob, reduced to what an SRE reads in a history table."""

    job: str
    scheduled: datetime | None
    """When the controller scheduled it (UTC), from the annotation or the name suffix."""
    scheduled_source: str | None
    """`annotation` or `name`; None for Jobs with neither (some manual runs)."""
    manual: bool
    orphan: bool
    """Matched by name because its owner CronJob is gone (or was re-created with another uid)."""
    created: datetime | None
    start: datetime | None
    end: datetime | None
    outcome: str
    reason: str | None
    """The Job's Failed condition reason."""
    message: str | None
    pod_reason: str | None
    """Termination (or waiting) reason from the pods that remain: OOMKilled, Error, Evicted, ..."""
    exit_code: int | None
    retries: int
    """Failed attempts before the last one: failed pods plus in-place container restarts (a lower bound once
    pods are gone)."""
    pods: tuple[str, ...]
    logs: bool
    """Whether any container log can still be read (a pod exists and a container started)."""
    active: int = 0
    recorded: bool = False
    """A `record` bundle holds its evidence (pods, logs, statuses), whether or not its pods remain."""

    @property
    def when(self) -> datetime:
        """Sort key: scheduled time, else creation, else start."""
        return self.scheduled or self.created or self.start or EPOCH

    def duration(self, now: datetime | None = None) -> float | None:
        """Seconds from start to end; for a running Job, to `now` when given."""
        if self.start is None:
            return None
        end = self.end or (now if self.outcome == RUNNING else None)
        return None if end is None else max(0.0, (end - self.start).total_seconds())

    @property
    def finished(self) -> bool:
        return self.outcome in FINISHED

    @property
    def evidence_lost(self) -> bool:
        """A failed run whose pods are gone and that no `record` bundle kept: no logs, no termination reason,
        nothing to diagnose."""
        return self.outcome == FAILED and not self.pods and not self.recorded


def scheduled_run(job: Obj, pods: Sequence[Obj], *, cronjob_name: str | None = None,
                  orphan: bool = False) -> ScheduledRun:
    """Reduce one Job and its remaining pods to a ScheduledRun."""
    scheduled, source = joblib.scheduled_time(job, cronjob_name)
    state = joblib.outcome(job)
    reason, message = joblib.failure_reason(job)
    found = podlib.failure(pods) if state != SUCCEEDED else None
    attempts_failed = joblib.failed_pods(job) + podlib.restarts(pods)
    # The last failed attempt of a failed Job is the failure itself, not a retry.
    retries = max(0, attempts_failed - (1 if state == FAILED else 0))
    return ScheduledRun(
        job=name_of(job),
        scheduled=scheduled,
        scheduled_source=source,
        manual=joblib.is_manual(job),
        orphan=orphan,
        created=created_time(job),
        start=joblib.start_time(job),
        end=joblib.end_time(job),
        outcome=state,
        reason=reason,
        message=message,
        pod_reason=found.reason if found else None,
        exit_code=found.exit_code if found else None,
        retries=retries,
        pods=tuple(name_of(pod) for pod in pods),
        logs=any(podlib.logs_available(pod) for pod in pods),
        active=joblib.active_pods(job),
    )


def scheduled_runs(cronjob: Obj, jobs: Iterable[Obj], pods: Iterable[Obj] | podlib.PodIndex) -> list[ScheduledRun]:
    """Every run of the CronJob that still has a Job, oldest first."""
    index = pods if isinstance(pods, podlib.PodIndex) else podlib.PodIndex(pods)
    name = name_of(cronjob)
    found = [
        scheduled_run(job, index.for_job(job), cronjob_name=name, orphan=orphan)
        for job, orphan in joblib.jobs_of(cronjob, jobs)
    ]
    return sorted(found, key=lambda run: (run.when, run.job))


# ---------------------------------------------------------------------------------------------- summary


def failure_streak(runs: Sequence[ScheduledRun]) -> int:
    """Consecutive failed runs, counted back from the latest finished one."""
    streak = 0
    for run in reversed(runs):
        if not run.finished:
            continue
        if run.outcome != FAILED:
            break
        streak += 1
    return streak


def last_finished(runs: Sequence[ScheduledRun]) -> ScheduledRun | None:
    for run in reversed(runs):
        if run.finished:
            return run
    return None


def last_success(runs: Sequence[ScheduledRun]) -> ScheduledRun | None:
    for run in reversed(runs):
        if run.outcome == SUCCEEDED:
            return run
    return None


def is_failing(runs: Sequence[ScheduledRun]) -> bool:
    """Failing now: the latest finished run failed."""
    latest = last_finished(runs)
    return latest is not None and latest.outcome == FAILED


def median_duration(runs: Sequence[ScheduledRun]) -> float | None:
    """The typical duration of successful runs (failures end early or hang, so they would skew it)."""
    durations = [d for run in runs if run.outcome == SUCCEEDED for d in [run.duration()] if d is not None]
    return statistics.median(durations) if durations else None
