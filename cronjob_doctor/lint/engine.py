"""The lint engine: every check on every workload, a check that raises becoming a note while the rest still run,
and the report they make. Pure: workloads in, a LintReport out (the same shape as rules/engine.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cronjob_doctor.lint import CHECKS
from cronjob_doctor.lint.base import SEVERITIES, Check, LintFinding, Severity, Workload, severity_rank


@dataclass(frozen=True)
class LintReport:
    """All findings on all workloads, plus notes about checks that could not run."""

    workloads: tuple[Workload, ...]
    findings: tuple[LintFinding, ...]
    threshold: Severity = "info"
    notes: tuple[str, ...] = ()
    checks: tuple[Check, ...] = field(default=CHECKS, repr=False)

    @property
    def shown(self) -> tuple[LintFinding, ...]:
        """The findings at or above the threshold."""
        floor = severity_rank(self.threshold)
        return tuple(f for f in self.findings if severity_rank(f.severity) >= floor)

    def counts(self) -> dict[str, int]:
        """Shown findings per severity."""
        return {s: sum(1 for f in self.shown if f.severity == s) for s in SEVERITIES}

    @property
    def exit_code(self) -> int:
        """1 when any error-severity finding is reported, else 0."""
        return 1 if any(f.severity == "error" for f in self.findings) else 0

    def findings_for(self, workload: Workload) -> list[LintFinding]:
        """The shown findings of one workload, worst first, then in registry order."""
        return [
            f for f in self.shown
            if (f.source, f.kind, f.namespace, f.name) == (workload.source, workload.kind, workload.namespace,
                                                           workload.name)
        ]


def lint_workloads(
    workloads: Sequence[Workload], *, checks: Iterable[Check] = CHECKS, skip: Iterable[str] = (),
    threshold: Severity = "info",
) -> LintReport:
    """Run every check (but the skipped ones) on every workload."""
    skipped = set(skip)
    active = tuple(c for c in checks if c.id not in skipped)
    order = {c.id: i for i, c in enumerate(active)}
    findings: list[LintFinding] = []
    notes: list[str] = []
    for workload in workloads:
        own: list[LintFinding] = []
        for check in active:
            try:
                own.extend(check.run(workload))
            except Exception as exc:  # noqa: BLE001  one broken check must not hide the others' findings
                notes.append(f"check {check.id} failed on {workload.label}: {type(exc).__name__}: {exc}")
        own.sort(key=lambda f: (-severity_rank(f.severity), order.get(f.check, 0)))
        findings.extend(own)
    return LintReport(tuple(workloads), tuple(findings), threshold, tuple(notes), active)
