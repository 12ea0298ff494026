"""Timestamps as the API writes them (RFC 3339: `2026-03-19T08:00:00Z`, offsets, fractions of a second).

Pure. The one parser of API times in the product; log line timestamps (nanoseconds, ordering) are kube/logs'.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """An aware datetime (UTC when the text names no zone), or None for anything that is not a timestamp."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python before 3.11 reads at most 6 fraction digits; the API may write 9.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: dot + 1] + text[dot + 1:end][:6].ljust(6, "0") + text[end:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, whole seconds, as the API writes creationTimestamp."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """`end - start` in seconds, never negative (clock skew between controllers); None when either is unknown."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())
