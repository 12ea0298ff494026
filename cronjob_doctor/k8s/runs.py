"""A CronJob's runs read from plain Job and Pod dicts: which Jobs belong to it, when each was scheduled, how it
ended, why, and what evidence of it is left.

Shared by `history` and `scan`. Pure: no client, no clock (callers pass `now`), no terminal.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

Obj = dict[str, Any]

SCHEDULED_ANNOTATION = "batch.kubernetes.io/cronjob-scheduled-timestamp"
"""Set by the CronJob controller on newer clusters (1.28+): the scheduled time as RFC 3339."""
INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate"
"""`manual` on Jobs made by `kubectl create job --from=cronjob/...`."""
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
CONTROLLER_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")
FAILED_REASONS = ("BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy")
"""The Job controller's reasons on a Failed condition (also MaxFailedIndexesExceeded for indexed Jobs)."""

SUCCEEDED = "succeeded"
FAILED = "failed"
RUNNING = "running"
SUSPENDED = "suspended"
FINISHED = (SUCCEEDED, FAILED)

# Seconds since the epoch have had 10 digits since 2001; minutes since the epoch will have 8 until 2160.
_SECONDS_DIGITS = 10


def parse_time(value: Any) -> datetime | None:
    """Parse an RFC 3339 timestamp as the API writes it (`2026-03-19T08:00:00Z`, offsets, fractions)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _meta(obj: Obj) -> Obj:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _status(obj: Obj) -> Obj:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def _spec(obj: Obj) -> Obj:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def name_of(obj: Obj) -> str:
    return str(_meta(obj).get("name") or "")


def uid_of(obj: Obj) -> str:
    return str(_meta(obj).get("uid") or "")


def namespace_of(obj: Obj) -> str:
    return str(_meta(obj).get("namespace") or "")


# ---------------------------------------------------------------------------------------------- one Job


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


def scheduled_time(job: Obj, cronjob_name: str | None = None) -> tuple[datetime | None, str | None]:
    """The time the CronJob controller scheduled this Job for, and where it came from (`annotation`, `name`)."""
    annotations = _meta(job).get("annotations") or {}
    from_annotation = parse_time(annotations.get(SCHEDULED_ANNOTATION))
    if from_annotation is not None:
        return from_annotation.astimezone(timezone.utc), "annotation"
    from_name = suffix_time(name_of(job), cronjob_name)
    if from_name is not None:
        return from_name, "name"
    return None, None


def is_manual(job: Obj) -> bool:
    """True for Jobs made with `kubectl create job --from=cronjob/...` rather than by the schedule."""
    annotations = _meta(job).get("annotations") or {}
    return annotations.get(INSTANTIATE_ANNOTATION) == "manual"


def _condition(job: Obj, kind: str) -> Obj | None:
    for condition in _status(job).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == kind and condition.get("status") == "True":
            return condition
    return None


def outcome(job: Obj) -> str:
    """`succeeded`, `failed`, `running` or `suspended`, from the Job's conditions."""
    # A Job with status.failed > 0 and a Complete condition succeeded: earlier pods failed, a retry passed.
    if _condition(job, "Complete") or _condition(job, "SuccessCriteriaMet"):
        return SUCCEEDED
    # FailureTarget comes first on 1.31+: the Job has failed and its pods are being terminated.
    if _condition(job, "Failed") or _condition(job, "FailureTarget"):
        return FAILED
    if _spec(job).get("suspend") is True or _condition(job, "Suspended"):
        return SUSPENDED
    return RUNNING


def failure_condition(job: Obj) -> Obj | None:
    return _condition(job, "Failed") or _condition(job, "FailureTarget")


def job_reason(job: Obj) -> tuple[str | None, str | None]:
    """The Failed condition's reason and message (BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy)."""
    condition = failure_condition(job)
    if condition is None:
        return None, None
    return condition.get("reason") or None, condition.get("message") or None


def start_time(job: Obj) -> datetime | None:
    return parse_time(_status(job).get("startTime"))


def end_time(job: Obj) -> datetime | None:
    """completionTime is only set on success; a failed Job ends when its Failed condition appeared."""
    status = _status(job)
    completed = parse_time(status.get("completionTime"))
    if completed is not None:
        return completed
    condition = failure_condition(job)
    if condition is not None:
        return parse_time(condition.get("lastTransitionTime")) or parse_time(condition.get("lastProbeTime"))
    return None


def created_time(obj: Obj) -> datetime | None:
    return parse_time(_meta(obj).get("creationTimestamp"))


