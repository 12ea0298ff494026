"""Redaction of secrets in log lines and report text: the values of the Secrets a job reads (as they are, and
in the forms a script turns them into: base64, URL- and JSON-escaped, upper or lower case), and credential
patterns that `set -x` expands into the trace (access keys, bearer tokens, passwords in URLs and flags,
`mc alias set` arguments, Authorization headers).

Pure: built from values the caller read, it never reads a Secret, the environment or a file, and never stores
the values anywhere but in its patterns. Linear in the line: a log line can be megabytes long, and every
pattern here does a bounded amount of work per character (no pattern can backtrack over the same text twice;
tests/properties/test_linear_patterns.py holds each to well under a second on 1 MB lines of every kind).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 6
"""Shorter Secret values ("yes", "admin", "sync") are not redacted by value: they would mangle ordinary text
(pod and Job names, paths) and protect nothing a guess would not find; the credential patterns still apply."""
MIN_ENCODED_LENGTH = 7
"""The fewest base64 characters a form may have: 42 bits, which a random base64 blob holds by chance once in
10^13 positions. A value of MIN_SECRET_LENGTH bytes behind a prefix of unknown length keeps 7 characters of
its own (8 bits per byte, 6 per character, less the characters it shares with the prefix and what follows)."""

_VALUE = r"(?:\"[^\"\s]*\"|'[^'\s]*'|[^\s\"',;&|]+)"
"""A credential as a shell or a config line spells it: quoted, or up to the next separator."""
_SECRET_WORD = r"(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
_SECRET_TRIGGERS = ("passw", "pwd", "secret", "token", "api", "access", "private", "credential")
"""Case-folded pieces of which every _SECRET_WORD holds one: a line without any of them cannot match."""
_ATOMIC = "(?=(?P<{0}>{1}))(?P={0})"
"""`{1}` matched once and never given back (an atomic group, which `re` lacks before Python 3.11): the engine
cannot retry shorter runs, which is what makes `[a-z]*password[a-z]*=` quadratic on `passwordpassword...`."""


def _atomic(name: str, pattern: str) -> str:
    return _ATOMIC.format(name, pattern)


def _spaces(name: str, least: int = 0) -> str:
    """Whitespace, taken whole: what follows it cannot start with whitespace, so giving some back is useless
    (and costs a retry per character of a megabyte of blanks)."""
    return _atomic(name, r"\s+" if least else r"\s*")


@dataclass(frozen=True)
class _Pattern:
    """One credential pattern and the literal text without which it cannot match (a cheap pre-check)."""

    name: str
    regex: str
    """Groups named `keep` stay as they are, groups named `hide` are replaced; every other part of the match
    stays. Group names are suffixed per pattern when compiled (a regex needs unique group names)."""
    triggers: tuple[str, ...]
    """The line holds one of these (case-folded when `folded`) or the pattern is not run on it."""
    starts: str
    """The characters a match can start with, as the inside of a character class (compared ignoring case;
    a literal `-` escaped: the classes of several patterns are joined)."""
    folded: bool = False


# Each pattern starts only where a run of its characters starts (a lookbehind or a literal), and every
# variable-length part is either followed by a character it cannot contain or is atomic: so the work per start
# is bounded by the run it reads, and runs read from different starts do not overlap.
_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern(
        "mc-alias",
        r"(?P<keep>\bmc\s+(?:alias\s+set|config\s+host\s+add)\s+\S+\s+\S+\s+)(?P<hide>\S+)(?P<keep2>\s+)(?P<hide2>\S+)",
        ("mc",),
        "m",
    ),
    _Pattern(
        "authorization",
        rf"(?i)(?P<keep>\b(?:proxy-)?authorization{_spaces('s1')}[:=]{_spaces('s2')}"
        rf"(?:(?:bearer|basic|token|digest|aws4-hmac-sha256){_spaces('s3', 1)})?)(?P<hide>[^\s\"']+)",
        ("authorization",),
        "ap",
        folded=True,
    ),
    _Pattern("bearer", r"(?i)(?P<keep>\bbearer\s+)(?P<hide>[A-Za-z0-9\-._~+/]{8,}=*)", ("bearer",), "b", folded=True),
    _Pattern(
        "url-password",
        r"(?<![a-zA-Z0-9+.\-])(?P<keep>[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)(?P<hide>[^/\s@]+)(?=@)",
        ("://",),
        "a-z",
    ),
    _Pattern(
        "flag",
        rf"(?i)(?<![\w-])(?P<keep>--?(?=[a-z0-9_-]*?{_SECRET_WORD}){_atomic('name', '[a-z0-9_-]*')}"
        rf"(?:=|{_spaces('s', 1)}))"
        rf"(?P<hide>{_VALUE})",
        _SECRET_TRIGGERS,
        r"\-",
        folded=True,
    ),
    _Pattern(
        "user-flag",
        rf"(?<![^\s\"'])(?P<keep>(?:-u|--user)(?:=|{_spaces('s', 1)})[\"']?[^\s:\"']+:)(?P<hide>{_VALUE})",
        ("-u", "--user"),
        r"\-",
    ),
    _Pattern(
        "assignment",
        # a dotted name (spring.datasource.password) whose last segment holds a secret word, then `=` or `:`
        rf"(?i)(?<![a-z0-9_.-])(?=[a-z0-9_-])(?P<keep>(?:{_atomic('segment', '[a-z0-9_-]*')}\.)*"
        rf"(?=[a-z0-9_-]*?{_SECRET_WORD}){_atomic('last', '[a-z0-9_-]*')}\"?{_spaces('s1')}[:=]{_spaces('s2')})"
        rf"(?P<hide>{_VALUE})",
        _SECRET_TRIGGERS,
        r"a-z0-9_\-",
        folded=True,
    ),
    _Pattern(
        "aws-access-key",
        r"(?P<hide>\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b)",
        ("AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
        "A",
    ),
    _Pattern(
        "jwt",
        r"(?<![A-Za-z0-9_-])(?P<hide>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+)",
        ("eyJ",),
        "e",
    ),
    _Pattern("github-token", r"(?P<hide>\bgh[pousr]_[A-Za-z0-9]{30,})", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), "g"),
    _Pattern("slack-token", r"(?P<hide>\bxox[abprs]-[A-Za-z0-9-]{10,})", ("xox",), "x"),
)
_NAMED = re.compile(r"\(\?P([<=])(\w+)")
_MARK = r"<redacted:[^<>\s]*>"
"""A mark written by an earlier pass (a report built from redacted logs): matched first and kept, so a value
that is also part of a name (`backup` in BACKUP_PASSWORD) is never redacted inside the mark."""


def _redaction_mark(name: str) -> str:
    """What stands in a log line for the value of the Secret key or variable `name`."""
    return f"<redacted:{name}>"


class Redactor:
    """Replace Secret values with `<redacted:NAME>` and credential patterns with `***`, counting both.

    `secrets` maps a name the reader understands (the env var S3_SECRET_KEY, or SECRET/KEY for a mounted
    Secret) to its value. Thread-safe: log streams of several containers redact concurrently."""

    def __init__(self, secrets: Mapping[str, str] | None = None, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._forms: dict[str, str] = {}
        """Form -> name. A form is a value, a line of a multi-line value, or an encoding or case of one."""
        for name, value in (secrets or {}).items():
            for piece in _pieces(value):
                for form in _forms(piece):
                    self._forms.setdefault(form, name)
        self._folded = tuple((form.casefold(), form) for form in self._forms)
        """(case-folded form, form): the cheap pre-check runs on case-folded text."""
        self._by_folded = {key: self._forms[form] for key, form in reversed(self._folded)}
        self._lock = threading.Lock()
        self.secret_hits = 0
        """How many Secret values were replaced so far."""
        self.pattern_hits = 0
        """How many credential-pattern matches were replaced so far."""

    @property
    def secret_count(self) -> int:
        """How many Secret values (one per name) are redacted by value."""
        return len(set(self._forms.values()))

    def redact(self, text: str) -> str:
        """`text` with every Secret value and credential replaced; unchanged when disabled."""
        if not self.enabled or not text:
            return text
        folded = text.casefold()
        values = tuple(form for key, form in self._folded if key in folded)
        patterns = tuple(
            index for index, p in enumerate(_PATTERNS)
            if any(t in (folded if p.folded else text) for t in p.triggers)
        )
        if not values and not patterns:
            return text  # the common case: one pass of str.casefold and a few substring searches
        compiled, hides = _compiled(values, patterns)
        counts = [0, 0]  # secret values, credentials: added to the totals once per line, under the lock
        out = compiled.sub(lambda match: self._replace(match, hides, counts), text)
        if counts[0] or counts[1]:
            with self._lock:
                self.secret_hits += counts[0]
                self.pattern_hits += counts[1]
        return out

    def _replace(self, match: re.Match[str], hides: Mapping[str, tuple[int, ...]], counts: list[int]) -> str:
        alternative = match.lastgroup  # the alternative's own group closes last
        if alternative == "mark":
            return match.group(0)
        if alternative == "secret":
            counts[0] += 1
            found = match.group(0)
            return _redaction_mark(self._name(found) or self._matched_name(found))
        start = match.start()
        text = match.group(0)
        out, cursor = [], 0
        for group in hides[alternative or ""]:
            begin, end = match.span(group)
            if begin < 0:
                continue
            out.append(text[cursor : begin - start])
            hidden = text[begin - start : end - start]
            bare = hidden.strip("\"'")
            if bare == MASK or bare.startswith("<redacted:"):
                out.append(hidden)  # redacted already (a report built from redacted logs): count it once
            else:
                name = self._name(bare)
                out.append(_redaction_mark(name) if name else MASK)
                counts[0 if name else 1] += 1
            cursor = end - start
        out.append(text[cursor:])
        return "".join(out)

    def _name(self, found: str) -> str | None:
        """The name of the Secret value `found` is a form of, or None when it is none of them."""
        return self._forms.get(found) or self._by_folded.get(found.casefold())

    def _matched_name(self, found: str) -> str:
        """The name of the form the regex matched when case folding says otherwise (a few characters fold to
        two, like the sharp s): the regex's own case-insensitive comparison decides."""
        return next((n for form, n in self._forms.items() if re.fullmatch(re.escape(form), found, re.IGNORECASE)),
                    "secret")

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

    def splits(self, lines: Iterable[str]) -> list[tuple[int, int, str]]:
        """Where a Secret value (in any of its forms) may be split across two consecutive lines: (first line,
        second line, name), lines numbered from 1. Neither half is redacted (alone, each is not the value), so
        the reader must be told; a wrapped base64 blob (`base64` wraps at 76 columns) is the usual cause."""
        if not self._folded:
            return []
        longest = max(len(key) for key, _form in self._folded)
        found: list[tuple[int, int, str]] = []
        previous = ""
        for number, line in enumerate(lines, start=1):
            text = line.casefold().strip()
            if number > 1 and previous and text:
                tail, head = previous[-(longest - 1) :], text[: longest - 1]
                name = self._crossing(tail, head)
                if name is not None:
                    found.append((number - 1, number, name))
            previous = text
        return found

    def _crossing(self, tail: str, head: str) -> str | None:
        """The name of a form found in `tail + head` across the boundary between them, if any."""
        joined = tail + head
        for key, form in self._folded:
            at = joined.find(key, max(0, len(tail) - len(key) + 1))
            if at != -1 and at < len(tail) < at + len(key):
                return self._forms[form]
        return None


