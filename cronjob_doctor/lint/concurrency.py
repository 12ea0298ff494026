"""Overlapping runs: `concurrencyPolicy: Allow` (the default) for a job that writes shared state."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload
from cronjob_doctor.lint.shell import script_of

_STATEFUL = re.compile(
    r"\b(backup|dump|pg_dump|mysqldump|mongodump|restic|rsync|rclone|sync|migrat\w*|mc\s+(cp|mirror)|"
    r"aws\s+s3|gsutil|terraform|tofu|export|import|cleanup|rotate|prune)\b",
    re.IGNORECASE,
)


class ConcurrencyAllow(BaseCheck):
    id = "concurrency-allow"
    severity: Severity = "warning"
    title = "Runs may overlap (concurrencyPolicy: Allow)"
    help = (
        "With Allow (the default) a run that outlasts the schedule interval, or a missed run started late, "
        "runs beside the next one: two backups, migrations or syncs writing the same place."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        policy = workload.spec.get("concurrencyPolicy") or "Allow"
        if policy != "Allow":
            return
        text = " ".join(
            [workload.name] + [s.text for c in workload.containers() if (s := script_of(c)) is not None]
        )
        match = _STATEFUL.search(text)
        stateful = match is not None
        shown = "is unset (Allow)" if "concurrencyPolicy" not in workload.spec else "is Allow"
        reason = f" and the job looks stateful ({match.group(0)!r})" if match else ""
        yield self.finding(
            workload,
            message=f"concurrencyPolicy {shown}{reason}: a slow run overlaps the next one",
            path="spec.concurrencyPolicy",
            severity="warning" if stateful else "info",
            fix="set concurrencyPolicy: Forbid (skip a run while one is active) or Replace",
        )
