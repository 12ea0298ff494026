"""Read what a container runs: its shell script (found by k8s.shell, as the debug Job finds it) split into simple
commands.

Pure text handling for the checks in downloads.py, scripts.py, secrets.py and resources.py. This is a
tokenizer good enough for the one-screen scripts CronJobs carry, not a shell parser: it splits on newlines,
`;`, `&&`, `||` and `|` outside quotes, joins `\\`-continued lines and drops comments.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from functools import lru_cache

from cronjob_doctor.k8s.shell import shell_script
from cronjob_doctor.lint.base import Container


@dataclass(frozen=True)
class Script:
    """What one container runs, as text, with the field path where it is written."""

    text: str
    path: str
    """`...containers[0].args[0]` for a shell script, `...containers[0].command` otherwise."""
    is_shell: bool
    """True for `sh -c SCRIPT` (and bash, ash, dash, ...); False for a plain command line."""
    shell_flags: str = ""
    """Single-letter options given to the shell, e.g. `-e` in `sh -ec` (`e` and `c` both listed)."""
    shell_options: tuple[str, ...] = ()
    """`-o NAME` options given to the shell (`sh -o pipefail -c`)."""


@dataclass(frozen=True)
class Command:
    """One simple command of a script: its words (quotes removed) and the raw text."""

    words: tuple[str, ...]
    text: str
    line: int = 0
    """0-based line of the script where the command starts."""

    @property
    def program(self) -> str:
        """The command's name without its directory (`/tmp/kubectl` -> `kubectl`), after `sudo`/`env X=Y`."""
        for word in self.words:
            if "=" in word and not word.startswith(("-", "/", ".")) and word.split("=", 1)[0].isidentifier():
                continue
            if word in ("sudo", "exec", "time", "nice", "nohup", "command"):
                continue
            return word.rsplit("/", 1)[-1]
        return ""


def script_of(container: Container) -> Script | None:
    """The script (or command line) the container runs; None when it only runs the image's entrypoint."""
    command = [str(x) for x in container.spec.get("command") or []]
    args = [str(x) for x in container.spec.get("args") or []]
    if not command + args:
        return None
    found = shell_script(container.spec)
    if found is not None:
        return Script(text=found.text, path=f"{container.path}.{found.field}[{found.index}]", is_shell=True,
                      shell_flags=found.flags, shell_options=found.options)
    key = "command" if command else "args"
    return Script(text=shlex.join(command + args), path=f"{container.path}.{key}", is_shell=False)


def _strip_comments(line: str) -> str:
    out, quote = [], ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t;"):
            break
        out.append(char)
    return "".join(out)


def numbered_lines(text: str) -> list[tuple[int, str]]:
    """(0-based line, text) of each logical line: continuations joined, comments and blank lines dropped."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines()):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        line = _strip_comments(pending + raw).strip()
        pending = ""
        if line:
            out.append((start, line))
    if pending.strip():
        out.append((start, _strip_comments(pending).strip()))
    return out


def logical_lines(text: str) -> list[str]:
    """The script's lines with continuations joined and comments and blank lines dropped."""
    return [line for _number, line in numbered_lines(text)]


def _split(line: str) -> list[tuple[str, str]]:
    """Split a line on `;`, `&&`, `||`, `|`, `&` outside quotes: (segment, separator that follows it)."""
    parts: list[tuple[str, str]] = []
    current: list[str] = []
    quote = ""
    depth = 0  # inside $( ... ) or ` ... `
    index = 0
    while index < len(line):
        char = line[index]
        pair = line[index:index + 2]
        if quote:
            if char == quote:
                quote = ""
            current.append(char)
        elif char in "'\"`":
            quote = char
            current.append(char)
        elif pair == "$(":
            depth += 1
            current.append(pair)
            index += 1
        elif char == ")" and depth:
            depth -= 1
            current.append(char)
        elif depth == 0 and pair in ("&&", "||"):
            parts.append(("".join(current), pair))
            current = []
            index += 1
        elif depth == 0 and char in ";|&" and not (char == "&" and line[index - 1:index] in (">", "<")):
            if not (char == "&" and line[index + 1:index + 2] == ">"):
                parts.append(("".join(current), char))
                current = []
            else:
                current.append(char)
        else:
            current.append(char)
        index += 1
    parts.append(("".join(current), ""))
    return [(seg.strip(), sep) for seg, sep in parts if seg.strip()]


_KEYWORDS = {"then", "do", "done", "fi", "else", "esac", "{", "}", "(", ")", "if", "while", "until", "for", "elif"}


def _words(segment: str) -> list[str]:
    try:
        words = shlex.split(segment, posix=True)
    except ValueError:
        words = segment.split()
    while words and words[0] in _KEYWORDS:
        words = words[1:]
    return words


_SUBSTITUTION = re.compile(r"\$\((?![A-Za-z_][A-Za-z0-9_]*\))([^()]*)\)")
"""`$( command )`, but not the kubelet's `$(VAR)` expansion."""


def commands(text: str) -> list[Command]:
    """The simple commands of a script, in order, including those inside `$( ... )`."""
    return list(_parsed(text))


@lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[Command, ...]:
    """`commands`, memoised: every check parses the same scripts again, and scan lints thousands of CronJobs
    that often share one script (Command is frozen, so sharing the parse is safe)."""
    out: list[Command] = []
    for number, line in numbered_lines(text):
        for segment, _sep in _split(line):
            for inner in _SUBSTITUTION.findall(segment):
                out.extend(Command(c.words, c.text, number) for c in commands(inner))
            words = _words(_SUBSTITUTION.sub("__SUBSTITUTION__", segment))
            if words:
                out.append(Command(words=tuple(words), text=segment, line=number))
    return tuple(out)


def steps(text: str) -> int:
    """How many sequential steps a script has: commands separated by newlines or `;` (an `&&` chain is one)."""
    count = 0
    for line in logical_lines(text):
        for segment, sep in _split(line):
            head = segment.split()[0] if segment.split() else ""
            if head in _KEYWORDS - {"if", "while", "until", "for"} and len(segment.split()) == 1:
                continue
            if sep in ("", ";", "&"):
                count += 1
    return count


def has_pipe(text: str) -> bool:
    """True when the script pipes one command into another (`a | b`, not `a || b`)."""
    return any(sep == "|" for line in logical_lines(text) for _seg, sep in _split(line))


def sets_option(script: Script, *, short: str, long: str) -> bool:
    """True when the shell runs with option `-<short>`/`-o <long>` (`set -e`, `set -euo pipefail`, `sh -ec`)."""
    if (short and short in script.shell_flags) or long in script.shell_options:
        return True
    for command in commands(script.text):
        if command.program != "set" or len(command.words) < 2:
            continue
        words = command.words[1:]
        for index, word in enumerate(words):
            if word.startswith("-") and not word.startswith("--"):
                letters = word[1:]
                if short and short in letters:
                    return True
                if "o" in letters and index + 1 < len(words) and words[index + 1] == long:
                    return True
    return False
