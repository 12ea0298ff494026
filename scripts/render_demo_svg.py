"""Render `cronjob-doctor demo` as a terminal picture: docs/demo.svg, for the README and the runbook.

Runs the demo's diagnose flow against the sandbox (the tf-state-backup incident at 128Mi and 512Mi) with the
progress view and the report going to one in-memory terminal, as a user sees them interleaved, then replays
that into a recording rich Console (`Console(record=True, width=100)`) and saves the SVG. What changes from run
to run (debug Job ids, loopback port, temporary paths, wall-clock times) is replaced by fixed values, and log
lines are grouped per pod, so regenerating the picture only changes it when the output really changed.

    .venv/bin/python scripts/render_demo_svg.py                # writes docs/demo.svg
    .venv/bin/python scripts/render_demo_svg.py --out x.svg
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.text import Text

from cronjob_doctor import report
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.report.live import LiveView
from cronjob_doctor_sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100
COMMAND = "cronjob-doctor demo"
TITLE = "cronjob-doctor demo"
_POD_SUFFIXES = ("x7k2p", "q9z4m", "b3n8t", "w5c6r")
_CLOCK = re.compile(r"(?<!\d)(\d{2}):(\d{2}):(\d{2})\.(\d{3})(?!\d)")


class _GroupedLogs:
    """Log lines held per pod and shown after the run, pod by pod in the order their Jobs were created.

    Two debug Jobs run at once; their followers interleave lines by thread timing, which would make every
    rendering different. A terminal shows the same lines, only mixed.
    """

    def __init__(self, view: LiveView) -> None:
        self.view = view
        self._lock = threading.Lock()
        self._lines: dict[str, list[tuple[str, str, str]]] = {}
        self._jobs: list[str] = []

    def note(self, text: str) -> None:
        if text.startswith("created job "):
            with self._lock:
                self._jobs.append(text.removeprefix("created job ").split()[0])
        self.view.note(text)

    def _rank(self, pod: str) -> tuple[int, str]:
        owners = [index for index, job in enumerate(self._jobs) if pod.startswith(job + "-")]
        return (owners[0] if owners else len(self._jobs), pod)

    def log_line(self, pod: str, container: str, timestamp: str, text: str) -> None:
        with self._lock:
            self._lines.setdefault(pod, []).append((container, timestamp, text))

    def flush(self) -> None:
        with self._lock:
            pods = sorted(self._lines.items(), key=lambda item: self._rank(item[0]))
            self._lines.clear()
        for pod, lines in pods:
            for container, timestamp, text in lines:
                self.view.log_line(pod, container, timestamp, text)


def run_demo(*, time_scale: float = 0.1) -> str:
    """The demo's terminal output (progress, logs, report) as text with ANSI styles, at WIDTH columns."""
    screen = io.StringIO()
    terminal = Console(
        file=screen, width=WIDTH, force_terminal=True, color_system="truecolor", highlight=False
    )
    terminal.print(Text(f"$ {COMMAND}", style="bold"))
    with (
        tempfile.TemporaryDirectory(prefix="cronjob-doctor-demo-") as root,
        Sandbox(seed="incident", time_scale=time_scale).start() as sandbox,
    ):
        config = sandbox.write_kubeconfig(Path(root) / "kubeconfig")
        terminal.print(
            f"simulated cluster at {sandbox.url} (kubeconfig {config})", markup=False, soft_wrap=True
        )
        settings = DiagnoseSettings.from_flags(
            target="tofu-state/tf-state-backup", memory="original,512Mi", bundle=str(Path(root) / "bundle")
        )
        view = LiveView(terminal, plain=True)
        logs = _GroupedLogs(view)
        hooks = diagnose.Hooks(header=view.header, phase=view.phase, log_line=logs.log_line, note=logs.note)
        try:
            outcome = diagnose.run(
                settings,
                kube=Kube.connect(kubeconfig=str(config)),
                hooks=hooks,
                now=datetime.now(timezone.utc),
                command="cronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi",
            )
        finally:
            logs.flush()
            view.close()
    assert outcome.verdict is not None
    report.write(terminal, outcome.verdict, fmt="text")
    return normalise(screen.getvalue(), time_scale=time_scale)


def normalise(output: str, *, time_scale: float) -> str:
    """Replace what differs between runs with stable values: ids, port, temporary paths, clock times."""
    ids: dict[str, str] = {}

    def stable_id(match: re.Match[str]) -> str:
        suffix = "".join("abcdefghij"[int(d)] for d in f"{len(ids):05d}")
        return ids.setdefault(match.group(0), f"tf-state-backup-doctor-{suffix}")

    output = re.sub(r"tf-state-backup-doctor-[a-z0-9]{5}", stable_id, output)
    # A pod's stable name follows its Job's (the Job's stable id is its creation order), not the output order.
    job_index = {stable: index for index, stable in enumerate(ids.values())}
    output = re.sub(
        r"(tf-state-backup-doctor-[a-j]{5})-[a-z0-9]{5}\b",
        lambda m: f"{m.group(1)}-{_POD_SUFFIXES[job_index.get(m.group(1), 0) % len(_POD_SUFFIXES)]}",
        output,
    )
    output = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:6443", output)
    output = re.sub(r"/[\w/.-]*cronjob-doctor-demo-[\w]+", "/tmp/cronjob-doctor-demo", output)

    def millis(match: re.Match[str]) -> int:
        h, m, s, ms = (int(g) for g in match.groups())
        return ((h * 60 + m) * 60 + s) * 1000 + ms

    stamps = [millis(m) for m in _CLOCK.finditer(output)]
    base = min(stamps, default=0)

    def stable_clock(match: re.Match[str]) -> str:
        # The sandbox runs `time_scale` real seconds per simulated one: scale back to the script's own pace,
        # start at the incident's 02:00 UTC schedule, and round to whole seconds so thread jitter stays out.
        seconds = round((millis(match) - base) / 1000 / time_scale)
        return f"{2 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"

    return _CLOCK.sub(stable_clock, output)


def render_svg(output: str) -> str:
    """The ANSI text drawn into a recording console, then exported as an SVG terminal window."""
    recorder = Console(
        record=True, width=WIDTH, force_terminal=True, color_system="truecolor", file=io.StringIO()
    )
    for line in output.splitlines():
        # No soft wrap: long log lines wrap at WIDTH, as the terminal would, instead of running off the picture.
        recorder.print(Text.from_ansi(line), soft_wrap=False, overflow="fold")
    return recorder.export_svg(title=TITLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.svg", help="where to write the SVG")
    args = parser.parse_args(argv)
    svg = render_svg(run_demo())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
