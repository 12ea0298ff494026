"""Read and write evidence bundles: the directory layout of DESIGN.md, and raw `kubectl get -o json` dumps.

Reading is lenient (every file optional, Lists and single objects alike) but strict about malformed JSON, which
is reported with the file and position. Writing is private (dirs 0700, files 0600) and atomic (temp + rename):
bundles can hold secrets, and a crash must never leave a half-written JSON file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from cronjob_doctor.errors import InputError

FAILED_JOBS_DIR = "failed-jobs"
"""Sub-bundles, one per earlier failed Job, snapshotted before the debug Job is created."""

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ")
MAX_JSON_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class LogLine:
    """One line of a container log, numbered from 1 as in the file, with the kubelet's timestamp when present."""

    number: int
    text: str
    timestamp: str | None = None


@dataclass
class LogFile:
    """A container's log, read lazily from disk (logs can be huge) or held in memory (tests, plain data)."""

    pod: str
    container: str
    previous: bool = False
    path: Path | None = None
    text: str | None = None

    @property
    def source(self) -> str:
        suffix = ".previous.log" if self.previous else ".log"
        return f"logs/{self.pod}/{self.container}{suffix}" if self.pod else f"logs/{self.container}{suffix}"

    def lines(self) -> Iterator[LogLine]:
        """Yield lines with their 1-based number; a leading RFC 3339 timestamp is split off."""
        if self.text is not None:
            raw: Iterator[str] = iter(self.text.splitlines())
            yield from _numbered(raw)
        elif self.path is not None:
            with open(self.path, encoding="utf-8", errors="replace") as handle:
                yield from _numbered(line.rstrip("\n") for line in handle)


def _numbered(raw: Iterator[str]) -> Iterator[LogLine]:
    for number, line in enumerate(raw, start=1):
        match = _TIMESTAMP.match(line)
        if match:
            yield LogLine(number, line[match.end():], match.group(1))
        else:
            yield LogLine(number, line, None)


@dataclass
class Bundle:
    """Everything known about one run (or one failed Job); every part optional."""

    path: Path | None = None
    cronjob: dict[str, Any] | None = None
    job: dict[str, Any] | None = None
    jobs: list[dict[str, Any]] = field(default_factory=list)
    """Other Jobs of the CronJob (jobs.json), for history-aware rules."""
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: list[LogFile] = field(default_factory=list)
    networkpolicies: list[dict[str, Any]] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    """Metrics-API samples (metrics.json): `{"time": str, "pod": str, "container": str, "bytes": int}`."""
    verdict: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """What the tool recorded about the run (meta.json): variant, original limits, changes, partial capture."""
    failed_jobs: list[Bundle] = field(default_factory=list)

    def log(self, pod: str, container: str, *, previous: bool = False) -> LogFile | None:
        for entry in self.logs:
            if entry.pod == pod and entry.container == container and entry.previous == previous:
                return entry
        return None


# ---------------------------------------------------------------------------------------------- reading


def read(path: str | os.PathLike[str]) -> Bundle:
    """Read a bundle directory; raise InputError if it is not a readable directory or holds malformed JSON."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"bundle {root} does not exist")
    if not root.is_dir():
        raise InputError(f"bundle {root} is not a directory", hint="analyze takes the bundle directory")
    bundle = Bundle(path=root)
    cronjobs = _objects(root / "cronjob.json", "CronJob")
    bundle.cronjob = cronjobs[0] if cronjobs else None
    jobs = _objects(root / "job.json", "Job")
    bundle.job = jobs[0] if jobs else None
    bundle.jobs = _objects(root / "jobs.json", "Job")
    bundle.pods = _objects(root / "pods.json", "Pod")
    bundle.events = _objects(root / "events.json", "Event")
    # `kubectl get ciliumnetworkpolicies -o json` dumps belong here too: the egress rule judges both kinds.
    bundle.networkpolicies = _objects(root / "networkpolicies.json", "NetworkPolicy",
                                      also=("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"))
    metrics = _load(root / "metrics.json")
    bundle.metrics = [m for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []
    verdict = _load(root / "verdict.json")
    bundle.verdict = verdict if isinstance(verdict, dict) else None
    meta = _load(root / "meta.json")
    bundle.meta = meta if isinstance(meta, dict) else {}
    bundle.logs = _log_files(root / "logs")
    failed = root / FAILED_JOBS_DIR
    if failed.is_dir():
        bundle.failed_jobs = [read(child) for child in sorted(failed.iterdir()) if child.is_dir()]
    return bundle


def _load(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise InputError(f"{path}: {size} bytes is too large for a bundle file (limit {MAX_JSON_BYTES})")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


def _objects(path: Path, kind: str, *, also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Objects of `kind` (or of the kinds `also` names) in a file holding one object, a `*List`/`List`, or a bare
    JSON array."""
    data = _load(path)
    if data is None:
        return []
    if isinstance(data, list):
        items: list[Any] = data
    elif isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]
    elif isinstance(data, dict):
        items = [data]
    else:
        raise InputError(f"{path}: expected a {kind} object or a list, found {type(data).__name__}")
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise InputError(f"{path}: expected {kind} objects, found a {type(item).__name__} in the list")
        item_kind = item.get("kind")
        if item_kind not in (None, kind, *also):
            raise InputError(f"{path}: holds a {item_kind}, expected {kind}")
        out.append(item)
    return out


