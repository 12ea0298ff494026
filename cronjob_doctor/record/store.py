"""Where `record` keeps its bundles and what it remembers across its own restarts.

    <root>/recorder.json                        when this root was last watched (heartbeat)
    <root>/<namespace>/<cronjob>/<job>/          one bundle per Job (DESIGN.md layout) plus meta.json

meta.json carries `state`: `following` while a run is being captured, `complete` or `partial` once the Job
ended; `interrupted: true` on a partial bundle means the recorder stopped before the Job did and should resume
it. Only this module reads or writes those two files; it never talks to the cluster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.k8s.time import format_time, parse_time

FOLLOWING = "following"
COMPLETE = "complete"
PARTIAL = "partial"
STATE_FILE = "recorder.json"
META_FILE = "meta.json"


def utc_now() -> str:
    return format_time(datetime.now(timezone.utc))


@dataclass(frozen=True)
class BundleState:
    """What meta.json says about one bundle directory."""

    path: Path
    state: str
    interrupted: bool
    job_uid: str | None
    finished_at: str | None

    @property
    def final(self) -> bool:
        """The Job ended and the bundle was closed: a restart must leave it alone."""
        return self.state in (COMPLETE, PARTIAL) and not self.interrupted


class BundleStore:
    """The bundle root of one recorder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self) -> datetime | None:
        """Create the root; return when it was last watched (None: never, this is the first start)."""
        bundle_io.make_private_dir(self.root)
        data = _read_json(self.root / STATE_FILE)
        alive = data.get("last_alive") if isinstance(data, dict) else None
        return parse_time(alive)

    def heartbeat(self) -> None:
        """Record that the root is being watched now (read back by `open` after a restart)."""
        bundle_io.write_json(self.root, STATE_FILE, {"last_alive": utc_now()})

    def directory(self, job: dict[str, Any], cronjob: str) -> Path:
        """`<root>/<ns>/<cronjob>/<job>`; a recreated Job of the same name gets its uid appended."""
        meta = job.get("metadata") or {}
        base = self.root / str(meta.get("namespace", "")) / cronjob / str(meta.get("name", ""))
        existing = self.state(base)
        uid = meta.get("uid")
        if existing is not None and existing.job_uid and uid and existing.job_uid != uid:
            return base.with_name(f"{base.name}-{str(uid)[:8]}")
        return base

    def state(self, directory: Path) -> BundleState | None:
        """The bundle's meta.json state, None when there is no bundle (or no meta.json) yet."""
        data = _read_json(directory / META_FILE)
        if not isinstance(data, dict) or not isinstance(data.get("state"), str):
            return None
        return BundleState(
            path=directory,
            state=str(data["state"]),
            interrupted=bool(data.get("interrupted")),
            job_uid=data.get("job_uid"),
            finished_at=data.get("finished_at"),
        )

    def write_meta(self, directory: Path, meta: dict[str, Any]) -> None:
        """Write meta.json (atomically, 0600); the state in it is what a restart acts on."""
        bundle_io.write_json(directory, META_FILE, meta)

    def all_states(self) -> list[BundleState]:
        """Every bundle under the root (`<ns>/<cronjob>/<job>/meta.json`)."""
        found = []
        for meta in sorted(self.root.glob(f"*/*/*/{META_FILE}")):
            state = self.state(meta.parent)
            if state is not None:
                found.append(state)
        return found


def _read_json(path: Path) -> Any:
    """A small state file, or None if it is missing or unreadable (a crash mid-write never leaves half of one:
    writes are atomic, but a foreign or truncated file must not stop the recorder)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
