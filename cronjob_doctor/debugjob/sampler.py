"""The peak-memory sampler: the shell snippet the debug Job runs beside the script, and the parser of its lines.

The snippet prints marked lines with the container's cgroup memory (v2 `memory.current`/`memory.peak`, or the v1
files); the tool hides them from the displayed log and keeps them in the bundle as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = "##cronjob-doctor-mem"

# Runs in a background subshell without tracing, so its own commands never reach the trace.
SNIPPET = (
    "( set +x; while :; do "
    "c=$(cat /sys/fs/cgroup/memory.current 2>/dev/null "
    "|| cat /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null); "
    "p=$(cat /sys/fs/cgroup/memory.peak 2>/dev/null "
    "|| cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null); "
    f'echo "{MARKER} current=${{c:-?}} peak=${{p:-?}}"; '
    "sleep 1; done ) &"
)

_LINE = re.compile(re.escape(MARKER) + r" current=(\S+) peak=(\S+)")


@dataclass(frozen=True)
class MemorySample:
    """One sampler reading: bytes in use and the cgroup's own high-water mark (when the kernel has one)."""

    current: int | None
    peak: int | None

    @property
    def highest(self) -> int | None:
        values = [v for v in (self.current, self.peak) if v is not None]
        return max(values) if values else None


def parse_sample(text: str) -> MemorySample | None:
    """Return the sample on a log line (timestamp prefix allowed), or None for an ordinary line."""
    if MARKER not in text:
        return None
    match = _LINE.search(text)
    if not match:
        return None
    return MemorySample(_int_or_none(match.group(1)), _int_or_none(match.group(2)))


def is_sample_line(text: str) -> bool:
    """Whether the displayed log should hide this line."""
    return MARKER in text


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None
