"""`RunResult`: one recorded run as `record` reports it (a stdout line, a JSON line, metric labels, the
--on-failure environment). Pure data: built from the bundle's job.json and verdict, never from a client."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cronjob_doctor.capture.follow import job_finished


@dataclass(frozen=True)
class RunResult:
    """A finished run of a CronJob and where its evidence lies."""

    namespace: str
    cronjob: str
    job: str
    outcome: str
    """`succeeded`, `failed`, or `unknown` (the Job vanished before it ended)."""
    reason: str | None
    """The Job's Failed condition reason (BackoffLimitExceeded, DeadlineExceeded, ...)."""
    verdict: str
    confidence: float
    summary: str
    bundle: str
    partial: bool
    """Some evidence may be missing: the recorder was down, the API unreachable, or the Job already over."""
    finished_at: str | None
    duration_seconds: float | None

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["confidence"] = round(self.confidence, 2)
        return out


def job_outcome(job: dict[str, Any] | None) -> tuple[str, str | None]:
    """(outcome, Failed reason) from the Job's conditions; a Complete condition wins over failed pods."""
    finished = job_finished(job)
    if finished == "Complete":
        return "succeeded", None
    if finished == "Failed":
        for condition in ((job or {}).get("status") or {}).get("conditions") or []:
            if condition.get("type") == "Failed" and condition.get("status") == "True":
                return "failed", condition.get("reason")
        return "failed", None
    return "unknown", None


def finished_at(job: dict[str, Any] | None) -> str | None:
    """When the Job ended: completionTime, else the Complete/Failed condition's transition time."""
    status = (job or {}).get("status") or {}
    if status.get("completionTime"):
        return str(status["completionTime"])
    for condition in status.get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            moment = condition.get("lastTransitionTime")
            return str(moment) if moment else None
    return None


def duration_seconds(job: dict[str, Any] | None) -> float | None:
    """startTime to the end, from the Job's own status (the kube clock, not ours)."""
    start = ((job or {}).get("status") or {}).get("startTime")
    end = finished_at(job)
    if not start or not end:
        return None
    try:
        return max(0.0, (parse_time(end) - parse_time(start)).total_seconds())
    except ValueError:
        return None


def parse_time(text: str) -> datetime:
    """RFC 3339 as the API writes it (`Z` suffix) to an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
