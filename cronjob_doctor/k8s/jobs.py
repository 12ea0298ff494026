"""How a Job ended, when, why, and which CronJob it belongs to: one semantics for every command.

The Job controller writes the answer into status.conditions. Complete (or SuccessCriteriaMet, 1.31+) means
success even with status.failed > 0 (a retry passed). Failed, or FailureTarget (1.31+: the failure is decided
and the pods are being terminated), means failure, with reason BackoffLimitExceeded, DeadlineExceeded,
PodFailurePolicy or MaxFailedIndexesExceeded. Suspended (or spec.suspend) is neither. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from cronjob_doctor.k8s.objects import (
    Obj,
    annotations_of,
    as_dicts,
    controller_of,
    created_time,
    int_field,
    name_of,
    namespace_of,
    owned_by,
    owner_named,
    owner_references,
    spec,
    status,
    uid_of,
)
from cronjob_doctor.k8s.time import EPOCH, parse_time, seconds_between

SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"
SUSPENDED = "suspended"
FINISHED = (SUCCEEDED, FAILED)

SUCCESS_CONDITIONS = ("Complete", "SuccessCriteriaMet")
FAILURE_CONDITIONS = ("Failed", "FailureTarget")
FAILED_REASONS = ("BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded")

SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
"""Set by the CronJob controller on newer clusters (1.28+): the scheduled time as RFC 3339."""
INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"
"""`manual` on Jobs made by `kubectl create job --from=cronjob/...`."""

# Seconds since the epoch have had 10 digits since 2001; minutes since the epoch will have 8 until 2160.
_SECONDS_DIGITS = 10


def condition(job: Any, kind: str) -> Obj | None:
    """The condition of this type with status True, else None."""
    for item in as_dicts(status(job).get("conditions")):
        if item.get("type") == kind and item.get("status") == "True":
            return item
    return None


def _first(job: Any, kinds: Iterable[str]) -> Obj | None:
    return next((found for kind in kinds if (found := condition(job, kind)) is not None), None)


def outcome(job: Any) -> str:
    """`succeeded`, `failed`, `running` or `suspended`."""
    if _first(job, SUCCESS_CONDITIONS):
        return SUCCEEDED
    if _first(job, FAILURE_CONDITIONS):
        return FAILED
    if spec(job).get("suspend") is True or condition(job, "Suspended"):
        return SUSPENDED
    return RUNNING


def final_outcome(job: Any) -> str:
    """`succeeded` or `failed` once the Job controller decided, else `unknown`: the Job was still running (or
    had vanished) when we stopped looking."""
    state = outcome(job)
    return state if state in FINISHED else "unknown"


def finished(job: Any) -> bool:
    """The Job controller has decided: succeeded or failed."""
    return outcome(job) in FINISHED


def failure_condition(job: Any) -> Obj | None:
    """Failed, else FailureTarget (which comes first on 1.31+), for a Job that did not succeed."""
    if _first(job, SUCCESS_CONDITIONS):
        return None
    return _first(job, FAILURE_CONDITIONS)


def failure_reason(job: Any) -> tuple[str | None, str | None]:
    """The failure condition's reason and message, (None, None) for a Job that has not failed."""
    found = failure_condition(job)
    if found is None:
        return None, None
    return (str(found["reason"]) if found.get("reason") else None,
            str(found["message"]) if found.get("message") else None)


def start_time(job: Any) -> datetime | None:
    """status.startTime: when the Job controller started the Job (unset while suspended)."""
    return parse_time(status(job).get("startTime"))


def end_time(job: Any) -> datetime | None:
    """completionTime (set on success only), else when the deciding condition became true."""
    completed = parse_time(status(job).get("completionTime"))
    if completed is not None:
        return completed
    deciding = _first(job, SUCCESS_CONDITIONS) or _first(job, FAILURE_CONDITIONS)
    if deciding is None:
        return None
    return parse_time(deciding.get("lastTransitionTime")) or parse_time(deciding.get("lastProbeTime"))


def duration_seconds(job: Any) -> float | None:
    """From startTime (or creation, for dumps without it) to the end; None while the Job runs."""
    return seconds_between(start_time(job) or created_time(job), end_time(job))


def failed_pods(job: Any) -> int:
    return int_field(status(job).get("failed")) or 0


def active_pods(job: Any) -> int:
    return int_field(status(job).get("active")) or 0


def active_deadline_seconds(job: Any) -> int | None:
    return int_field(spec(job).get("activeDeadlineSeconds"))


# ---------------------------------------------------------------------------------------------- CronJobs


