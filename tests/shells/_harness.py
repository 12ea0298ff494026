"""Run a script as the CronJob would and as the debug Job does, with real shells, and compare the two.

The instrumented argv is taken from the manifest `debugjob.build` makes, so these tests run exactly what the
debug pod runs. Every run gets its own session: afterwards, whatever is left in it outlived the script.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from cronjob_doctor.debugjob.build import Variant, build
from cronjob_doctor.debugjob.sampler import MARKER
from tests.waiting import wait_until

RUN_ID = "sh1x2"
NONCE = "0d9f3a7c5e1b2468"
TOKEN = f"{RUN_ID}-{NONCE}"

# The shells a CronJob runs scripts with, as the container's command names them. zsh and mksh run where installed.
SHELLS: dict[str, list[str]] = {
    "sh": ["/bin/sh"],
    "dash": ["dash"],
    "bash": ["bash"],
    "busybox": ["busybox", "sh"],
    "zsh": ["zsh"],
    "mksh": ["mksh"],
}
_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C", "HOME": "/tmp"}
_SAMPLE_TEXT = re.compile(re.escape(MARKER) + " sampler=" + re.escape(TOKEN) + r" current=(\d+|\?) peak=(\d+|\?)\n")


def shell_params(*names: str) -> list[Any]:
    """pytest params for the shells, skipped (with the reason) where the machine lacks one."""
    out = []
    for name in names or tuple(SHELLS):
        argv = SHELLS[name]
        missing = shutil.which(argv[0]) is None
        reason = f"{argv[0]} is not installed" + (" (apt-get install busybox)" if name == "busybox" else "")
        out.append(pytest.param(name, id=name, marks=pytest.mark.skipif(missing, reason=reason)))
    return out


@cache
def pid_namespaces_work() -> bool:
    """Whether `unshare` may start a shell as PID 1 of a new PID namespace, as a container runs it."""
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(["unshare", "-fp", "--mount-proc", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def original(shell: str, script: str, *, flags: str = "-c") -> list[str]:
    """The CronJob's own argv: `<shell> <flags> SCRIPT`."""
    return [*SHELLS[shell], flags, script]


def instrumented(shell: str, script: str, *, flags: str = "-c", trace: bool = True) -> list[str]:
    """The debug Job's argv for the same container: what `debugjob.build` puts in the manifest."""
    container = {"name": "work", "image": "alpine:3.20", "command": original(shell, script, flags=flags),
                 "resources": {"limits": {"memory": "1Gi"}}}
    cronjob = {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "shells", "namespace": "test"},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [container]}}}}},
    }
    job = build(cronjob, variant=Variant("original"), run_id=RUN_ID, timeout_seconds=60, trace=trace,
                sampler_nonce=NONCE)
    assert job.sampler_token == TOKEN
    return [str(word) for word in job.manifest["spec"]["template"]["spec"]["containers"][0]["command"]]


@dataclass
class Outcome:
    """How one run ended, what it printed, how long its shell lived and what it left behind."""

    code: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False
    leftovers: list[str] = field(default_factory=list)
    """Processes of the run's session still alive a few seconds after its shell ended: `pid state cmdline`."""

    def without_samples(self) -> str:
        """stdout without the sampler's text (also where it followed output left without a newline)."""
        return _SAMPLE_TEXT.sub("", self.stdout)

    @property
    def samples(self) -> list[tuple[str, str]]:
        return _SAMPLE_TEXT.findall(self.stdout)

    def stderr_without_trace(self) -> str:
        """stderr without `set -x` lines (`+ cmd`, `++ cmd`, zsh's `+zsh:3> cmd`)."""
        return _untraced(self.stderr)


def _untraced(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("+"))


def run(argv: list[str], *, stdin: bytes | None = None, timeout: float = 10.0, pid1: bool = False,
        grace: float = 3.0) -> Outcome:
    """Run argv in a session of its own (as PID 1 of a new PID namespace with `pid1`) and wait for its shell;
    then give whatever it started `grace` seconds to end, note what is still alive, and kill it."""
    if pid1:
        argv = ["unshare", "-fp", "--mount-proc", *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True, env=_ENV)
        if stdin is not None and proc.stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        timed_out = False
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out, code = True, None
        seconds = time.monotonic() - started
        leftovers = [] if timed_out else _wait_until_empty(proc.pid, grace)
        _kill_session(proc.pid)
        if timed_out:
            proc.wait(timeout=5)
        out.seek(0)
        err.seek(0)
        return Outcome(code, out.read().decode(errors="replace"), err.read().decode(errors="replace"), seconds,
                       timed_out, leftovers)


def session_processes(sid: int) -> list[tuple[int, str, int, str]]:
    """(pid, state, ppid, cmdline) of every live process in session `sid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        state, ppid, session = fields[0], int(fields[1]), int(fields[3])
        if session == sid and state != "Z":
            found.append((int(entry), state, ppid, cmdline))
    return found


def _wait_until_empty(sid: int, grace: float) -> list[str]:
    """The processes of the session still there after `grace` seconds (none: it emptied in time)."""
    with contextlib.suppress(AssertionError):
        wait_until(lambda: not session_processes(sid), timeout=grace, interval=0.05, what="the session to empty")
    return [f"{pid} {state} {cmdline[:100]}" for pid, state, _ppid, cmdline in session_processes(sid)]


def _kill_session(sid: int) -> None:
    for pid, _state, _ppid, _cmdline in session_processes(sid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def assert_same(shell: str, script: str, *, flags: str = "-c", trace: bool, stdin: bytes | None = None,
                pid1: bool = False, timeout: float = 10.0, slack: float = 0.75,
                compare_stderr: bool = True) -> tuple[Outcome, Outcome]:
    """Run the script as the CronJob does and as the debug Job does: the debug run must end as the original
    does (exit code, stdout but the sampler's lines, stderr but the trace), about as fast, and leave nothing.
    `compare_stderr=False` where parallel jobs write trace lines into each other (set -x's doing, not ours)."""
    before = _original_run(shell, script, flags, stdin, pid1, timeout)
    assert not before.timed_out, f"the original script itself did not finish within {timeout}s"
    after = run(instrumented(shell, script, flags=flags, trace=trace), stdin=stdin, pid1=pid1, timeout=timeout)
    assert not after.timed_out, f"the instrumented script did not finish within {timeout}s: {after.stdout!r}"
    assert after.code == before.code
    # With set -x, both runs' trace lines are left out (`exec 2>&1` sends them to stdout, `sh -x` traces both).
    traced = trace or "x" in flags
    same = _untraced if traced else str
    assert same(after.without_samples()) == same(before.stdout)
    if compare_stderr:
        assert same(after.stderr) == same(before.stderr)
    assert after.seconds <= before.seconds + slack, f"{after.seconds:.2f}s instrumented vs {before.seconds:.2f}s"
    assert after.leftovers == [], "processes outlived the script"
    assert before.leftovers == [], "the test script itself left processes behind"
    return before, after


@cache
def _original_run(shell: str, script: str, flags: str, stdin: bytes | None, pid1: bool, timeout: float) -> Outcome:
    """The CronJob's own run, once per script (the traced and the untraced debug runs compare with it)."""
    return run(original(shell, script, flags=flags), stdin=stdin, pid1=pid1, timeout=timeout)


@cache
def sampler_reads_memory() -> bool:
    """Whether the sampler finds a readable cgroup memory file on this machine (else it prints `?` once)."""
    done = run(instrumented("sh", "sleep 0.2", trace=False))
    return any(current != "?" for current, _peak in done.samples)
