"""Whether a container runs a shell script (`sh -c SCRIPT`), and where that script sits in command/args.

One answer for the debug Job (which prepends `set -x` to the script) and for lint (which reads it). Kubernetes
runs `command + args` (or the image's entrypoint with `args` when there is no command). Recognised: any of
sh, ash, bash, dash, zsh, ksh, mksh by name or path, behind `env [-i] [NAME=value ...]` or `busybox`, with
options before or after `-c` (`-ec`, `-o pipefail`, `--login`), the script being the first operand after
them, as POSIX says (`sh -c [options] command_string [command_name [argument...]]`). script_options says how
a script treats failures (errexit, pipefail, pipelines). Pure.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any

SHELLS = frozenset({"sh", "ash", "bash", "dash", "zsh", "ksh", "mksh"})


@dataclass(frozen=True)
class ShellScript:
    """A `sh -c SCRIPT` found in a container."""

    text: str
    field: str
    """`command` or `args`: the list that holds the script."""
    index: int
    """The script's index in that list."""
    shell: str
    """The shell's name without its path (`sh`, `bash`, ...)."""
    flags: str = ""
    """Single-letter options given to the shell, `c` included (`sh -ec` -> `ec`)."""
    options: tuple[str, ...] = ()
    """`-o NAME` options given to the shell (`pipefail`)."""


def _words(value: Any) -> list[str]:
    return [str(word) for word in value] if isinstance(value, list) else []


def script_index(argv: list[str]) -> tuple[int, str, str, tuple[str, ...]] | None:
    """(index of the script, shell, flags, -o options) in a `sh -c SCRIPT` argv, else None."""
    position = 0
    if argv and posixpath.basename(argv[0]) == "env":
        position = 1
        while position < len(argv) and ("=" in argv[position] or argv[position].startswith("-")):
            position += 1
    if position < len(argv) and posixpath.basename(argv[position]) == "busybox":
        position += 1
    if position >= len(argv) or posixpath.basename(argv[position]) not in SHELLS:
        return None
    shell = posixpath.basename(argv[position])
    position += 1
    flags, options, command_string = "", [], False
    while position < len(argv):
        word = argv[position]
        if word == "--":
            position += 1
            break
        if word.startswith("--"):
            position += 1  # bash's long options (--login, --norc, --posix) take no value
            continue
        if len(word) > 1 and word[0] in "-+":
            letters = word[1:]
            position += 1
            if word[0] == "-":
                flags += letters
                command_string = command_string or "c" in letters
            if "o" in letters and position < len(argv):
                if word[0] == "-":
                    options.append(argv[position])
                position += 1  # -o NAME / +o NAME
            continue
        break
    if not command_string or position >= len(argv):
        return None
    return position, shell, flags, tuple(options)


def shell_script(container: Any) -> ShellScript | None:
    """The container's shell script, or None when it runs a program (or only the image's entrypoint)."""
    container = container if isinstance(container, dict) else {}
    command, args = _words(container.get("command")), _words(container.get("args"))
    argv = command + args if command else args
    found = script_index(argv)
    if found is None:
        return None
    index, shell, flags, options = found
    if command and index < len(command):
        return ShellScript(command[index], "command", index, shell, flags, options)
    offset = index - len(command) if command else index
    return ShellScript(args[offset], "args", offset, shell, flags, options)


_ERREXIT = re.compile(r"(?m)^[ \t]{0,40}set[ \t]{1,10}(?:-[a-zA-Z]{0,10}e|-o[ \t]{1,10}errexit)")
_PIPEFAIL = re.compile(r"(?m)^[ \t]{0,40}set[ \t]{1,10}[^\n]{0,40}pipefail")
_PIPE = re.compile(r"(?<![|])\|(?![|&])")


@dataclass(frozen=True)
class ScriptOptions:
    """How a shell script treats failures, from its shell's flags and its own `set` lines."""

    errexit: bool
    """`set -e` / `sh -e` / `-o errexit`: the script stops at the first failing simple command."""
    pipefail: bool
    """`set -o pipefail`: a pipeline fails when any of its commands does, not only the last."""
    pipeline: bool
    """The script pipes one command into another somewhere (`a | b`)."""


def script_options(script: ShellScript) -> ScriptOptions:
    """errexit, pipefail and whether the script has a pipeline (which, without pipefail, hides failures)."""
    return ScriptOptions(
        errexit="e" in script.flags or "errexit" in script.options or bool(_ERREXIT.search(script.text)),
        pipefail="pipefail" in script.options or bool(_PIPEFAIL.search(script.text)),
        pipeline=bool(_PIPE.search(script.text)),
    )
