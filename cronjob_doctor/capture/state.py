"""Whether a bundle was finished by the process that wrote it: a marker written when a capture starts and
completed when it ends, so a bundle left by a killed run (kill -9, an OOM of the CLI, a lost laptop) is
recognisably cut short.

`diagnose` calls `begin` on each bundle directory it creates and `finish` at the end (also after an error or
Ctrl-C); `record` keeps its own state in meta.json (`following` until the run is closed), read here too.
`cut_short(directory)` is the one question readers (analyze) ask. Reads and writes only that small file;
knows nothing of the rest of the bundle.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

STATE_FILE = "capture-state.json"
CAPTURING = "capturing"
"""Written when the capture starts; a bundle still in this state was never finished."""
COMPLETE = "complete"
PARTIAL = "partial"
"""Finished, but something is missing (partial.json / meta.json say what)."""
_MAX_BYTES = 64 * 1024
"""The marker is a few hundred bytes; anything larger is not ours and is not read whole."""


def begin(directory: Path, *, command: str, session: str, host: str, pid: int, now: datetime) -> None:
    """Mark `directory` as being captured by this process."""
    _write(directory, {
        "state": CAPTURING,
        "command": command,
        "session": session,
        "host": host,
        "pid": pid,
        "started": _stamp(now),
    })


def finish(directory: Path, *, state: str, now: datetime, reason: str | None = None) -> None:
    """Mark the capture of `directory` as ended (`complete` or `partial`); keeps who wrote it."""
    data = read(directory) or {}
    data.update({"state": state, "ended": _stamp(now)})
    if reason:
        data["reason"] = reason
    _write(directory, data)


def read(directory: Path) -> dict[str, Any] | None:
    """The marker's content, None when there is none (bundles of older versions, kubectl dumps)."""
    return _small_json(Path(directory) / STATE_FILE)


def cut_short(directory: Path) -> str | None:
    """A one-line note when the process writing this bundle never finished it, else None."""
    data = read(directory)
    if data is not None:
        if data.get("state") != CAPTURING:
            return None
        who = f"{data.get('command', 'cronjob-doctor')} (pid {data.get('pid', '?')} on {data.get('host', '?')})"
        return (
            f"the capture was cut short: {who} started writing this bundle at {data.get('started', '?')} and "
            "never finished it (killed, or still running): what is here is all it got, and the debug Job it "
            "followed may still be in the cluster (cronjob-doctor scan lists orphans)"
        )
    meta = _record_meta(Path(directory))
    if meta is not None and meta.get("command") == "record" and meta.get("state") == "following":
        return (
            f"the capture was cut short: record stopped while following job {meta.get('job', '?')} (it resumes "
            "this bundle when it starts again, if the Job is still there)"
        )
    return None


def _record_meta(directory: Path) -> dict[str, Any] | None:
    return _small_json(directory / "meta.json")


def _small_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a small regular file of the bundle, None for anything else (missing, a symlink out of
    the bundle, too large, not JSON, not an object)."""
    try:
        if path.is_symlink() or path.stat().st_size > _MAX_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(directory: Path, data: dict[str, Any]) -> None:
    """Atomically, mode 0600 (a crash leaves the old marker or the new one, never half of one)."""
    path = Path(directory) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=2) + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
