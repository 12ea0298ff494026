"""The shapes every lint check shares: Workload (one CronJob or Job and where it came from), LintFinding, Check.

Checks read a Workload's plain dict (the API's own JSON) and yield LintFindings; they never touch a client,
the terminal or a file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

from cronjob_doctor.k8s import templates

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


def severity_rank(severity: str) -> int:
    """Order severities: info < warning < error."""
    return _RANK[severity]


@dataclass(frozen=True)
class Container:
    """One container (or init container) of a workload's pod template, with its field path."""

    spec: dict[str, Any]
    path: str
    """e.g. `spec.jobTemplate.spec.template.spec.containers[0]`."""

    @property
    def name(self) -> str:
        return str(self.spec.get("name") or "?")


@dataclass(frozen=True)
class Workload:
    """A CronJob or Job found in an input, with the source it was read from."""

    obj: dict[str, Any]
    source: str
    """The file name (`-` for stdin) or `cluster` for a live object."""
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    """Field path -> 1-based line in the source, where known (YAML/JSON files)."""
    literal_blocks: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    """Paths whose value is a YAML literal block (`|`): its text lines are the file's lines."""

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name") or "")

    @property
    def namespace(self) -> str | None:
        namespace = (self.obj.get("metadata") or {}).get("namespace")
        return str(namespace) if namespace else None

    @property
    def is_cronjob(self) -> bool:
        return self.kind == "CronJob"

    @property
    def spec(self) -> dict[str, Any]:
        return _dict(self.obj.get("spec"))

    @property
    def job_spec(self) -> dict[str, Any]:
        """The Job spec: `spec.jobTemplate.spec` of a CronJob, `spec` of a Job."""
        if self.is_cronjob:
            return _dict(_dict(self.spec.get("jobTemplate")).get("spec"))
        return self.spec

    @property
    def job_path(self) -> str:
        return "spec.jobTemplate.spec" if self.is_cronjob else "spec"

    @property
    def pod_spec(self) -> dict[str, Any]:
        return _dict(_dict(self.job_spec.get("template")).get("spec"))

    @property
    def pod_path(self) -> str:
        return f"{self.job_path}.template.spec"

    def containers(self, *, init: bool = True) -> Iterator[Container]:
        """Every container, init containers first (they run first and download just as often)."""
        keys = ("initContainers", "containers") if init else ("containers",)
        for key in keys:
            for index, spec in enumerate(self.pod_spec.get(key) or []):
                if isinstance(spec, dict):
                    yield Container(spec=spec, path=f"{self.pod_path}.{key}[{index}]")

    def line_of(self, path: str) -> int | None:
        """The line of `path` in the source, or of its nearest ancestor that exists there."""
        probe = path
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return self.lines.get("")

    def text_line(self, path: str, offset: int) -> int | None:
        """The file line of line `offset` (0-based) inside the string at `path`, when it is a literal block."""
        if path not in self.literal_blocks or path not in self.lines:
            return None
        return self.lines[path] + 1 + offset

    @property
    def label(self) -> str:
        """`CronJob tofu-state/tf-state-backup` (namespace left out when the manifest has none)."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True)
class LintFinding:
    """One problem in one object: which check, how bad, what, where (field path) and the fix."""

    check: str
    severity: Severity
    message: str
    path: str
    fix: str
    kind: str
    namespace: str | None
    name: str
    source: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "fix": self.fix,
            "object": {"kind": self.kind, "namespace": self.namespace, "name": self.name},
            "source": self.source,
            "line": self.line,
        }


class Check(Protocol):
    """One static check: a stable id, its default severity, a title and help (the SARIF rule)."""

    id: str
    severity: Severity
    """The default, and the worst its findings may have: a finding may be lowered (a warning when only close
    to a limit), never raised, so `scan` can count errors by running the error-severity checks alone."""
    title: str
    help: str

    def run(self, workload: Workload) -> Iterable[LintFinding]: ...


class BaseCheck(ABC):
    """Shared plumbing: CronJob-only checks skip Jobs; `finding()` fills in the object and the line."""

    id: str
    severity: Severity
    title: str
    help: str
    cronjob_only: ClassVar[bool] = False
    """Checks of CronJob-only fields (schedule, history limits) skip plain Jobs."""

    def run(self, workload: Workload) -> Iterable[LintFinding]:
        """Yield this check's findings on `workload` (none for a Job when the check is CronJob-only)."""
        if self.cronjob_only and not workload.is_cronjob:
            return ()
        return self.check(workload)

    @abstractmethod
    def check(self, workload: Workload) -> Iterable[LintFinding]:
        """The check itself, on a workload it applies to."""

    def finding(
        self,
        workload: Workload,
        *,
        message: str,
        path: str,
        fix: str,
        severity: Severity | None = None,
        line: int | None = None,
    ) -> LintFinding:
        """A finding of this check on `workload` at `path` (severity defaults to the check's own; `line`
        overrides the line of `path`, e.g. the script line of the offending command)."""
        return LintFinding(
            check=self.id,
            severity=severity or self.severity,
            message=message,
            path=path,
            fix=fix,
            kind=workload.kind,
            namespace=workload.namespace,
            name=workload.name,
            source=workload.source,
            line=line or workload.line_of(path),
        )


def memory_limit(container: Container) -> str | None:
    """The container's `resources.limits.memory`, or None (k8s.templates reads it)."""
    return templates.memory_limit(container.spec)


def memory_request(container: Container) -> str | None:
    """The container's `resources.requests.memory`, or None."""
    return templates.memory_request(container.spec)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
