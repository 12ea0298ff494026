"""Just enough of a POSIX shell to replay a container's `sh -c` script: split it into simple commands and
render the `set -x` trace lines busybox ash would print (variables and `$(...)` expanded, redirections
omitted, unsafe words single-quoted).

It never executes anything: scenarios decide what each command prints and how it ends.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

_SHELLS = re.compile(r"(^|/)(sh|ash|bash|dash|zsh)$")
_KEYWORDS = ("if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "{", "}")
_REDIRECT = re.compile(r"^\d*(>>?|<|>&|<&)(\S*)$")
_SAFE_WORD = re.compile(r"^[\w@%+=:,./-]+$")


@dataclass(frozen=True)
class Command:
    """One simple command: its words after expansion, and whether stdout goes to a file."""

    words: tuple[str, ...]
    redirected: bool
    substitutions: tuple[Command, ...] = field(default=())

    @property
    def name(self) -> str:
        return self.words[0].rsplit("/", 1)[-1] if self.words else ""

    def trace(self) -> str:
        """The xtrace line: busybox ash prints `+ ` and the expanded words, quoting those that need it."""
        return "+ " + " ".join(_quote(word) for word in self.words)


def script_of(container: dict[str, Any]) -> str | None:
    """The script a container runs through `sh -c` (in command or args), or None for a non-shell program."""
    argv = [str(part) for part in (container.get("command") or [])] + [
        str(part) for part in (container.get("args") or [])
    ]
    for index, part in enumerate(argv[:-1]):
        if part == "-c" and any(_SHELLS.search(word) for word in argv[:index]):
            return argv[index + 1]
        if part == "-c" and index == 0:
            return argv[index + 1]
    if len(argv) >= 3 and _SHELLS.search(argv[0]) and argv[1].startswith("-") and "c" in argv[1]:
        return argv[2]
    return None


def logical_lines(script: str) -> list[str]:
    """Script lines with backslash continuations joined and comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    lines = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def split_commands(line: str) -> list[str]:
    """Split a line on `;`, `&&`, `||` and `|` outside quotes and `$(...)`, dropping shell keywords."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    depth = 0
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == quote:
                quote = ""
            current.append(char)
        elif char in "'\"":
            quote = char
            current.append(char)
        elif line.startswith("$(", index):
            depth += 1
            current.append("$(")
            index += 1
        elif char == ")" and depth:
            depth -= 1
            current.append(char)
        elif not depth and (line.startswith("&&", index) or line.startswith("||", index)):
            parts.append("".join(current))
            current = []
            index += 1
        elif not depth and char in ";|":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    commands = []
    for part in parts:
        words = part.strip().split(None, 1)
        while words and words[0] in _KEYWORDS:
            words = words[1].split(None, 1) if len(words) > 1 else []
        text = " ".join(words).strip()
        if text:
            commands.append(text)
    return commands


def parse(
    text: str,
    env: dict[str, str],
    *,
    substitute: Callable[[Command], str] | None = None,
) -> Command:
    """Expand one simple command as the shell would before running it.

    `substitute` gives the output of a `$(...)` command (e.g. `date +%Y%m%d`); the inner command is traced
    first, as ash does.
    """
    inner_commands: list[Command] = []

    def run_inner(match: re.Match[str]) -> str:
        inner = parse(match.group(1), env, substitute=substitute)
        inner_commands.append(inner)
        return (substitute or default_substitute)(inner)

    expanded = re.sub(r"\$\(([^()]*)\)", run_inner, text)
    expanded = _expand_variables(expanded, env)
    try:
        tokens = shlex.split(expanded, posix=True)
    except ValueError:
        tokens = expanded.split()
    words: list[str] = []
    redirected = False
    skip_next = False
    for token in tokens:
        if skip_next:
            skip_next = False
            continue
        match = _REDIRECT.match(token)
        if match:
            if ">" in match.group(1) and not token.startswith("2"):
                redirected = True
            skip_next = not match.group(2)
            continue
        words.append(token)
    if words and words[-1] == "&":
        words.pop()
    return Command(tuple(words), redirected, tuple(inner_commands))


def default_substitute(command: Command) -> str:
    """Output of the few commands scripts commonly substitute: date and hostname."""
    now = datetime.now(timezone.utc)
    if command.name == "date":
        formats = [word[1:] for word in command.words[1:] if word.startswith("+")]
        return now.strftime(formats[0]) if formats else now.strftime("%a %b %d %H:%M:%S UTC %Y")
    return ""


def _expand_variables(text: str, env: dict[str, str]) -> str:
    """Replace $VAR and ${VAR} outside single quotes; values are re-quoted so they stay one word."""
    out: list[str] = []
    quote = ""
    index = 0
    pattern = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
    while index < len(text):
        char = text[index]
        if char == "'" and quote != '"':
            quote = "" if quote == "'" else "'"
        elif char == '"' and quote != "'":
            quote = "" if quote == '"' else '"'
        if char == "$" and quote != "'":
            match = pattern.match(text, index)
            if match:
                name = match.group(1) or match.group(3)
                value = env.get(name, match.group(2) or "")
                out.append(value.replace('"', '\\"') if quote == '"' else shlex.quote(value) if value else "")
                index = match.end()
                continue
        out.append(char)
        index += 1
    return "".join(out)


def _quote(word: str) -> str:
    if word and _SAFE_WORD.match(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"
