"""Log lines lost under repeated stream cuts and early ends: every fault case runs diagnose against the sandbox
several times, compares each bundle's log with what the container wrote, and checks the rule the capture must
keep: no line lost, or the run marked partial (exit 4). Also times two ISSUE-17 waits: a cluster that refuses
connections, and a debug pod whose image does not exist.

Usage: python bench/cuts.py [--runs N]   (default 3; prints a markdown table)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cronjob_doctor.bundle import LogFile
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.errors import DoctorError
from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.testing.faults import Faults

SHORT = RetryPolicy(attempts=4, max_seconds=1.5, wait_initial=0.05, wait_max=1.0)
CASES: dict[str, Callable[[Faults], None]] = {
    "none": lambda f: None,
    "cut once after 1 line": lambda f: f.cut_logs_after(1),
    "cut once after 40 lines": lambda f: f.cut_logs_after(40),
    "cut every stream after 3 lines": lambda f: f.cut_logs_after(3, once=False),
    "cut every stream after 40 lines": lambda f: f.cut_logs_after(40, once=False),
    "cut every stream after 200 lines": lambda f: f.cut_logs_after(200, once=False),
    "ended cleanly once after 3 lines": lambda f: f.end_logs_after(3),
    "ended cleanly once after 40 lines": lambda f: f.end_logs_after(40),
    "ended cleanly, every stream, after 3 lines": lambda f: f.end_logs_after(3, once=False),
    "ended cleanly, every stream, after 40 lines": lambda f: f.end_logs_after(40, once=False),
}


@dataclass
class Tally:
    runs: int = 0
    written: int = 0
    lost: int = 0
    partial: int = 0
    silent_loss: int = 0
    """Runs that lost lines without being marked partial: must stay 0."""
    wrong_lines: int = 0
    """Runs whose captured lines are not exactly the first lines the container wrote: must stay 0."""


def one_run(case: str) -> tuple[int, int, bool]:
    """(lines written, lines captured, partial) of one diagnose of the incident CronJob under the fault."""
    with Sandbox(seed="incident") as sandbox, tempfile.TemporaryDirectory() as tmp:
        kube = Kube.connect(str(sandbox.write_kubeconfig(Path(tmp) / "kubeconfig")), retry=SHORT)
        bundle = Path(tmp) / "b"

        def note(text: str) -> None:
            if text.startswith("created job"):
                CASES[case](sandbox.faults)

        settings = DiagnoseSettings.from_flags(target="tofu-state/tf-state-backup", bundle=str(bundle), keep=True,
                                               redact=False)
        outcome = diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(note=note),
                               now=datetime.now(timezone.utc), command="bench")
        pods = [p["metadata"]["name"] for p in sandbox.store.list("pods", "tofu-state")[0]
                if (p["metadata"].get("labels") or {}).get("app.kubernetes.io/managed-by") == "cronjob-doctor"]
        written = sandbox.logs.written("tofu-state", pods[0], "backup")
        path = bundle / "logs" / pods[0] / "backup.log"
        captured = [line.text for line in LogFile(pod=pods[0], container="backup", path=path).lines()]
        if captured != written[: len(captured)]:
            raise AssertionError(f"{case}: the captured lines are not the container's first lines")
        assert (outcome.exit_code == 4) == outcome.partial
        kube.close()
        return len(written), len(captured), outcome.partial


def refused_seconds() -> float:
    """How long diagnose takes to report a cluster that refuses connections (the CLI's default retries)."""
    sandbox = Sandbox(seed=None, controllers=False)  # never started: its port refuses
    with tempfile.TemporaryDirectory() as tmp:
        kube = Kube.connect(str(sandbox.write_kubeconfig(Path(tmp) / "kubeconfig")))
        settings = DiagnoseSettings.from_flags(target="tofu-state/tf-state-backup", bundle=str(Path(tmp) / "b"))
        started = time.monotonic()
        with contextlib.suppress(DoctorError):
            diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(), now=datetime.now(timezone.utc), command="b")
        return time.monotonic() - started


def image_pull_seconds() -> tuple[float, str]:
    """How long diagnose of a CronJob whose image does not exist takes, and its verdict."""
    with Sandbox(seed="incident") as sandbox, tempfile.TemporaryDirectory() as tmp:
        kube = Kube.connect(str(sandbox.write_kubeconfig(Path(tmp) / "kubeconfig")))
        settings = DiagnoseSettings.from_flags(target="images/report-gen", bundle=str(Path(tmp) / "b"))
        started = time.monotonic()
        outcome = diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(), now=datetime.now(timezone.utc),
                               command="b")
        assert outcome.verdict is not None
        return time.monotonic() - started, outcome.verdict.verdict


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv[1:])
    print("| fault (armed when the debug Job is created) | runs | lines written | lines lost | runs partial "
          "(exit 4) | runs that lost lines silently |")
    print("|---|---|---|---|---|---|")
    for case in CASES:
        tally = Tally()
        for _ in range(args.runs):
            written, captured, partial = one_run(case)
            tally.runs += 1
            tally.written += written
            tally.lost += written - captured
            tally.partial += partial
            tally.silent_loss += (captured < written) and not partial
        print(f"| {case} | {tally.runs} | {tally.written} | {tally.lost} | {tally.partial} | {tally.silent_loss} |")
    print()
    print(f"cluster refusing connections reported after {refused_seconds():.3f} s")
    seconds, verdict = image_pull_seconds()
    print(f"image that does not exist: verdict {verdict} after {seconds:.1f} s (debug Job deadline in the sandbox: "
          f"{1800 * 0.02:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
