"""The Signature shape and its constructor, shared by the family tables.

Every pattern must run in time linear in the line: no nested quantifiers, gaps between literals bounded
(`.{0,200}`), a leading character class anchored by a look-behind or `^` so a search does not restart inside
a long run. Facts only ever show a signature a line's first and last MAX_LINE characters (`seen`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINE = 4096
"""Signatures look at the first and the last 4 KiB of a line: error texts come first in a line of their own, but
a script that prints without newlines (progress bars, `printf` without `\n`) leaves its failure at the end of a
long one; both ends bound the work per line."""

ELISION = " … "


def seen(line: str) -> str:
    """The part of a line signatures search: all of it, or its first and last MAX_LINE characters."""
    if len(line) <= 2 * MAX_LINE + len(ELISION):
        return line
    return f"{line[:MAX_LINE]}{ELISION}{line[-MAX_LINE:]}"


@dataclass(frozen=True)
class Signature:
    """One recognisable error text."""

    id: str
    verdict: str
    """The family (`network`, `permission`, ...), or `recovered` for a line that says a retry succeeded."""
    detail: str | None
    pattern: re.Pattern[str]
    label: str
    """What the match means, in a few words ("curl exit 6: DNS lookup failed")."""
    weight: float = 0.7
    """How strongly the line alone points at its family (0.6-0.9: a log is weaker evidence than pod status)."""


def sig(sid: str, verdict: str, detail: str | None, pattern: str, label: str, weight: float = 0.7, *,
        case: bool = False) -> Signature:
    """A signature; patterns ignore case unless `case` (for texts whose case carries meaning: PERMISSION_DENIED)."""
    return Signature(sid, verdict, detail, re.compile(pattern, 0 if case else re.IGNORECASE), label, weight)


HOST = r"(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]{0,252})"
IP = r"(?P<ip>[0-9a-fA-F.:\[\]]{2,45}?)"