def _pieces(value: str) -> list[str]:
    """The strings to look for: the value itself, or each line of a multi-line value (a log line is one line)."""
    lines = [line.strip() for line in value.splitlines()] if "\n" in value else [value]
    return [piece for piece in lines if len(piece) >= MIN_SECRET_LENGTH]


def _forms(value: str) -> list[str]:
    """The value and what scripts make of it: JSON and URL escaping, base64 (standard and URL-safe) at each of
    the three byte offsets a prefix can leave it at (`base64(user:password)`), as GitHub Actions' runner masks
    secrets. Case is handled by matching case-insensitively (covers `%2f`/`%2F` and `tr a-z A-Z` alike)."""
    forms = [value, value.upper(), value.lower(), json.dumps(value)[1:-1], quote(value, safe=""),
             quote_plus(value), quote(value)]
    data = value.encode("utf-8")
    whole = base64.b64encode(data).decode("ascii")
    forms += [whole, whole.translate(str.maketrans("+/", "-_"))]  # longest first: padding included when there
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        # keep only the characters that depend on the value alone: none of the prefix, none of what follows
        middle = encoded[-(-8 * shift // 6) : 8 * (shift + len(data)) // 6]
        if len(middle) >= MIN_ENCODED_LENGTH:
            forms += [middle, middle.translate(str.maketrans("+/", "-_"))]
    out: list[str] = []
    for form in forms:
        folded = form.casefold()
        if form and form not in out and folded not in _MARK_TEXT and folded not in MASK:
            out.append(form)
    return out


_MARK_TEXT = "<redacted:>"


@lru_cache(maxsize=256)
def _compiled_patterns(patterns: tuple[int, ...]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """The alternatives for the given credential patterns, with group names made unique, and their hide groups."""
    alternatives: list[str] = []
    hides: dict[str, tuple[str, ...]] = {}
    for index in patterns:
        pattern = _PATTERNS[index].regex
        flags = ""
        if pattern.startswith("(?i)"):
            flags, pattern = "(?i:", pattern[4:]
        renamed = _NAMED.sub(rf"(?P\1\2_{index}", pattern)
        hides[f"p{index}"] = tuple(re.findall(r"\(\?P<(hide\d?_\d+)>", renamed))
        body = f"{flags}{renamed})" if flags else renamed
        alternatives.append(f"(?P<p{index}>{body})")
    return tuple(alternatives), hides


@lru_cache(maxsize=1024)
def _compiled(values: tuple[str, ...], patterns: tuple[int, ...]) -> tuple[re.Pattern[str], dict[str, tuple[int, ...]]]:
    """One regex for the Secret values and credential patterns a line holds: one scan, leftmost match wins."""
    alternatives = [f"(?P<mark>{_MARK})"]
    if values:
        ordered = sorted(values, key=len, reverse=True)  # longest first: a value containing another wins
        alternatives.append("(?P<secret>(?i:" + "|".join(re.escape(v) for v in ordered) + "))")
    credential, hides = _compiled_patterns(patterns)
    alternatives += credential
    # Where no alternative can start (blanks, most punctuation) one class test moves the scan on, instead of
    # a test per alternative: the difference between 0.3 s and 0.05 s on a megabyte of spaces.
    starts = "<" + "".join(_PATTERNS[i].starts for i in patterns) + "".join(re.escape(v[0]) for v in values)
    compiled = re.compile(f"(?=(?i:[{starts}]))(?:{'|'.join(alternatives)})")
    # group numbers, in the order the groups appear: spans come out sorted without sorting them
    numbered = {alt: tuple(sorted(compiled.groupindex[h] for h in names)) for alt, names in hides.items()}
    return compiled, numbered
