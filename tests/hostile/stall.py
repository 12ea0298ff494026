"""How long one thread of a recorder can be stopped by another's work on a hostile line, measured in a process
of its own (python -m tests.hostile.stall MODE DIR): `re` holds the GIL for a whole match, so a slow pattern in
one Job's thread stops the capture threads of every other Job, whatever the threading.

record runs each Job in its own thread: the capture (log streams, redacting every line) and then, in the same
thread, the analysis. MODE `capture`: one thread redacts a megabyte line while another captures short lines.
MODE `analysis`: one thread analyses a bundle with hostile lines while another captures. Prints the longest
gap, in seconds, between two lines the other thread wrote.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.redact import Redactor

HOSTILE_LOG_LINES = (
    "dial tcp: lookup " + "a" * 1_000_000,
    "curl: (7) Failed to connect to " + "a" * 1_000_000,
    "é" * 1_000_000,
    "password" * 125_000,
    "--password " + " " * 1_000_000,
)
"""Each is what made one pattern quadratic on main (a rule's, or the redactor's)."""


def write_hostile_bundle(root: Path) -> None:
    log = root / "logs" / "backup-x7k2p" / "backup.log"
    log.parent.mkdir(parents=True)
    log.write_text("".join(f"2026-03-21T08:00:0{i}.000000000Z {line}\n" for i, line in enumerate(HOSTILE_LOG_LINES)))


def _ticker(redactor: Redactor, sink: Path, stop: threading.Event, gaps: list[float],
            ticking: threading.Event) -> None:
    """A capture stream: redact a short line, append it, again, and note the longest wait between two."""
    with sink.open("a") as handle:
        last = time.monotonic()
        while not stop.is_set():
            handle.write(redactor.redact("+ mc alias set store http://minio:9000 tf-backup Vq3n8sLk2PzR7wYt") + "\n")
            handle.flush()
            ticking.set()
            now = time.monotonic()
            gaps.append(now - last)
            last = now
            time.sleep(0.002)  # the stream's pace: a line every 2 ms, as a busy log writes them


def main(mode: str, directory: str) -> None:
    root = Path(directory)
    redactor = Redactor({"S3_SECRET_KEY": "Vq3n8sLk2PzR7wYt"})
    if mode == "capture":
        def work() -> None:
            for line in HOSTILE_LOG_LINES:
                redactor.redact(line)
    else:
        write_hostile_bundle(root / "bundle")

        def work() -> None:
            from cronjob_doctor.rules.engine import analyze

            analyze(bundle_io.read(root / "bundle"))

    stop, ticking, gaps = threading.Event(), threading.Event(), [0.0]
    ticker = threading.Thread(target=_ticker, args=(redactor, root / "other-job.log", stop, gaps, ticking),
                              daemon=True)
    ticker.start()
    ticking.wait(10)  # the other Job's capture writes before the hostile work begins
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join()
    stop.set()
    ticker.join()
    print(f"{max(gaps):.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
