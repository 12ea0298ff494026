"""The peak-memory sampler: the shell snippet the debug Job runs beside the script, and the parser of its lines.

The snippet prints `##cronjob-doctor-mem sampler=TOKEN current=BYTES peak=BYTES` once a second from the container's
cgroup (v2 `memory.current`/`memory.peak`, or the v1 files). It is invisible to the script: started by a subshell
that exits at once, it is no job of the script's shell, never in `$!`, `jobs` or an exit status, and a bare `wait`
does not wait for it; it ends when the script's shell is gone. Only a line with the run's token is a sample: a
workload line that looks like one stays an ordinary log line. docs/debug-job.md explains the design.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from cronjob_doctor.managed import ANNOTATION_PREFIX

MARKER = "##cronjob-doctor-mem"
TOKEN_ANNOTATION = ANNOTATION_PREFIX + "sampler-token"
"""The debug Job's annotation holding the token its sampler prints (also in the bundle's meta.json)."""
CGROUP_ROOT = "/sys/fs/cgroup"

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_START = "( set +eux; "
_END = " & ) </dev/null 2>/dev/null"


def token(run_id: str, nonce: str = "") -> str:
    """The token a debug Job's sampler prints: the run id, plus the caller's random nonce when given.

    The run id alone is in the pod's name, so a workload could guess it; the nonce makes the token unguessable
    for anything that only controls what the script prints (code running in the container can read its own
    command line, and with it the token: the token guards against forged output, not against the workload)."""
    value = f"{run_id}-{nonce}" if nonce else run_id
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"sampler token {value!r}: letters, digits, '.', '_' and '-' only, at most 100")
    return value


def snippet(token: str, *, cgroup_root: str = CGROUP_ROOT) -> str:
    """The one-line shell command that starts the sampler (POSIX sh: dash, bash, busybox ash, zsh, mksh).

    How it stays out of the script's way, clause by clause:
    - `( ... & )`: the loop is started by a subshell that exits at once, so it is not a job of the script's shell;
      `$!`, `jobs`, `wait` and `$?` never see it. (Where the shell is PID 1, the orphaned loop becomes its child
      in the kernel's eyes, but shells wait only for their own jobs, and the container ends with PID 1.)
    - `set +eux`, `</dev/null 2>/dev/null`: the script's -e, -u and -x do not reach it, it reads no stdin and
      writes no errors or traces; only its marker lines go to stdout.
    - `kill -0 $$` (`$$` in a subshell names the script's shell; `exec` keeps that PID, so the program exec'd into
      is measured too) and the zombie check on /proc/$$/stat: it ends within a second of the script's shell
      ending, even when nobody has reaped that shell yet.
    - own cgroup first: /proc/self/cgroup names the container's cgroup where /sys/fs/cgroup shows the whole host
      tree; otherwise the cgroup mounted at the root is the container's own (cgroup namespace or v1 bind mount).
    - no cgroup memory file at all: one line `current=? peak=?`, then it stops. No `sleep` either: it stops.

    `cgroup_root` is for tests only (a directory of fake cgroup files); `build` always uses the real one.
    """
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"sampler token {token!r}: letters, digits, '.', '_' and '-' only")
    root = shlex.quote(cgroup_root)
    find = (
        f"m={root}; c=; p=; v1=; v2=; "
        "[ -r /proc/self/cgroup ] && while IFS=: read -r _ k v; do case ,$k, in "
        ",,) v2=$v;; *,memory,*) v1=$v;; esac; done </proc/self/cgroup; "
        'for d in "$m$v2" "$m"; do [ -z "$c" ] && [ -r "$d/memory.current" ] '
        "&& c=$d/memory.current p=$d/memory.peak; done; "
        'for d in "$m/memory$v1" "$m/memory"; do [ -z "$c" ] && [ -r "$d/memory.usage_in_bytes" ] '
        "&& c=$d/memory.usage_in_bytes p=$d/memory.max_usage_in_bytes; done; "
    )
    loop = (
        "while kill -0 $$; do "
        's=; read -r s </proc/$$/stat; case $s in *") Z "*) break;; esac; '
        'a=?; b=?; [ -n "$c" ] && read -r a <"$c"; [ -n "$p" ] && read -r b <"$p"; '
        f'echo "{MARKER} sampler={token} current=$a peak=$b"; '
        '[ -n "$c" ] && sleep 1 || break; done;'
    )
    return f"{_START}{{ {find}{loop} }}{_END}"


def instrument(script: str, *, token: str | None, trace: bool) -> str:
    """The script with the sampler (when `token` is given) and `set -x` put in front of its first line.

    Both go on the script's own first line, not on lines of their own, so the shell's line numbers (bash's
    `line 3: foo: command not found`, dash's `3: foo: not found`, $LINENO) stay those of the original script."""
    prefix = (snippet(token) + "; " if token is not None else "") + ("set -x; " if trace else "")
    return prefix + script


def split_instrumented(script: str) -> tuple[str | None, str]:
    """(token, script without the sampler) for a script `instrument` made; (None, script) for any other."""
    if not script.startswith(_START):
        return None, script
    end = script.find(_END)
    found = re.search(re.escape(MARKER) + r" sampler=(" + _TOKEN.pattern + r") ", script[:end]) if end > 0 else None
    if found is None:
        return None, script
    rest = script[end + len(_END):]
    return found.group(1), rest[2:] if rest.startswith("; ") else rest


_SAMPLE = re.compile(r" sampler=(" + _TOKEN.pattern + r") current=(\d{1,20}|\?) peak=(\d{1,20}|\?)")


@dataclass(frozen=True)
class MemorySample:
    """One sampler reading: bytes in use and the cgroup's own high-water mark (when the kernel has one)."""

    current: int | None
    peak: int | None
    before: str = ""
    """Output the script left unfinished (no newline) when the sampler's line was written after it on the same
    stream: an ordinary log line of its own."""

    @property
    def highest(self) -> int | None:
        values = [v for v in (self.current, self.peak) if v is not None]
        return max(values) if values else None


def parse_sample(text: str, token: str | None) -> MemorySample | None:
    """The sample on a log line (timestamp already split off) when the sampler with this token printed it; None
    for an ordinary line, a line that only looks like a sample (no token, another token) and without a token.

    The sampler's line always ends the text (one write, ending in a newline); text before it on the same line is
    the script's own unfinished output, kept in `before`. Linear in the line's length."""
    if not token:
        return None
    at = text.rfind(MARKER)
    if at < 0:
        return None
    found = _SAMPLE.fullmatch(text.rstrip(), at + len(MARKER))
    if found is None or found.group(1) != token:
        return None
    return MemorySample(_int_or_none(found.group(2)), _int_or_none(found.group(3)), text[:at])


def above_limit(sample: MemorySample, limit_bytes: int | None) -> bool:
    """A reading above the container's memory limit cannot come from the container's own cgroup (the kernel
    keeps memory.current and memory.peak within memory.max): it is noise, such as a host-wide cgroup file."""
    highest = sample.highest
    return limit_bytes is not None and highest is not None and highest > limit_bytes


def _int_or_none(value: str) -> int | None:
    return int(value) if value.isdigit() else None
