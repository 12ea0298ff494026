"""The lint flow: files (or stdin, or a live CronJob read through the caller's client) -> workloads -> findings.

Every check runs on every workload; a check that raises becomes a note and the rest still run. Nothing here
imports the kubernetes client or typer: the live CronJob comes through any object with `get_cronjob()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.names import Target
from cronjob_doctor.lint import CHECKS
from cronjob_doctor.lint.base import SEVERITIES, Check, LintFinding, Severity, Workload, severity_rank
from cronjob_doctor.lint.loader import load_text


class CronJobReader(Protocol):
    """What the live branch needs from the cluster client."""

    def get_cronjob(self, namespace: str, name: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class LintSettings:
    """What `cronjob-doctor lint` was asked to do."""

    files: tuple[str, ...] = ()
    """Manifest files to read; `-` is stdin."""
    target: Target | None = None
    """A live CronJob to read instead of files."""
    threshold: Severity = "info"
    """Report findings of this severity and above (error-severity findings are always reported)."""
    skip: tuple[str, ...] = ()
    """Check ids not to run."""

    def __post_init__(self) -> None:
        if self.threshold not in SEVERITIES:
            raise InputError(f"invalid severity {self.threshold!r}: expected error, warning or info")
        known = {check.id for check in CHECKS}
        unknown = [s for s in self.skip if s not in known]
        if unknown:
            raise InputError(
                f"unknown check id(s): {', '.join(unknown)}", hint="the ids are listed in cronjob-doctor lint --help"
            )
        if bool(self.files) == bool(self.target):
            raise InputError("lint needs either NAMESPACE/NAME or -f FILE", hint="cronjob-doctor lint -f cronjob.yaml")


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


def read_files(paths: Sequence[str], *, stdin: TextIO) -> list[Workload]:
    """Every CronJob and Job in the files (`-` reads stdin); InputError for unreadable or malformed ones."""
    workloads: list[Workload] = []
    for path in paths:
        if path == "-":
            text = stdin.read()
        else:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except FileNotFoundError:
                raise InputError(f"{path}: no such file") from None
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{path}: cannot read: {exc}") from None
        workloads.extend(load_text(text, path))
    if not workloads:
        raise InputError(
            f"no CronJob or Job found in {', '.join(paths)}",
            hint="render Helm/kustomize first: helm template ... | cronjob-doctor lint -f -",
        )
    return workloads


def run(settings: LintSettings, *, stdin: TextIO, kube: CronJobReader | None = None) -> LintReport:
    """Load the workloads the settings name and lint them."""
    if settings.target is not None:
        if kube is None:
            raise InputError("a live CronJob needs a cluster client")
        target = settings.target
        obj = kube.get_cronjob(target.namespace, target.name)
        obj = {"apiVersion": "batch/v1", "kind": "CronJob", **obj}
        workloads = [Workload(obj=obj, source=f"cronjob/{target.namespace}/{target.name}")]
    else:
        workloads = read_files(settings.files, stdin=stdin)
    return lint_workloads(workloads, skip=settings.skip, threshold=settings.threshold)
