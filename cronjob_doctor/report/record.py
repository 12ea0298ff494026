"""Renderers for `record`: one plain line per finished run (grep-able, no colour, no wrapping) and JSON lines.

They return strings and never print; the CLI writes them to stdout as each run ends.
"""

from __future__ import annotations

import json

from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.record.model import RecordedRun


def text_line(result: RecordedRun) -> str:
    """`<finished> <outcome> <ns>/<cronjob> job=<job> [reason=..] verdict=<id>(<confidence>) ... - <summary>`."""
    parts = [
        result.finished_at or "-",
        result.outcome,
        f"{result.namespace}/{result.cronjob}",
        f"job={result.job}",
    ]
    if result.reason:
        parts.append(f"reason={result.reason}")
    parts.append(f"verdict={result.verdict}({result.confidence:.2f})")
    if result.duration_seconds is not None:
        parts.append(f"duration={format_duration(result.duration_seconds)}")
    parts.append(f"bundle={result.bundle}")
    if result.partial:
        parts.append("partial")
    summary = " ".join(result.summary.split())
    return " ".join(parts) + (f" - {summary}" if summary else "")


def json_line(result: RecordedRun) -> str:
    """The run as one compact JSON object (`-o json`: one line per run, for jq or a log shipper)."""
    return json.dumps(result.to_dict(), separators=(",", ":"), sort_keys=True)


RENDERERS = {"text": text_line, "json": json_line}
