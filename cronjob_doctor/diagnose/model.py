"""What `diagnose --dry-run` answers: the debug Jobs it would create and their diff against the jobTemplate.

Plain data for report/dry_run.py; the flow (diagnose/flow.py) fills it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlannedJob:
    """One debug Job as it would be created."""

    variant: str
    run: int
    manifest: dict[str, Any]
    diff: str
    """A unified diff, as YAML, of the CronJob's jobTemplate against this Job."""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class DryRun:
    """What `--dry-run` shows: report/dry_run.py renders it as a YAML stream or a JSON List."""

    cronjob: str
    jobs: tuple[PlannedJob, ...]
    via: str | None = None
