"""The lint flow: files (or stdin, or a live CronJob read through the caller's client) -> workloads -> the
lint engine -> a LintReport.

Nothing here imports the kubernetes client or typer: the live CronJob comes through any object with
`get_cronjob()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.names import Target
from cronjob_doctor.lint import CHECKS
from cronjob_doctor.lint.base import SEVERITIES, Severity, Workload
from cronjob_doctor.lint.engine import LintReport, lint_workloads
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
