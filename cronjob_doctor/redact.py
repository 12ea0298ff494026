"""Redaction of secrets in log lines and report text: the values of Secret-backed env vars, and credential
patterns that `set -x` expands into the trace (access keys, bearer tokens, passwords in URLs and flags,
`mc alias set` arguments, Authorization headers).

Pure: built from values the caller read, it never reads a Secret, the environment or a file, and never stores
the values anywhere but in its compiled pattern. One regex per Redactor, so a streamed line costs one scan.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping

MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter Secret values ("yes", "admin", "sync") are not redacted by value: they would mangle ordinary text
(pod and Job names, paths) and protect nothing a guess would not find; the credential patterns still apply."""

_VALUE = r"(?:\"[^\"\s]*\"|'[^'\s]*'|[^\s\"',;&|]+)"
"""A credential as a shell or a config line spells it: quoted, or up to the next separator."""
_SECRET_WORD = r"(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"

# (name, pattern). Groups named `keep` stay as they are, groups named `hide` are replaced; every other part of
# the match stays. Names are suffixed per pattern when compiled (a regex needs unique group names).
_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "mc-alias",
        r"(?P<keep>\bmc\s+(?:alias\s+set|config\s+host\s+add)\s+\S+\s+\S+\s+)(?P<hide>\S+)(?P<keep2>\s+)(?P<hide2>\S+)",
    ),
    (
        "authorization",
        r"(?i)(?P<keep>\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest|aws4-hmac-sha256)\s+)?)(?P<hide>[^\s\"']+)",
    ),
    ("bearer", r"(?i)(?P<keep>\bbearer\s+)(?P<hide>[A-Za-z0-9\-._~+/]{8,}=*)"),
    ("url-password", r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)(?P<hide>[^/\s@]+)(?=@)"),
    ("flag", rf"(?i)(?P<keep>(?<![\w-])--?[a-z0-9-]*{_SECRET_WORD}[a-z0-9-]*(?:=|\s+))(?P<hide>{_VALUE})"),
    ("user-flag", rf"(?P<keep>(?<![\w-])(?:-u|--user)(?:=|\s+)[^\s:]+:)(?P<hide>{_VALUE})"),
    ("assignment", rf"(?i)(?P<keep>\b[a-z0-9_.]*{_SECRET_WORD}[a-z0-9_]*\"?\s*[:=]\s*)(?P<hide>{_VALUE})"),
    ("aws-access-key", r"(?P<hide>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b)"),
    ("jwt", r"(?P<hide>\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)"),
    ("github-token", r"(?P<hide>\bgh[pousr]_[A-Za-z0-9]{30,})"),
    ("slack-token", r"(?P<hide>\bxox[abprs]-[A-Za-z0-9-]{10,})"),
)
_GROUP = re.compile(r"\(\?P<(keep|hide)(\d?)>")


def _redaction_mark(name: str) -> str:
    """What stands in a log line for the value of the Secret key or variable `name`."""
    return f"<redacted:{name}>"


class Redactor:
    """Replace Secret values with `<redacted:NAME>` and credential patterns with `***`, counting both.

    `secrets` maps a name the reader understands (the env var, e.g. S3_SECRET_KEY) to its value. Thread-safe:
    log streams of several containers redact concurrently."""

    def __init__(self, secrets: Mapping[str, str] | None = None, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._names: dict[str, str] = {}
        for name, value in (secrets or {}).items():
            for piece in _pieces(value):
                self._names.setdefault(piece, name)
        self._lock = threading.Lock()
        self.secret_hits = 0
        """How many Secret values were replaced so far."""
        self.pattern_hits = 0
        """How many credential-pattern matches were replaced so far."""
        alternatives = []
        if self._names:
            values = sorted(self._names, key=len, reverse=True)  # longest first: a value containing another wins
            alternatives.append("(?P<secret>" + "|".join(re.escape(v) for v in values) + ")")
        self._hides: dict[str, list[str]] = {}
        for index, (_name, pattern) in enumerate(_PATTERNS):
            flags = ""
            if pattern.startswith("(?i)"):
                flags, pattern = "(?i:", pattern[4:]
            renamed = _GROUP.sub(rf"(?P<\1\2_{index}>", pattern)
            self._hides[f"p{index}"] = re.findall(r"\(\?P<(hide\d?_\d+)>", renamed)
            body = f"{flags}{renamed})" if flags else renamed
            alternatives.append(f"(?P<p{index}>{body})")
        self._pattern = re.compile("|".join(alternatives))

    @property
    def secret_count(self) -> int:
        """How many distinct Secret values (or lines of multi-line values) are redacted by value."""
        return len(self._names)

    def redact(self, text: str) -> str:
        """`text` with every Secret value and credential replaced; unchanged when disabled."""
        if not self.enabled or not text:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        if self._names and match.group("secret") is not None:
            self._count(secret=True)
            return _redaction_mark(self._names[match.group(0)])
        alternative = next(name for name in self._hides if match.group(name) is not None)
        start = match.start()
        text = match.group(0)
        spans = sorted(match.span(h) for h in self._hides[alternative] if match.group(h) is not None)
        out, cursor = [], 0
        for begin, end in spans:
            out.append(text[cursor : begin - start])
            hidden = text[begin - start : end - start]
            if hidden.strip("\"'") == MASK or hidden.strip("\"'").startswith("<redacted:"):
                out.append(hidden)  # redacted already (a report built from redacted logs): count it once
            else:
                name = self._names.get(hidden.strip("\"'"))
                out.append(_redaction_mark(name) if name else MASK)
                self._count(secret=name is not None)
            cursor = end - start
        out.append(text[cursor:])
        return "".join(out)

    def _count(self, *, secret: bool) -> None:
        with self._lock:
            if secret:
                self.secret_hits += 1
            else:
                self.pattern_hits += 1

    def note(self) -> str | None:
        """The sentence for the verdict's notes, or None when nothing was redacted."""
        if not self.enabled:
            return "redaction off (--no-redact): logs and reports may hold secret values"
        parts = []
        if self.secret_hits:
            parts.append(f"{self.secret_hits} secret value{'s' if self.secret_hits != 1 else ''}")
        if self.pattern_hits:
            parts.append(f"{self.pattern_hits} credential{'s' if self.pattern_hits != 1 else ''}")
        if not parts:
            return None
        return f"redacted {' and '.join(parts)} in logs and reports; --no-redact to keep them"


def _pieces(value: str) -> list[str]:
    """The strings to look for: the value itself, or each line of a multi-line value (a log line is one line)."""
    lines = [line.strip() for line in value.splitlines()] if "\n" in value else [value]
    return [piece for piece in lines if len(piece) >= MIN_SECRET_LENGTH]