# ---------------------------------------------------------------------------------------------- pods


class PodIndex:
    """Pods grouped by their Job, built once so a scan over thousands of Jobs stays linear."""

    def __init__(self, pods: Iterable[Obj]) -> None:
        self._by_uid: dict[str, list[Obj]] = {}
        self._by_name: dict[tuple[str, str], list[Obj]] = {}
        self._by_name_without_uid: dict[tuple[str, str], list[Obj]] = {}
        for pod in pods:
            meta = _meta(pod)
            labels = meta.get("labels") or {}
            uids = {labels.get(key) for key in CONTROLLER_UID_LABELS}
            uids |= {ref.get("uid") for ref in meta.get("ownerReferences") or [] if isinstance(ref, dict)}
            uids.discard(None)
            for uid in uids:
                self._by_uid.setdefault(str(uid), []).append(pod)
            for job_name in {labels.get(key) for key in JOB_NAME_LABELS} - {None}:
                key = (str(meta.get("namespace") or ""), str(job_name))
                self._by_name.setdefault(key, []).append(pod)
                if not uids:
                    self._by_name_without_uid.setdefault(key, []).append(pod)

    def for_job(self, job: Obj) -> list[Obj]:
        """The Job's pods, oldest first: by controller-uid label or ownerReference (a re-created Job of the same
        name has another uid), and by the job-name label for pods that carry no uid at all."""
        uid, key = uid_of(job), (namespace_of(job), name_of(job))
        if uid:
            found = self._by_uid.get(uid, []) + self._by_name_without_uid.get(key, [])
        else:
            found = self._by_name.get(key, [])
        unique = {(namespace_of(pod), name_of(pod)): pod for pod in found}
        return sorted(unique.values(), key=lambda pod: (created_time(pod) or _EPOCH, name_of(pod)))


def pods_of(job: Obj, pods: Iterable[Obj]) -> list[Obj]:
    """The Job's pods among `pods` (see PodIndex.for_job)."""
    return PodIndex(pods).for_job(job)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Termination:
    """Why a container (or the pod itself) stopped, as the pod status says."""

    pod: str
    container: str | None
    reason: str | None
    exit_code: int | None
    message: str | None = None


def _container_statuses(pod: Obj) -> list[Obj]:
    status = _status(pod)
    out: list[Obj] = []
    for key in ("initContainerStatuses", "containerStatuses"):
        out.extend(s for s in status.get(key) or [] if isinstance(s, dict))
    return out


def terminations(pod: Obj) -> list[Termination]:
    """Every termination the pod status still holds: current and last states, then the pod's own reason
    (Evicted, DeadlineExceeded) and waiting reasons (ImagePullBackOff, CreateContainerConfigError)."""
    name = name_of(pod)
    out: list[Termination] = []
    for cs in _container_statuses(pod):
        for key in ("state", "lastState"):
            terminated = (cs.get(key) or {}).get("terminated")
            if isinstance(terminated, dict):
                code = terminated.get("exitCode")
                out.append(
                    Termination(
                        pod=name,
                        container=cs.get("name"),
                        reason=terminated.get("reason"),
                        exit_code=code if isinstance(code, int) else None,
                        message=terminated.get("message"),
                    )
                )
    status = _status(pod)
    if status.get("reason"):
        out.append(Termination(pod=name, container=None, reason=status["reason"], exit_code=None,
                               message=status.get("message")))
    for cs in _container_statuses(pod):
        waiting = (cs.get("state") or {}).get("waiting")
        if isinstance(waiting, dict) and waiting.get("reason") not in (None, "ContainerCreating", "PodInitializing"):
            out.append(Termination(pod=name, container=cs.get("name"), reason=waiting.get("reason"),
                                   exit_code=None, message=waiting.get("message")))
    return out


def failure_termination(pods: Sequence[Obj]) -> Termination | None:
    """The most telling failure among the pods, newest pod first: a non-zero exit or a named failure reason
    beats a clean exit."""
    for pod in reversed(pods):
        for item in terminations(pod):
            if (item.exit_code not in (None, 0)) or (item.reason not in (None, "Completed")):
                return item
    return None


def restarts(pods: Iterable[Obj]) -> int:
    """Container restarts inside the pods (restartPolicy OnFailure retries in place, not in new pods)."""
    total = 0
    for pod in pods:
        for cs in _container_statuses(pod):
            count = cs.get("restartCount")
            total += count if isinstance(count, int) else 0
    return total