def suffix_time(job_name: str, cronjob_name: str | None = None) -> datetime | None:
    """Decode the scheduled time from `<cronjob>-<number>`: minutes since the epoch, or seconds (10+ digits,
    older controllers). With `cronjob_name`, the prefix must match exactly."""
    if cronjob_name is not None:
        if not job_name.startswith(cronjob_name + "-"):
            return None
        digits = job_name[len(cronjob_name) + 1:]
    else:
        digits = job_name.rsplit("-", 1)[-1] if "-" in job_name else ""
    if not digits.isdigit() or len(digits) > 12:
        return None
    number = int(digits)
    seconds = number if len(digits) >= _SECONDS_DIGITS else number * 60
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def scheduled_time(job: Any, cronjob_name: str | None = None) -> tuple[datetime | None, str | None]:
    """The time the CronJob controller scheduled this Job for, and where it came from (`annotation`, `name`)."""
    from_annotation = parse_time(annotations_of(job).get(SCHEDULED_ANNOTATION))
    if from_annotation is not None:
        return from_annotation.astimezone(timezone.utc), "annotation"
    from_name = suffix_time(name_of(job), cronjob_name)
    if from_name is not None:
        return from_name, "name"
    return None, None


def cronjob_prefix(job_name: str, *, min_digits: int = 8) -> str | None:
    """The CronJob name a scheduled Job's name starts with (`backup-29568000` -> `backup`), else None.

    The CronJob controller names Jobs `<cronjob>-<scheduled time>` (8 digits of minutes since the epoch, 10 of
    seconds on older controllers); an alert names that Job after the controller may have pruned it.
    `min_digits=1` also takes any numeric suffix (Jobs of a deleted CronJob, matched by name)."""
    head, _, digits = job_name.rpartition("-")
    if not head or not digits.isdigit() or not min_digits <= len(digits) <= 12:
        return None
    return head


def is_manual(job: Any) -> bool:
    """True for Jobs made with `kubectl create job --from=cronjob/...` rather than by the schedule."""
    return annotations_of(job).get(INSTANTIATE_ANNOTATION) == "manual"


def cronjob_of(job: Any) -> str | None:
    """The name of the CronJob that owns this Job (ownerReference), else None."""
    return owner_named(job, "CronJob")


def _controller_kind(obj: Any) -> str | None:
    ref = controller_of(obj)
    return str(ref.get("kind") or "") if ref is not None else None


def jobs_of(cronjob: Any, jobs: Iterable[Obj]) -> list[tuple[Obj, bool]]:
    """The CronJob's Jobs as `(job, orphan)`: by ownerReference uid, never by the `job-name` label (it holds the
    Job's own name); plus Jobs named `<cronjob>-<number>` with no live owner, marked orphan."""
    uid, name, namespace = uid_of(cronjob), name_of(cronjob), namespace_of(cronjob)
    pattern = re.compile(re.escape(name) + r"-\d+")
    out = []
    for job in jobs:
        if namespace and namespace_of(job) not in ("", namespace):
            continue
        if uid and owned_by(job, uid):
            out.append((job, False))
        elif pattern.fullmatch(name_of(job)) and _controller_kind(job) in (None, "CronJob"):
            # A CronJob controller owner with another uid is a deleted (or re-created) CronJob of this name.
            out.append((job, True))
    return out


def owned_jobs(cronjob: Any, jobs: Iterable[Obj]) -> list[Obj]:
    """The Jobs the CronJob owns (by ownerReference uid), oldest first."""
    uid = uid_of(cronjob)
    owned = [job for job in jobs if owned_by(job, uid)]
    return sorted(owned, key=lambda job: (created_time(job) or EPOCH, name_of(job)))


def group_jobs(cronjobs: Iterable[Obj], jobs: Iterable[Obj]) -> dict[tuple[str, str], list[Obj]]:
    """Jobs per CronJob `(namespace, name)` in one pass (what jobs_of() does for one CronJob), so that scanning
    a cluster costs one list of Jobs, not one call or one pass per CronJob."""
    by_uid: dict[str, tuple[str, str]] = {}
    grouped: dict[tuple[str, str], list[Obj]] = {}
    for cronjob in cronjobs:
        key = (namespace_of(cronjob), name_of(cronjob))
        grouped[key] = []
        if uid_of(cronjob):
            by_uid[uid_of(cronjob)] = key
    for job in jobs:
        owners = [ref.get("uid") for ref in owner_references(job)]
        owner = next((by_uid[str(uid)] for uid in owners if uid in by_uid), None)
        if owner is None and _controller_kind(job) in (None, "CronJob"):
            prefix = cronjob_prefix(name_of(job), min_digits=1)
            candidate = (namespace_of(job), prefix) if prefix else None
            if candidate in grouped:
                owner = candidate
        if owner is not None:
            grouped[owner].append(job)
    return grouped

