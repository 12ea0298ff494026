"""`RecordSettings` (what `record` was asked for, built by cli.py) and `RecordOutcome` (how it ended).

Plain data: no parsing of flags (cli.py and settings.py do that) and no behaviour beyond the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cronjob_doctor.capture.completeness import INCOMPLETE_EXIT_CODE
from cronjob_doctor.record.model import RecordedRun


@dataclass(frozen=True)
class RecordSettings:
    """What `record` was asked for (built by cli.py)."""

    namespace: str | None
    """The namespace in scope; None: every namespace (-A)."""
    cronjob: str | None = None
    """One CronJob by name (NS/NAME), else every CronJob in scope."""
    selector: str | None = None
    """Label selector on the CronJobs (-l/--selector)."""
    root: Path = Path("cronjob-doctor-records")
    """The bundle root (--bundle)."""
    on_failure: str | None = None
    """Shell command run for each failed run (--on-failure)."""
    on_failure_timeout: float = 120.0
    keep_last: int | None = None
    """Bundles kept per CronJob (--keep-last)."""
    max_bytes: int | None = None
    """Size budget of the whole root (--max-bytes)."""
    metrics_port: int | None = None
    """Serve Prometheus metrics on this port (--metrics-port; 0 picks one)."""
    metrics_addr: str = "127.0.0.1"
    """Where the metrics server listens (--metrics-address): loopback unless the operator opens it."""
    once: bool = False
    """Stop after the first run that started after record did is recorded (--once); earlier runs caught up on
    the way are recorded and reported, but do not end the wait."""
    duration_seconds: float | None = None
    """Stop after this long (--duration); runs still open are closed as partial."""
    retry_initial: float = 1.0
    """First pause before a failed watch is restarted; doubles up to retry_max."""
    retry_max: float = 30.0
    resync_seconds: float = 60.0
    """How often the Jobs in scope are listed anyway (catches deletions a broken watch missed)."""
    heartbeat_seconds: float = 30.0
    catchup_margin_seconds: float = 300.0
    """Jobs that ended up to this long before the last heartbeat are still caught up (clock skew, crash)."""
    follow_timeout_seconds: float = 7 * 86400.0
    """A Job followed longer than this is closed as partial (a hang without activeDeadlineSeconds)."""
    grace_seconds: float = 15.0
    redact: bool = True
    """Redact Secret values and credential patterns in bundle logs (`--no-redact` turns it off)."""
    """How long log streams may stay open after the Job ended."""

    @property
    def scope(self) -> str:
        if self.cronjob:
            return f"cronjob {self.namespace}/{self.cronjob}"
        where = f"namespace {self.namespace}" if self.namespace else "all namespaces"
        return f"CronJobs in {where}" + (f" matching {self.selector}" if self.selector else "")


@dataclass
class RecordOutcome:
    """How the recorder ended."""

    results: list[RecordedRun] = field(default_factory=list)
    fresh: list[RecordedRun] = field(default_factory=list)
    """The runs that started after record did."""
    interrupted: bool = False
    once: bool = False

    @property
    def exit_code(self) -> int:
        """130 when stopped by a signal; 4 (capture.completeness) if a judged run was captured only partially;
        with --once, 1 if the run it waited for failed; with --duration, 1 if a recorded run failed; else 0."""
        if self.interrupted:
            return 130
        judged = self.fresh if self.once else self.results
        if any(r.partial for r in judged):
            return INCOMPLETE_EXIT_CODE
        return 1 if any(r.failed for r in judged) else 0
