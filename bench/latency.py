"""Verdict latency: from the moment the sandbox marks the last debug Job finished (its Complete/Failed condition
lands in the store) to the moment the verdict's first byte reaches stdout of `cronjob-doctor diagnose`.

The sandbox runs in this process and a store listener timestamps the Job conditions; the CLI runs as a child
(`--memory original,512Mi -q -o json`, the incident), its stdout read line by line here. Both instants are on
this process's monotonic clock. Target <= 0.5 s. Usage: python bench/latency.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import CLI, Figure, child_env, print_table, spawn_measured

from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.store import WatchEvent

TIME_SCALE = 0.02
"""Real seconds per simulated second: the incident's two-minute run takes ~2.4 s."""


class FinishClock:
    """Records when each debug Job (managed-by cronjob-doctor) first carries a Complete or Failed condition."""

    def __init__(self) -> None:
        self.finished: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, event: WatchEvent) -> None:
        if event.resource != "jobs" or event.type == "DELETED":
            return
        metadata = event.object.get("metadata") or {}
        if (metadata.get("labels") or {}).get("app.kubernetes.io/managed-by") != "cronjob-doctor":
            return
        for condition in (event.object.get("status") or {}).get("conditions") or []:
            if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
                with self._lock:
                    self.finished.setdefault(metadata["name"], time.monotonic())


def once(root: Path) -> tuple[float, float, int]:
    """(latency seconds, wall seconds of the whole diagnose, debug Jobs seen finishing)."""
    clock = FinishClock()
    with Sandbox(seed="incident", time_scale=TIME_SCALE) as sandbox:
        sandbox.store.subscribe(clock)
        config = sandbox.write_kubeconfig(root / "kubeconfig")
        printed: list[float] = []

        def on_line(_line: str, when: float) -> None:
            if not printed:
                printed.append(when)

        result = spawn_measured(
            [*CLI, "--kubeconfig", str(config), "diagnose", "tofu-state/tf-state-backup", "--memory",
             "original,512Mi", "-q", "-o", "json", "--bundle", str(root / "bundle")],
            env=child_env(), timeout=120, on_stdout_line=on_line)
    if result.returncode not in (0, 1) or not printed or not clock.finished:
        raise RuntimeError(f"diagnose exited {result.returncode}: {result.stderr[-2000:]}")
    return printed[0] - max(clock.finished.values()), result.seconds, len(clock.finished)


def run(runs: int = 5) -> list[Figure]:
    latencies, walls = [], []
    for _ in range(runs):
        root = Path(tempfile.mkdtemp(prefix="bench-latency-"))
        try:
            latency, wall, jobs = once(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        latencies.append(latency)
        walls.append(wall)
    return [Figure("verdict latency (last debug Job finished -> verdict on stdout)", "s", latencies, 0.5,
                   note=f"{jobs} debug Jobs, time scale {TIME_SCALE}"),
            Figure("`diagnose --memory original,512Mi` wall (sandbox)", "s", walls)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    print_table("Verdict latency", run(parser.parse_args(argv[1:]).runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
