"""How a capture writes the lines of one read, with plain data: each stream keeps all of its own lines, and
while two streams deliver the same container log (the OnFailure restart window) each line is written once."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from cronjob_doctor.capture.follow import JobFollower


def _follower(tmp_path: Path) -> JobFollower:
    return JobFollower(None, namespace="ns", job_name="j", bundle_dir=tmp_path, stop=threading.Event())


def _ts(second: int, fraction: int = 0) -> str:
    return f"2026-11-25T00:00:{second:02d}.{fraction:09d}Z"


def test_a_stream_keeps_all_of_its_own_lines_even_out_of_order(tmp_path: Path) -> None:
    """stdout and stderr reach the runtime on separate pipes: their timestamps can interleave out of order."""
    follower, handle, path, own = _follower(tmp_path), io.StringIO(), tmp_path / "c.log", object()
    first = [(_ts(1), "a"), (_ts(3), "b")]
    second = [(_ts(2), "stderr, a little late"), (_ts(4), "c"), ("", "no timestamp")]
    assert follower._write_batch(handle, path, own, first) == first
    assert follower._write_batch(handle, path, own, second) == second
    assert handle.getvalue().splitlines() == [f"{ts} {text}" if ts else text for ts, text in first + second]


def test_two_streams_of_one_log_write_each_line_once(tmp_path: Path) -> None:
    follower, handle, path = _follower(tmp_path), io.StringIO(), tmp_path / "c.log"
    old, new = object(), object()
    lines = [(_ts(1, i), f"line {i}") for i in range(6)]
    assert follower._write_batch(handle, path, old, lines[:3]) == lines[:3]
    # the new instance's stream sends the same log from its start: only what the old one has not written is new
    assert follower._write_batch(handle, path, new, lines[:5]) == lines[3:5]
    assert follower._write_batch(handle, path, old, lines[3:]) == lines[5:]
    assert follower._write_batch(handle, path, new, []) == []
    assert handle.getvalue().splitlines() == [f"{ts} {text}" for ts, text in lines]