def _log_files(root: Path) -> list[LogFile]:
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*.log")):
        if not path.is_file():
            continue
        relative = path.relative_to(root)
        name = relative.name
        previous = name.endswith(".previous.log")
        container = name[: -len(".previous.log")] if previous else name[: -len(".log")]
        pod = relative.parent.as_posix() if relative.parent != Path(".") else ""
        found.append(LogFile(pod=pod, container=container, previous=previous, path=path))
    return found


# ---------------------------------------------------------------------------------------------- writing


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create a directory (and parents) with mode 0700; refuse a path that exists and is not a directory."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise InputError(f"bundle path {root} exists and is not a directory")
    try:
        # mkdir(parents=True) would give the intermediate directories (logs/, failed-jobs/) the umask's mode
        missing = []
        ancestor = root
        while not ancestor.exists():
            missing.append(ancestor)
            ancestor = ancestor.parent
        for directory in reversed(missing):
            directory.mkdir(mode=0o700, exist_ok=True)
            os.chmod(directory, 0o700)
        os.chmod(root, 0o700)
    except OSError as exc:
        raise InputError(f"cannot create bundle directory {root}: {exc.strerror or exc}") from exc
    return root


def write_json(root: Path, name: str, data: Any) -> Path:
    """Write JSON atomically with mode 0600: readers see the old file or the new one, never half of one."""
    return write_text(root, name, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_text(root: Path, name: str, text: str) -> Path:
    target = root / name
    make_private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise
    return target


def log_path(root: Path, pod: str, container: str, *, previous: bool = False) -> Path:
    suffix = ".previous.log" if previous else ".log"
    return root / "logs" / pod / f"{container}{suffix}"


def drop_torn_lines(root: Path) -> list[Path]:
    """Cut an unfinished last line off every container log of the bundle; returns the logs that had one.

    A capture killed mid-write (SIGKILL, OOM, power loss) can leave half a line at the end of a log. Resuming
    after it would count that half as seen and never write the whole line; cut, the resumed stream sends it
    again in full. Called once before a resumed capture starts its streams, never while they write."""
    torn: list[Path] = []
    for path in sorted((root / "logs").glob("*/*.log")):
        with open(path, "rb+") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                continue
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                continue
            keep, step = 0, 64 * 1024
            position = size
            while position > 0:
                position = max(0, position - step)
                handle.seek(position)
                block = handle.read(min(step, size - position))
                newline = block.rfind(b"\n")
                if newline >= 0:
                    keep = position + newline + 1
                    break
            handle.truncate(keep)
            torn.append(path)
    return torn


def open_log(root: Path, pod: str, container: str, *, previous: bool = False) -> IO[str]:
    """Open a container log for appending (0600); streams write lines as they arrive."""
    path = log_path(root, pod, container, previous=previous)
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8", newline="\n")


def default_bundle_dir(namespace: str, name: str, now: datetime) -> Path:
    """`./cronjob-doctor-<namespace>-<cronjob>-<UTC timestamp>/` (DESIGN.md)."""
    return Path(f"cronjob-doctor-{namespace}-{name}-{now.strftime('%Y%m%dT%H%M%SZ')}")
