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
