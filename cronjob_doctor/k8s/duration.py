"""Durations as users type them (`90s`, `15m`, `1h30m`, `2d`) and as reports show them (`2d6h`, `3m12s`).

Pure.
"""

from __future__ import annotations

import re

from cronjob_doctor.errors import InputError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: str) -> float:
    """Parse `90`, `90s`, `15m`, `1h30m`, `2d` into seconds."""
    raw = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    pos, total = 0, 0.0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    if pos != len(raw) or not raw:
        raise InputError(f"invalid duration {text!r}: expected e.g. 90s, 15m, 1h30m")
    return total


def format_duration(seconds: float | None) -> str:
    """Render seconds as `2d6h`, `6h0m`, `3m12s`, `4.2s`."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    return f"{minutes}m{secs}s"
