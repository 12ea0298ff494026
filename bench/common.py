"""Shared plumbing of the benchmarks: repeated runs, median and spread, child processes with their peak RSS.

Benchmarks print figures; they assert nothing (timed tests are flaky on shared machines). Each bench module
exposes `main(argv) -> int` printing its table, and `run(quick) -> list[Figure]` used by run.py.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CLI = [PYTHON, "-m", "cronjob_doctor"]
"""The CLI as a fresh interpreter runs it (the console script is the same import path plus a tiny shim)."""


@dataclass
class Figure:
    """One measured quantity over several runs, with its target for the results table."""

    name: str
    unit: str
    samples: list[float]
    target: float | None = None
    """Upper bound (lower is better) unless `higher_is_better`."""
    higher_is_better: bool = False
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.samples), max(self.samples)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.median >= self.target if self.higher_is_better else self.median <= self.target

    def row(self) -> str:
        """A markdown table row: name, median, min–max, runs, target, met."""
        low, high = self.spread
        target = (
            "" if self.target is None else f"{'>=' if self.higher_is_better else '<='} {fmt(self.target)} {self.unit}"
        )
        met = {None: "", True: "yes", False: "**no**"}[self.met]
        return (f"| {self.name} | {fmt(self.median)} {self.unit} | {fmt(low)}–{fmt(high)} | {len(self.samples)} "
                f"| {target} | {met} | {self.note} |")


def fmt(value: float) -> str:
    """Three significant figures, no scientific notation for the ranges we see."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


TABLE_HEADER = "| figure | median | min–max | runs | target | met | note |\n|---|---|---|---|---|---|---|"


def print_table(title: str, figures: Sequence[Figure]) -> None:
    """The figures as a markdown table on stdout."""
    print(f"\n## {title}\n")
    print(TABLE_HEADER)
    for figure in figures:
        print(figure.row())
    sys.stdout.flush()


@dataclass
class ChildResult:
    """A finished child process: wall time, peak RSS and CPU time (its own, from wait4) and its output."""

    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0


def run_child(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 300.0,
              cwd: Path | None = None) -> ChildResult:
    """Run a process to completion: wall time, its own peak RSS and its output."""
    return spawn_measured(args, env=env, timeout=timeout, cwd=cwd)


def spawn_measured(args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 300.0,
                   cwd: Path | None = None, on_stdout_line: Callable[[str, float], None] | None = None
                   ) -> ChildResult:
    """Run a process, calling `on_stdout_line(line, monotonic_time)` as each stdout line arrives, and return
    its wall time and own peak RSS (os.wait4 gives the rusage of exactly this child)."""
    import threading

    started = time.perf_counter()
    proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
                            text=True, bufsize=1)
    out_lines: list[str] = []
    err_parts: list[str] = []

    def read_out() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.monotonic()
            out_lines.append(line)
            if on_stdout_line is not None:
                on_stdout_line(line, now)

    def read_err() -> None:
        assert proc.stderr is not None
        err_parts.append(proc.stderr.read())

    readers = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
    for reader in readers:
        reader.start()
    # a blocking wait4 returns the moment the child exits (no polling error in short timings); a timer kills
    # a runaway child so a benchmark stays bounded
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        _pid, status, rusage = os.wait4(proc.pid, 0)
    finally:
        killer.cancel()
    seconds = time.perf_counter() - started
    if status == -9 or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9):
        raise RuntimeError(f"{' '.join(args)} did not finish in {timeout} s")
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=10)
    return ChildResult(seconds, rusage.ru_maxrss / 1024, proc.returncode, "".join(out_lines), "".join(err_parts),
                       rusage.ru_utime + rusage.ru_stime)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of measured children: no KUBECONFIG leaking in from the caller, no colours."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(NO_COLOR="1", PYTHONDONTWRITEBYTECODE="0", **extra)
    return env
