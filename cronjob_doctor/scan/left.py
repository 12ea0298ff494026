"""A debug Job that cronjob-doctor left in the cluster, and who (if anyone) looks after it: the shape scan and
history report and diagnose acts on. Pure data; scan/orphans.py decides the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Obj = dict[str, Any]

RUNNING = "running"
"""Its diagnose is alive (holds the Lease, renewed within its duration)."""
ORPHAN = "orphan"
"""Its diagnose is gone: adopt it (diagnose --adopt) or delete it (diagnose --delete-orphans)."""
KEPT = "kept"
"""Left on purpose by diagnose --keep."""
UNKNOWN = "unknown"
"""The Leases could not be read (RBAC): nothing says whether its diagnose runs."""


@dataclass(frozen=True)
class LeftJob:
    """A debug Job still in the cluster and who, if anyone, looks after it."""

    namespace: str
    name: str
    cronjob: str
    state: str
    why: str
    finished: bool
    outcome: str
    created: datetime | None
    session: str | None = None
    job: Obj = field(default_factory=dict, repr=False, compare=False)
    """The Job as listed (scan lists it trimmed of its pod template)."""

    @property
    def orphan(self) -> bool:
        return self.state == ORPHAN

    def describe(self) -> str:
        """`job x (running, created 2026-...) was left by a diagnose that is gone: <why>`."""
        status = self.outcome if self.finished else "still running"
        if self.state == ORPHAN:
            return f"job {self.name} ({status}) was left by a diagnose that is gone: {self.why}"
        if self.state == KEPT:
            return f"job {self.name} ({status}) was kept on purpose: {self.why}"
        if self.state == RUNNING:
            return f"job {self.name} ({status}) belongs to a diagnose that is running: {self.why}"
        return f"job {self.name} ({status}): {self.why}"
