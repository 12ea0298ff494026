"""`RecordedRun`: one scheduled run as `record` captured and reports it (a stdout line, a JSON line, metric
labels, the --on-failure environment). Pure data: built from the bundle's job.json and verdict, never from a
client."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RecordedRun:
    """A finished scheduled run of a CronJob and where its evidence lies."""

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
