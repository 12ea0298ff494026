"""The log signatures table: error texts real tools print, each mapped to a family and detail; one module per family
holds its texts, this one fixes the order (first match wins): recovery lines, exec failures, permission (a denied
upload also names its host), runtime out-of-memory, network, config, script errors, the child's `Killed` last.
candidates() picks by word the signatures a line can match. Nothing here judges context: the rules do.
"""

from __future__ import annotations

import re

from cronjob_doctor.rules.signatures._base import MAX_LINE, Signature, seen
from cronjob_doctor.rules.signatures.config import CONFIG, EXEC
from cronjob_doctor.rules.signatures.memory import CHILD, RUNTIME
from cronjob_doctor.rules.signatures.network import NETWORK
from cronjob_doctor.rules.signatures.permission import PERMISSION
from cronjob_doctor.rules.signatures.script import RECOVERY, SCRIPT

SIGNATURES: tuple[Signature, ...] = (*RECOVERY, *EXEC, *PERMISSION, *RUNTIME, *NETWORK, *CONFIG, *SCRIPT, *CHILD)


def _branches(pattern: str) -> list[str]:
    """The pattern's top-level alternatives (split on `|` outside groups, classes and escapes)."""
    out, depth, start, index, in_class = [], 0, 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            out.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*out, pattern[start:]]


def _words(pattern: str) -> set[str]:
    """The literal words (3+ letters) of a pattern: escapes, classes, counts and group names taken out."""
    text = re.sub(r"\\.", " ", pattern)
    text = re.sub(r"\[[^\]]*\]|\{[^}]*\}|\(\?P<\w+>|\(\?[:!=<]{1,2}", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


def _index() -> tuple[tuple[tuple[str, tuple[int, ...]], ...], tuple[int, ...]]:
    by_word: dict[str, list[int]] = {}
    always = []
    for number, signature in enumerate(SIGNATURES):
        if not all(_words(branch) for branch in _branches(signature.pattern.pattern)):
            always.append(number)  # an alternative with no word of its own: try it on every line
            continue
        for word in _words(signature.pattern.pattern):
            by_word.setdefault(word, []).append(number)
    return tuple((w, tuple(n)) for w, n in sorted(by_word.items())), tuple(always)


_BY_WORD, _ALWAYS = _index()


def candidates(line: str) -> list[Signature]:
    """The signatures that can match this line, in table order: those with a word of theirs in it.

    Every match of a pattern contains one of its literal words, so a line without any word of a signature
    cannot match it: one substring test per word instead of one regex search per signature (most lines of a
    log are ordinary progress and match none)."""
    low = line.lower()
    found = set(_ALWAYS)
    for word, numbers in _BY_WORD:
        if word in low:
            found.update(numbers)
    return [SIGNATURES[n] for n in sorted(found)]


__all__ = ["MAX_LINE", "SIGNATURES", "Signature", "candidates", "seen"]