def logs_available(pod: Obj) -> bool:
    """The kubelet keeps a container's log while the pod exists and the container has started."""
    for cs in _container_statuses(pod):
        state = cs.get("state") or {}
        if "running" in state or "terminated" in state or (cs.get("lastState") or {}).get("terminated"):
            return True
    return False


# ---------------------------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class RunRecord:
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

    @property
    def when(self) -> datetime:
        """Sort key: scheduled time, else creation, else start."""
        return self.scheduled or self.created or self.start or _EPOCH

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
        """A failed run whose pods are gone: no logs, no termination reason, nothing to diagnose."""
        return self.outcome == FAILED and not self.pods


def owned_by(obj: Obj, uid: str) -> bool:
    return any(
        isinstance(ref, dict) and ref.get("uid") == uid for ref in _meta(obj).get("ownerReferences") or []
    )


def _controller_kind(obj: Obj) -> str | None:
    for ref in _meta(obj).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("kind") or "")
    return None


def jobs_of(cronjob: Obj, jobs: Iterable[Obj]) -> list[tuple[Obj, bool]]:
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


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def run_record(job: Obj, pods: Sequence[Obj], *, cronjob_name: str | None = None, orphan: bool = False) -> RunRecord:
    """Reduce one Job and its remaining pods to a RunRecord."""
    scheduled, source = scheduled_time(job, cronjob_name)
    state = outcome(job)
    reason, message = job_reason(job)
    termination = failure_termination(pods) if state != SUCCEEDED else None
    status = _status(job)
    failed_pods = _count(status.get("failed"))
    active = _count(status.get("active"))
    attempts_failed = failed_pods + restarts(pods)
    # The last failed attempt of a failed Job is the failure itself, not a retry.
    retries = max(0, attempts_failed - (1 if state == FAILED else 0))
    return RunRecord(
        job=name_of(job),
        scheduled=scheduled,
        scheduled_source=source,
        manual=is_manual(job),
        orphan=orphan,
        created=created_time(job),
        start=start_time(job),
        end=end_time(job),
        outcome=state,
        reason=reason,
        message=message,
        pod_reason=termination.reason if termination else None,
        exit_code=termination.exit_code if termination else None,
        retries=retries,
        pods=tuple(name_of(pod) for pod in pods),
        logs=any(logs_available(pod) for pod in pods),
        active=active,
    )


def runs_of(cronjob: Obj, jobs: Iterable[Obj], pods: Iterable[Obj] | PodIndex) -> list[RunRecord]:
    """Every run of the CronJob that still has a Job, oldest first."""
    index = pods if isinstance(pods, PodIndex) else PodIndex(pods)
    name = name_of(cronjob)
    records = [
        run_record(job, index.for_job(job), cronjob_name=name, orphan=orphan)
        for job, orphan in jobs_of(cronjob, jobs)
    ]
    return sorted(records, key=lambda run: (run.when, run.job))


_SCHEDULED_NAME = re.compile(r"(.+)-\d+")


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
        owners = [ref.get("uid") for ref in _meta(job).get("ownerReferences") or [] if isinstance(ref, dict)]
        owner = next((by_uid[uid] for uid in owners if uid in by_uid), None)
        if owner is None and _controller_kind(job) in (None, "CronJob"):
            match = _SCHEDULED_NAME.fullmatch(name_of(job))
            candidate = (namespace_of(job), match.group(1)) if match else None
            if candidate in grouped:
                owner = candidate
        if owner is not None:
            grouped[owner].append(job)
    return grouped


# ---------------------------------------------------------------------------------------------- summary


def failure_streak(runs: Sequence[RunRecord]) -> int:
    """Consecutive failed runs, counted back from the latest finished one."""
    streak = 0
    for run in reversed(runs):
        if not run.finished:
            continue
        if run.outcome != FAILED:
            break
        streak += 1
    return streak


def last_finished(runs: Sequence[RunRecord]) -> RunRecord | None:
    for run in reversed(runs):
        if run.finished:
            return run
    return None


def last_success(runs: Sequence[RunRecord]) -> RunRecord | None:
    for run in reversed(runs):
        if run.outcome == SUCCEEDED:
            return run
    return None


def is_failing(runs: Sequence[RunRecord]) -> bool:
    """Failing now: the latest finished run failed."""
    latest = last_finished(runs)
    return latest is not None and latest.outcome == FAILED


def median_duration(runs: Sequence[RunRecord]) -> float | None:
    """The typical duration of successful runs (failures end early or hang, so they would skew it)."""
    durations = [d for run in runs if run.outcome == SUCCEEDED for d in [run.duration()] if d is not None]
    return statistics.median(durations) if durations else None
