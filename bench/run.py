"""Run every benchmark and write bench/RESULTS.md (figures with median and spread, targets, notes).

Usage: python bench/run.py [--quick]   (--quick: fewer runs and a 256 MiB log, for a fast look; RESULTS.md says so)
Each bench also runs alone: python bench/<name>.py --help.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import time
from contextlib import redirect_stdout
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analyze_many
import demo
import latency
import logs
import scan
import startup
from common import ROOT, TABLE_HEADER, Figure

BEFORE = """\
## Before and after the fixes (same machine, same benches)

| figure | before | after | what changed |
|---|---|---|---|
| `scan -A` (2,000 CronJobs, 20,000 Jobs, 5,000 pods) | 147 s (sandbox 85% of a core) | see above | sandbox: a list page copied every object of the resource (O(objects x pages) deep copies); now only the page, top level and metadata (`Store.select`). scan: Jobs and pods listed side by side. lint: each script parsed once (memoised), not once per check |
| `kubectl get cronjobs,jobs,pods -A -o json` | 152 s | see above | the same sandbox fix (kubectl was measuring the sandbox) |
| log capture, 64 MiB in 200-byte lines | 7.0 MB/s | see above | capture writes, flushes and queues the lines of each network read together (`follow_log_batches`) instead of one flush and one queue item per line; sandbox sends available lines in 256 KiB chunks instead of a chunk per line; digit-only timestamp fast path |
| `lint -f FILE` | 0.57 s | see above | not fixed: typer 0.29 builds a pydantic TypeAdapter for every non-bool parameter of the invoked command (pydantic import ~0.15 s, adapters ~0.05 s); see "Missed" |
| verdict latency | 0.38 s | see above | already watch-driven; no change needed |
"""


def _section(title: str, figures: list[Figure], lines: list[str] | None = None) -> str:
    out = [f"## {title}\n", TABLE_HEADER, *(f.row() for f in figures)]
    if lines:
        out += ["", *lines]
    return "\n".join(out) + "\n"


def _accuracy() -> str:
    """bench/accuracy.py's summary line and table (someone else's bench, run as is)."""
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "accuracy.py")], capture_output=True, text=True, check=False,
                            cwd=ROOT, timeout=300)
    return "## Verdict accuracy (bench/accuracy.py)\n\n```\n" + result.stdout.strip() + "\n```\n"


WHY_MISSED = {
    "`cronjob-doctor lint -f FILE`": (
        "typer 0.29 coerces every non-bool parameter of the invoked command through a pydantic TypeAdapter: "
        "importing pydantic costs ~0.15 s and building the adapters ~0.05 s, before lint runs (its own work, "
        "YAML included, is ~0.1 s). `--help` builds none and stays under target. Fixing it means pinning typer "
        "below the pydantic-based releases or not using typer for parsing: a dependency decision, not taken here."),
    "`scan -A -o json` wall": (
        "the client parses ~58 MB of JSON (json.loads ~1.2 s), lints 2,000 CronJobs (~0.5 s), triages 20,000 Jobs "
        "(~0.5 s) and imports/connects (~0.3 s), while the sandbox, on the same two cores, serves 54 pages (~30% "
        "of a core). Was 147 s before the sandbox fix; 0.3x kubectl's time on the same lists."),
    "capture 1024 MiB in 200-byte lines": (
        "5.3 million lines: the sandbox, generating and formatting them in Python, takes ~0.8 of the two cores, "
        "and the client's per-line work (decode, resume cursor, duplicate check, redaction hook, sample parsing) is "
        "~5 µs a line. Per-line flushes and queue items are gone (7 MB/s before); multi-megabyte lines run at "
        "200+ MB/s, so the limit is per-line Python cost, not bytes."),
}
"""Why a target is missed, by the figure name's start: the analysis behind the figure, kept with the bench."""


def _missed(figures: list[Figure]) -> str:
    missed = [f for f in figures if f.met is False]
    if not missed:
        return "## Missed targets\n\nNone.\n"
    lines = []
    for figure in missed:
        why = next((text for start, text in WHY_MISSED.items() if figure.name.startswith(start)), "")
        lines.append(f"- {figure.name}: {figure.row().split('|')[2].strip()}" + (f". {why}" if why else ""))
    return "## Missed targets\n\n" + "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args(argv[1:])
    quick = args.quick
    started = time.monotonic()
    sections: list[str] = []
    every: list[Figure] = []

    def add(title: str, figures: list[Figure], lines: list[str] | None = None) -> None:
        every.extend(figures)
        sections.append(_section(title, figures, lines))
        print(sections[-1], flush=True)

    figures, lines = startup.run(3 if quick else 9)
    add("Start-up", figures, lines)
    add("Verdict latency", latency.run(2 if quick else 5))
    add("demo", demo.run(1 if quick else 3))
    mib = 256 if quick else 1024
    runs = 1 if quick else 3
    add("Log capture", logs.run(mib, 200, runs, label=f"{mib} MiB in 200-byte lines")
        + logs.run(mib // 2, 4 * 1024 * 1024, runs, label=f"{mib // 2} MiB in 4 MiB single lines"))
    figures, lines = scan.run(1 if quick else 3)
    add("scan -A on a large cluster", figures, lines)
    add("analyze", analyze_many.run(1000, 1 if quick else 3))
    with redirect_stdout(io.StringIO()):
        accuracy = _accuracy()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=False).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=False,
                           cwd=ROOT).stdout
    load = os.getloadavg()
    header = (
        "# Benchmark results\n\n"
        f"Written by `python bench/run.py{' --quick' if quick else ''}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit.strip()}{' (with uncommitted changes)' if dirty else ''}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average at the end "
        f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, {time.monotonic() - started:.0f} s in all. Medians with min–max "
        "over the runs shown; the machine is shared, so spreads include other work on it.\n\n"
        "Sandbox share: CPU seconds the in-process sandbox (API server and log producer) used during the "
        "measured command, over its wall time; 100% is one full core of the two.\n"
    )
    text = "\n".join([header, *sections, _missed(every), BEFORE, accuracy])
    Path(args.output).write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
