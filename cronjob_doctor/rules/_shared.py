"""Small helpers every rule family shares: evidence lines from facts, the failed step, download commands.

Formatting only; no rule decides anything here.
"""

from __future__ import annotations

import re

from cronjob_doctor.k8s.pods import Termination
from cronjob_doctor.rules.base import Evidence
from cronjob_doctor.rules.facts import Facts, Match, TraceLine

_DOWNLOAD = re.compile(r"^(?:curl|wget)\b|\bapk\s+(?:--\S+\s+)*add\b|\bapt-get\s+install\b|\bpip3?\s+install\b")
_SHOWN = 140


def short(command: str) -> str:
    """A command cut to a readable length for summaries."""
    return command if len(command) <= _SHOWN else command[: _SHOWN - 3] + "..."


def term_evidence(term: Termination) -> Evidence:
    return Evidence("pods.json", term.describe())


def match_evidence(match: Match) -> Evidence:
    return Evidence(match.where, match.text)


def trace_evidence(line: TraceLine) -> Evidence:
    return Evidence(f"{line.source}:{line.number}", f"last traced command: {'+' * line.depth} {line.command}")


def step_for(facts: Facts, match: Match | None = None) -> TraceLine | None:
    """The last `set -x` command before the failure (a matched line), else the last one of the failed log."""
    if match is not None:
        found = facts.trace_before(match.log_key, match.number)
        if found is not None:
            return found
    return facts.last_trace()


def during(step: TraceLine | None) -> str:
    return f" during `{short(step.command)}`" if step is not None else ""


def download_commands(facts: Facts) -> list[str]:
    """Traced commands that install or download something at run time."""
    return [t.command for t in facts.trace if _DOWNLOAD.search(t.command)]


def is_download(command: str | None) -> bool:
    return bool(command and _DOWNLOAD.search(command))


def capture_hint(facts: Facts) -> str:
    ns = facts.namespace or "NAMESPACE"
    name = facts.cronjob_name or "CRONJOB"
    return f"capture a run with its evidence: cronjob-doctor diagnose {ns}/{name}"


TAIL_LINES = 8
"""An error among a log's last lines is the one the run died on."""


def family_matches(facts: Facts, verdict: str) -> list[Match]:
    """The job's own error lines of one family (a sidecar's log and recovery lines excluded), oldest first."""
    return [m for m in facts.job_matches() if m.is_error and m.signature.verdict == verdict]


def decisive(facts: Facts, matches: list[Match]) -> Match:
    """The match that best explains the failure: one in a failed container's log, the latest there that names
    a cause."""
    failed = {(t.pod, t.container, t.last_state) for t in facts.failed_terminations()}
    in_failed = [m for m in matches if m.log_key in failed] or matches
    # A tool's closing `failed` line names no cause; an earlier line that names one explains it.
    named = [m for m in in_failed if m.signature.detail is not None]
    return (named or in_failed)[-1]


def log_confidence(facts: Facts, match: Match, *, failed: bool) -> float:
    """A log line's weight, raised when it is among the last lines of its log and the last error there."""
    confidence = match.signature.weight
    if not failed:
        return confidence
    if facts.log_lines.get(match.log_key, 0) - match.number <= TAIL_LINES:
        confidence += 0.05
    later = [m for m in facts.job_matches() if m.log_key == match.log_key and m.is_error and m.number > match.number
             and m.signature.verdict != match.signature.verdict]
    if not later:
        confidence += 0.03
    return confidence
