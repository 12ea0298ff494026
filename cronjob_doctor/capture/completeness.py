"""Whether a capture holds everything it claims, and what a gap does to the verdict built on it.

A follower that cannot read a container's log to its last line records a LogGap; a capture with a gap, or one
that stopped before the Job ended, is *partial*. The verdict then still stands on what was read, but a note
names every incomplete log, the confidence is multiplied by PARTIAL_CONFIDENCE_FACTOR, and the command exits
INCOMPLETE_EXIT_CODE, never 0. Pure: no client, no files, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cronjob_doctor.rules.base import Finding, Verdict

PARTIAL_CONFIDENCE_FACTOR = 0.5
"""A verdict built on a partial capture keeps half its confidence: the missing lines could hold the failure
(for `success`) or a deeper cause (for any other verdict), and nothing says which."""
INCOMPLETE_EXIT_CODE = 4
"""The exit code of a diagnose or record whose capture is partial, whatever the verdict: neither 0 (nothing
wrong found) nor 1 (a failure diagnosed) can be promised on evidence known to be incomplete."""


@dataclass(frozen=True)
class LogGap:
    """A container instance whose log could not be read to its last line."""

    pod: str
    container: str
    previous: bool
    reason: str

    def describe(self) -> str:
        instance = " (previous instance)" if self.previous else ""
        return f"the log of container {self.container} in pod {self.pod}{instance} is incomplete: {self.reason}"

    @property
    def log(self) -> tuple[str, str, bool]:
        """The log file it is about: the streams of a container's successive instances all write one file."""
        return (self.pod, self.container, self.previous)

    def to_dict(self) -> dict[str, Any]:
        return {"pod": self.pod, "container": self.container, "previous": self.previous, "reason": self.reason}


def lowered(confidence: float) -> float:
    """The confidence of a verdict on a partial capture."""
    return round(confidence * PARTIAL_CONFIDENCE_FACTOR, 2)


def partial_verdict(verdict: Verdict, *, gaps: Sequence[LogGap], reasons: Sequence[str] = ()) -> Verdict:
    """`verdict` marked as resting on a partial capture: a note per incomplete log (and per other reason),
    every confidence lowered, and `partial: true` with the gaps in its context."""

    def lower(finding: Finding) -> Finding:
        return replace(finding, confidence=lowered(finding.confidence))

    containers = ", ".join(sorted({f"{gap.pod}/{gap.container}" for gap in gaps}))
    headline = (
        f"partial capture: the log of {containers} could not be read to its end"
        if gaps
        else "partial capture: some evidence could not be read"
    )
    notes = [
        f"{headline}; the verdict rests on what was read, its confidence is lowered from "
        f"{verdict.confidence:.2f} to {lowered(verdict.confidence):.2f} (x{PARTIAL_CONFIDENCE_FACTOR}), "
        f"and the exit code is {INCOMPLETE_EXIT_CODE}"
    ]
    notes += [gap.describe() for gap in gaps]
    notes += [reason for reason in reasons if reason not in notes]
    return replace(
        verdict,
        confidence=lowered(verdict.confidence),
        findings=tuple(lower(f) for f in verdict.findings),
        notes=tuple(notes) + tuple(verdict.notes),
        context={**verdict.context, "partial": True, "incomplete_logs": [gap.to_dict() for gap in gaps]},
    )
