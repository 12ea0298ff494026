"""record's capture must not wait on analysis, nor on another Job's hostile line.

record gives each Job a thread: its capture, then its analysis (record/job_capture.py). Structurally no
capture waits for an analysis, but `re` holds the GIL for a whole match: a pattern that runs for seconds on
one Job's line stops every thread of the recorder (log streams, watches, heartbeats) for those seconds. These
tests run a capture-like thread beside the work on hostile lines and measure its longest stop.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
LONGEST_STOP = 0.5
"""Seconds a capture thread may be stopped: the redactor's worst megabyte line costs about 0.2 s."""

def longest_stop(mode: str, tmp_path: Path) -> float:
    done = subprocess.run([sys.executable, "-m", "tests.hostile.stall", mode, str(tmp_path)], cwd=REPOSITORY,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split()[-1])


def test_a_hostile_line_in_one_jobs_capture_does_not_stop_another(tmp_path: Path) -> None:
    # main: the redactor's assignment pattern held the GIL for seconds on 'passwordpassword...'
    assert longest_stop("capture", tmp_path) < LONGEST_STOP


def test_the_analysis_of_one_job_does_not_stop_the_capture_of_another(tmp_path: Path) -> None:
    assert longest_stop("analysis", tmp_path) < LONGEST_STOP
