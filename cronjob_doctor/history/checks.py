"""The warnings `history` gives about a CronJob and its runs: evidence lost or about to be, hangs without a
deadline, overlapping runs, observed times that disagree with the schedule, missed schedules, suspension.

Pure: a CronJob dict, its RunRecords, the parsed schedule and `now` in; warnings out, most urgent first.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import schedule as schedule_facts
from cronjob_doctor.k8s import scheduled_runs as runlib
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.k8s.objects import created_time
from cronjob_doctor.k8s.schedule import Schedule, describe
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.k8s.time import parse_time

Obj = dict[str, Any]

HANG_FACTOR = 4
"""A run longer than this many typical (median successful) durations, and ..."""
HANG_MARGIN = 600.0
"""... at least this many seconds longer than typical, looks hung rather than slow."""
MISSED_GRACE = 120.0
"""The controller creates a Job within seconds of the fire time; allow this much before calling it missed."""


@dataclass(frozen=True)
class CronJobWarning:
    """One thing an SRE should know, and what to do about it."""

    id: str
    """`evidence-lost`, `evidence-at-risk`, `schedule-mismatch`, `hang`, `overlap`, `missed`, `suspended`."""
    text: str
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "hint": self.hint}


def _job_spec(cronjob: Obj) -> Obj:
    return ((cronjob.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _names(records: Sequence[ScheduledRun], limit: int = 3) -> str:
    names = [r.job for r in records]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _target(cronjob: Obj) -> str:
    meta = cronjob.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def evidence_lost(cronjob: Obj, records: Sequence[ScheduledRun]) -> list[CronJobWarning]:
    lost = [r for r in records if r.evidence_lost]
    if not lost:
        return []
    runs = "run has" if len(lost) == 1 else "runs have"
    return [
        CronJobWarning(
            "evidence-lost",
            f"{len(lost)} failed {runs} no pods left ({_names(lost)}): their logs, exit codes and "
            "termination reasons are gone",
            f"reproduce with evidence kept: cronjob-doctor diagnose {_target(cronjob)}",
        )
    ]


def evidence_at_risk(cronjob: Obj) -> list[CronJobWarning]:
    """History limits, TTLs and OnFailure all delete the pods that explain a failure."""
    spec = cronjob.get("spec") or {}
    job_spec = _job_spec(cronjob)
    pod_spec = ((job_spec.get("template") or {}).get("spec")) or {}
    limit = _int(spec.get("failedJobsHistoryLimit"))
    reasons = []
    if limit is None or limit <= 1:
        if limit == 0:
            reasons.append("failedJobsHistoryLimit is 0: a failed Job and its pods are deleted at once")
        else:
            shown = "1 (the default)" if limit is None else str(limit)
            reasons.append(f"failedJobsHistoryLimit is {shown}: a failed Job and its pods are deleted when the "
                           "next run fails")
    if pod_spec.get("restartPolicy") == "OnFailure":
        reasons.append("restartPolicy OnFailure: the Job controller deletes the pod when the backoff limit is "
                       "exceeded, so a failed run keeps no logs")
    ttl = _int(job_spec.get("ttlSecondsAfterFinished"))
    if ttl is not None:
        reasons.append(f"ttlSecondsAfterFinished {ttl}: Jobs are deleted {format_duration(ttl)} after they finish")
    if not reasons:
        return []
    return [
        CronJobWarning(
            "evidence-at-risk",
            "evidence of the next failure will be lost: " + "; ".join(reasons),
            f"capture every run before cleanup: cronjob-doctor record {_target(cronjob)}; "
            "or set failedJobsHistoryLimit: 3 and restartPolicy: Never",
        )
    ]


def schedule_mismatch(
    records: Sequence[ScheduledRun], schedule: Schedule | None, now: datetime
) -> list[CronJobWarning]:
    """Scheduled times the schedule never produces: it changed since, or the runs are not what they seem."""
    if schedule is None:
        return []
    odd = [r for r in records if r.scheduled and not r.manual and not schedule.matches(r.scheduled)]
    if not odd:
        return []
    times = sorted({f"{r.scheduled:%H:%M}" for r in odd if r.scheduled})
    at = ", ".join(f"{t} UTC" for t in times[:4]) + (", ..." if len(times) > 4 else "")
    return [
        CronJobWarning(
            "schedule-mismatch",
            f"{len(odd)} run(s) were scheduled at {at} ({_names(odd)}), but {describe(schedule, now)}",
            "the schedule (or spec.timeZone) changed since those runs, or they came from another CronJob "
            "of this name",
        )
    ]


def hangs(cronjob: Obj, records: Sequence[ScheduledRun], now: datetime) -> list[CronJobWarning]:
    """Without activeDeadlineSeconds only the backoff limit ends a run, and a hung one never reaches it."""
    if _int(_job_spec(cronjob).get("activeDeadlineSeconds")) is not None:
        return []
    typical = runlib.median_duration(records)
    if typical is None:
        return []
    threshold = max(HANG_FACTOR * typical, typical + HANG_MARGIN)
    long = [(r, d) for r in records for d in [r.duration(now)] if d is not None and d > threshold]
    if not long:
        return []
    worst, seconds = max(long, key=lambda item: item[1])
    verb = "has been running for" if worst.outcome == joblib.RUNNING else "ran"
    suggestion = max(600, math.ceil(HANG_FACTOR * typical / 300) * 300)
    return [
        CronJobWarning(
            "hang",
            f"no activeDeadlineSeconds, and {len(long)} run(s) took far longer than the typical "
            f"{format_duration(typical)}: {worst.job} {verb} {format_duration(seconds)}",
            f"set spec.jobTemplate.spec.activeDeadlineSeconds (e.g. {suggestion}) so a hung run fails "
            "instead of running on",
        )
    ]


def overlaps(cronjob: Obj, records: Sequence[ScheduledRun], now: datetime) -> list[CronJobWarning]:
    """concurrencyPolicy Allow (the default) starts a run while the previous one still runs."""
    policy = (cronjob.get("spec") or {}).get("concurrencyPolicy") or "Allow"
    if policy != "Allow":
        return []
    spans = []
    for r in records:
        end = r.end or (now if r.outcome == joblib.RUNNING else None)
        if r.start is not None and end is not None:
            spans.append((r.start, end, r.job))
    spans.sort()
    pairs = []
    latest_end, latest_job = None, None
    for start, end, job in spans:
        if latest_end is not None and start < latest_end:
            pairs.append((job, latest_job))
        if latest_end is None or end > latest_end:
            latest_end, latest_job = end, job
    if not pairs:
        return []
    job, earlier = pairs[-1]
    return [
        CronJobWarning(
            "overlap",
            f"{len(pairs)} run(s) overlapped under concurrencyPolicy Allow: {job} started while {earlier} was "
            "still running",
            "set concurrencyPolicy: Forbid (skip a run while one is active) or Replace",
        )
    ]


def _pruned(moment: datetime, records: Sequence[ScheduledRun], cronjob: Obj, now: datetime) -> bool:
    """Whether a Job scheduled at `moment` could have existed and been deleted by the history limits or TTL:
    the controller keeps the newest N successes and newest M failures, so only Jobs older than the oldest kept
    one of a kind (with that kind at its limit) can be pruned."""
    spec = cronjob.get("spec") or {}
    owned = [r for r in records if not r.orphan]
    for outcome, key, default in ((joblib.SUCCEEDED, "successfulJobsHistoryLimit", 3),
                                  (joblib.FAILED, "failedJobsHistoryLimit", 1)):
        limit = _int(spec.get(key))
        limit = default if limit is None else limit
        kept = [r.when for r in owned if r.outcome == outcome]
        if limit == 0 or (len(kept) >= limit and kept and moment < min(kept)):
            return True
    ttl = _int(_job_spec(cronjob).get("ttlSecondsAfterFinished"))
    return ttl is not None and moment + timedelta(seconds=ttl) < now


def missed(
    cronjob: Obj, records: Sequence[ScheduledRun], schedule: Schedule | None, now: datetime
) -> list[CronJobWarning]:
    """Fire times with no Job: gaps between observed runs the history limits cannot explain, and fire times
    since the last schedule that the controller has not acted on."""
    spec = cronjob.get("spec") or {}
    if schedule is None or spec.get("suspend") is True:
        return []
    out = []
    observed = sorted({r.scheduled for r in records if r.scheduled and not r.manual})
    gaps = []
    for earlier, later in itertools.pairwise(observed):
        lost = [t for t in schedule.fires_between(earlier, later) if not _pruned(t, records, cronjob, now)]
        if lost:
            gaps.append((earlier, later, len(lost)))
    if gaps:
        count = sum(n for _, _, n in gaps)
        earlier, later, _ = gaps[-1]
        out.append(CronJobWarning(
            "missed",
            f"no Job for {count} scheduled time(s) between observed runs (latest gap: {_utc(earlier)} to "
            f"{_utc(later)}): missed by the controller, or the Jobs were deleted",
            "kubectl get events -n " + str((cronjob.get("metadata") or {}).get("namespace", ""))
            + " --field-selector involvedObject.kind=CronJob (MissSchedule, TooManyMissedTimes, FailedCreate)",
        ))
    status = cronjob.get("status") or {}
    anchors = [t for t in (parse_time(status.get("lastScheduleTime")),
                           observed[-1] if observed else None,
                           created_time(cronjob)) if t is not None]
    if anchors:
        since = max(anchors)
        overdue = schedule.fires_between(since, now - timedelta(seconds=MISSED_GRACE))
        if overdue:
            skipped = spec.get("concurrencyPolicy") == "Forbid" and any(r.outcome == joblib.RUNNING for r in records)
            why = ("concurrencyPolicy Forbid skips runs while one is active" if skipped else
                   "the controller did not create a Job (startingDeadlineSeconds passed, more than 100 missed "
                   "times, or the controller is down)")
            out.append(CronJobWarning(
                "missed",
                f"the schedule fired {len(overdue)} time(s) since {_utc(since)} with no Job, the latest at "
                f"{_utc(overdue[-1])}: {why}",
                None,
            ))
    return out


def suspended(cronjob: Obj) -> list[CronJobWarning]:
    if not schedule_facts.suspended(cronjob):
        return []
    namespace, name = _target(cronjob).split("/", 1)
    return [CronJobWarning(
        "suspended",
        "the CronJob is suspended: no run is scheduled until it is resumed",
        schedule_facts.resume_command(namespace, name),
    )]


def warnings(cronjob: Obj, records: Sequence[ScheduledRun], *, schedule: Schedule | None,
             now: datetime) -> list[CronJobWarning]:
    """Every warning, most urgent first."""
    return [
        *suspended(cronjob),
        *evidence_lost(cronjob, records),
        *evidence_at_risk(cronjob),
        *schedule_mismatch(records, schedule, now),
        *hangs(cronjob, records, now),
        *overlaps(cronjob, records, now),
        *missed(cronjob, records, schedule, now),
    ]
