"""Hostile input: the longest line handled and its time, the largest bundle analysed and its peak memory.

- redactor: one line of 1 MiB and of 16 MiB, of the kinds that cost it most (a run of one letter; thousands
  of `"password": "x"` to replace; a secret word then a megabyte of blanks), CPU seconds in this process.
- analyze, one long line: a bundle whose log holds one line of `--line-mib` MiB (default 256) ending in a
  curl error; `cronjob-doctor analyze` in a child process: wall time, peak memory, and whether the error at
  the end of the line was still found (the rules read its first and last 8 KiB).
- analyze, largest bundle: pods.json and events.json just under the 64 MiB bound per JSON file, and a log of
  `--log-mib` MiB (default 512; only its last 64 MiB analysed): wall time and peak memory of the child.

Peak memory is the child's VmHWM (Linux; ru_maxrss elsewhere). Files are written to a temporary directory and
removed. Prints figures, asserts nothing.
Usage: python bench/hostile.py [--line-mib N] [--log-mib N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import PYTHON, Figure, child_env, print_table, run_child

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.redact import Redactor

MIB = 1 << 20
T = "2026-03-21T08:00:00.000000000Z"
ERROR = "curl: (6) Could not resolve host: dl.min.io"
PEAK = """
import sys
from cronjob_doctor.cli import main
try:
    sys.argv = ['cronjob-doctor', 'analyze', sys.argv[1], '-o', 'json']
    main()
except SystemExit:
    pass
finally:
    try:
        peak = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0]
    except OSError:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f'peak_kib={peak}\\n')
"""


def redactor_figures(runs: int) -> list[Figure]:
    redactor = Redactor({"S3_SECRET_KEY": "Vq3n8sLk2PzR7wYt", "S3_ACCESS_KEY": "tf-backup"})
    kinds = {
        "a run of one letter": "a",
        'thousands of "password": "x" to replace': '"password": "x", ',
        "a secret word, then blanks": " ",
    }
    figures = []
    for size in (MIB, 16 * MIB):
        for label, unit in kinds.items():
            line = ("password=" if unit == " " else "") + unit * (size // len(unit))
            samples = []
            for _ in range(runs):
                started = time.process_time()
                redactor.redact(line)
                samples.append(time.process_time() - started)
            figures.append(Figure(f"redact one {size // MIB} MiB line: {label}", "s", samples,
                                  1.0 if size == MIB else None, note="CPU"))
    return figures


def _analyze(root: Path, timeout: float) -> tuple[float, float, dict[str, object]]:
    done = run_child([PYTHON, "-c", PEAK, str(root)], env=child_env(), timeout=timeout)
    peak = float(done.stderr.rsplit("peak_kib=", 1)[1].split()[0]) / 1024
    return done.seconds, peak, json.loads(done.stdout)


def long_line_figures(work: Path, line_mib: int, runs: int) -> list[Figure]:
    root = work / "long-line"
    log = root / "logs" / "backup-x7k2p" / "backup.log"
    log.parent.mkdir(parents=True)
    with log.open("w") as handle:
        handle.write(f"{T} + curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n{T} ")
        block = "#" * MIB
        for _ in range(line_mib):
            handle.write(block)
        handle.write(f" {ERROR}\n")
    seconds, peaks, found = [], [], []
    for _ in range(runs):
        wall, peak, verdict = _analyze(root, timeout=600)
        seconds.append(wall)
        peaks.append(peak)
        found.append(any(ERROR in str(e.get("text")) for e in verdict.get("evidence") or []))  # type: ignore[union-attr]
    note = "the error at its end found" if all(found) else "**the error at its end was missed**"
    return [Figure(f"analyze a bundle whose log is one {line_mib} MiB line", "s", seconds, note=note),
            Figure(f"analyze a bundle whose log is one {line_mib} MiB line: peak memory", "MB", peaks)]


def _pod(index: int) -> dict[str, object]:
    name = f"tf-state-backup-{29565120 + index}-x7k2p"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "tofu-state", "uid": f"uid-{index}",
                     "labels": {"job-name": f"tf-state-backup-{29565120 + index}", "app": "tf-state-backup"},
                     "annotations": {"padding": "p" * 6000}},
        "spec": {"containers": [{"name": "backup", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "true"],
                                 "resources": {"limits": {"memory": "128Mi"}}}], "restartPolicy": "Never"},
        "status": {"phase": "Failed", "containerStatuses": [{
            "name": "backup", "restartCount": 0, "image": "alpine:3.20", "imageID": "", "ready": False,
            "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": "2026-03-21T08:00:00Z",
                                     "finishedAt": "2026-03-21T08:01:00Z"}}}]},
    }


def _event(index: int) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"e{index}", "namespace": "tofu-state"},
            "involvedObject": {"kind": "Pod", "name": f"tf-state-backup-{29565120 + index % 100}-x7k2p",
                               "namespace": "tofu-state"},
            "reason": "BackOff", "type": "Warning", "count": 1, "lastTimestamp": "2026-03-21T08:00:00Z",
            "message": "Back-off restarting failed container backup in pod " + "m" * 700}


def _json_list(path: Path, kind: str, make: object, limit: int) -> int:
    """A `kind`List of objects from `make(index)`, written until the next one would pass `limit` bytes."""
    count = 0
    with path.open("w") as handle:
        handle.write(f'{{"apiVersion": "v1", "kind": "{kind}", "items": [')
        written = len(kind) + 40
        while True:
            item = json.dumps(make(count))  # type: ignore[operator]
            if written + len(item) + 3 > limit:
                break
            handle.write(("," if count else "") + item)
            written += len(item) + 1
            count += 1
        handle.write("]}")
    return count


def largest_bundle_figures(work: Path, log_mib: int, runs: int) -> list[Figure]:
    root = work / "largest"
    root.mkdir()
    limit = bundle_io.MAX_JSON_BYTES - 1024
    pods = _json_list(root / "pods.json", "PodList", _pod, limit)
    events = _json_list(root / "events.json", "EventList", _event, limit)
    log = root / "logs" / "tf-state-backup-29565120-x7k2p" / "backup.log"
    log.parent.mkdir(parents=True)
    line = f"{T} + echo still working on a large export, 200 bytes a line {'.' * 110}\n"
    with log.open("w") as handle:
        chunk = line * (MIB // len(line))
        for _ in range(log_mib):
            handle.write(chunk)
        handle.write(f"{T} {ERROR}\n")
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / MIB
    seconds, peaks = [], []
    for _ in range(runs):
        wall, peak, verdict = _analyze(root, timeout=1800)
        seconds.append(wall)
        peaks.append(peak)
    what = f"{total:.0f} MiB: {pods} pods, {events} events, a {log_mib} MiB log"
    return [Figure(f"analyze the largest bundle ({what})", "s", seconds, note=f"verdict {verdict.get('verdict')}"),
            Figure("analyze the largest bundle: peak memory", "MB", peaks)]


def run(quick: bool = False, *, line_mib: int = 256, log_mib: int = 512, runs: int = 3) -> list[Figure]:
    if quick:
        line_mib, log_mib, runs = 64, 128, 1
    work = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    try:
        return [*redactor_figures(runs), *long_line_figures(work, line_mib, runs),
                *largest_bundle_figures(work, log_mib, runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--line-mib", type=int, default=256)
    parser.add_argument("--log-mib", type=int, default=512)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv[1:])
    figures = run(args.quick, line_mib=args.line_mib, log_mib=args.log_mib, runs=args.runs)
    print_table("Hostile input", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
