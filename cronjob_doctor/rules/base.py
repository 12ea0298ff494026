"""The shapes every rule and report shares: Evidence, Finding, DebugRun and Verdict, laid out like the verdict JSON.

Rules read a Bundle and yield Findings; they never touch a client, a clock or the terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cronjob_doctor.bundle import Bundle

VERDICT_IDS = (
    "oom",
    "network",
    "image-pull",
    "deadline",
    "permission",
    "config",
    "script-error",
    "scheduling",
    "eviction",
    "success",
    "unknown",
)


@dataclass(frozen=True)
class Evidence:
    """One fact and where to look for it (`pods.json backup-x7/backup`, `logs/backup-x7/backup.log:212`)."""

    source: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "text": self.text}


@dataclass(frozen=True)
class Finding:
    """One candidate root cause with its confidence, evidence and the fix."""

    verdict: str
    confidence: float
    summary: str
    evidence: tuple[Evidence, ...] = ()
    remediation: tuple[str, ...] = ()
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "confidence": round(self.confidence, 2),
            "summary": self.summary,
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": list(self.remediation),
        }
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass(frozen=True)
class DebugRun:
    """The outcome of one debug Job run (one variant, one repetition)."""

    job: str
    variant: str
    memory_limit: str | None
    """The memory limit `container` ran under (None: it had none)."""
    outcome: str
    """`succeeded`, `failed`, or `unknown` when the run could not be followed to its end."""
    reason: str | None = None
    exit_code: int | None = None
    peak_memory_bytes: int | None = None
    """The highest peak of any container (the JSON contract's one number); per container below."""
    duration_seconds: float = 0.0
    bundle: str = ""
    verdict: str | None = None
    """The per-run verdict id, for the summary table."""
    container: str | None = None
    """The container the reason, exit code and `memory_limit` are of: the one killed, else the instrumented one."""
    peak_memory_by_container: Mapping[str, int] = field(default_factory=dict)
    """Container name -> its own measured peak (bytes); a container without samples is absent."""
    memory_limit_by_container: Mapping[str, str | None] = field(default_factory=dict)
    """Container name -> the memory limit it ran under in this run (None: no limit)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "variant": self.variant,
            "memory_limit": self.memory_limit,
            "outcome": self.outcome,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "peak_memory_bytes": self.peak_memory_bytes,
            "duration_seconds": round(self.duration_seconds, 3),
            "bundle": self.bundle,
            "container": self.container,
            "peak_memory_by_container": dict(self.peak_memory_by_container),
            "memory_limit_by_container": dict(self.memory_limit_by_container),
        }


@dataclass(frozen=True)
class Verdict:
    """The answer: the top finding, the ranked candidates, and (from diagnose) the runs behind it."""

    verdict: str
    confidence: float
    summary: str
    evidence: tuple[Evidence, ...] = ()
    remediation: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    runs: tuple[DebugRun, ...] = ()
    detail: str | None = None
    notes: tuple[str, ...] = ()
    """Things the reader should know that are not evidence (a rule that crashed, redaction, partial capture)."""
    context: dict[str, Any] = field(default_factory=dict)
    """What was examined: target, bundle path, debug Job changes, cleanup result; rendered, not judged."""

    @classmethod
    def from_finding(cls, top: Finding, findings: Iterable[Finding], **extra: Any) -> Verdict:
        """The verdict `top` heads; no runner-up claims more confidence than the headline it lost to."""
        ranked = tuple(f if f is top or f.confidence <= top.confidence else replace(f, confidence=top.confidence)
                       for f in findings)
        return cls(
            verdict=top.verdict,
            confidence=top.confidence,
            summary=top.summary,
            evidence=top.evidence,
            remediation=top.remediation,
            findings=ranked,
            detail=top.detail,
            **extra,
        )

    @property
    def exit_code(self) -> int:
        """DESIGN.md: 0 success / nothing wrong found, 1 a failure was diagnosed."""
        return 0 if self.verdict == "success" else 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "confidence": round(self.confidence, 2),
            "summary": self.summary,
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": list(self.remediation),
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.detail:
            out["detail"] = self.detail
        if self.runs:
            out["runs"] = [r.to_dict() for r in self.runs]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.context:
            out["context"] = self.context
        return out


class Rule(Protocol):
    """One root-cause family. `evaluate` yields zero or more findings; it must not raise on odd data."""

    id: str

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]: ...
