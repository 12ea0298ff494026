"""Read and write evidence bundles: the directory layout of DESIGN.md, and raw `kubectl get -o json` dumps.

Reading treats the bundle as untrusted input (it may come from anyone): files are opened only inside it and
never through a symbolic link (confined.py), a JSON file over MAX_JSON_BYTES or nested deeper than the json
module parses is refused, a log is streamed (over MAX_LOG_BYTES only its end is read, a line over
MAX_LINE_CHARS is cut in the middle), and names are made printable. What was skipped or cut becomes a note.
Reading is lenient (every file optional, Lists and single objects alike) but strict about malformed JSON, which
is reported with the file and position. Writing is private (dirs 0700, files 0600) and atomic (temp + rename):
bundles can hold secrets, and a crash must never leave a half-written JSON file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from cronjob_doctor import confined
from cronjob_doctor.confined import visible
from cronjob_doctor.errors import InputError

FAILED_JOBS_DIR = "failed-jobs"
"""Sub-bundles, one per earlier failed Job, snapshotted before the debug Job is created."""

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})) ")
MAX_JSON_BYTES = 64 * 1024 * 1024
"""A JSON file is parsed whole: 64 MiB of pods or events (hundreds of times what one Job has) costs about
0.5 GB of memory as Python objects. A larger file is a dump of a whole cluster: refused, with how to narrow it."""
MAX_LOG_BYTES = 64 * 1024 * 1024
"""Of a longer container log only the last 64 MiB are analysed (the kubelet rotates at 10 MiB, so this is
several rotations of one container), after counting the lines before them so line numbers stay true."""
MAX_LINE_CHARS = 16 * 1024
"""The rules see at most 16 KiB of a line, its first and last 8 KiB: the container runtimes split lines at
16 KiB themselves, every error text the rules know is far shorter, and a failure at the end of a long
progress line is kept. The bundle keeps the whole line."""
MAX_LOG_FILES = 1000
"""Container logs read from one bundle (diagnose writes a few per run)."""
_CUT = "\u2026[{} characters cut]\u2026"
_NAME_KEYS = frozenset({
    "name", "namespace", "generateName", "nodeName", "serviceAccountName", "serviceAccount", "secretName",
    "claimName", "containerName", "hostname", "subdomain", "priorityClassName", "schedulerName", "image",
})
"""Keys whose values are names (or an image reference) wherever they appear: Kubernetes validates them, so a
control character in one can only come from a crafted file, and rules copy names into the fix they print."""
_EVENT_TEXT_KEYS = frozenset({"message", "note", "reason", "action"})
_ESCAPED_CONTROL = re.compile(r"\\[nrtbfu]")
"""In JSON text, the only ways a string can hold a control or format character: an escape (raw control
characters are invalid JSON), or a raw non-ASCII character."""


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
    inside: Path | None = None
    """The bundle the file belongs to: set, the file is opened from there without following a link."""
    notes: list[str] = field(default_factory=list)
    """What reading cut (a long line, the start of a huge log); filled as the lines are read."""

    @property
    def source(self) -> str:
        suffix = ".previous.log" if self.previous else ".log"
        return f"logs/{self.pod}/{self.container}{suffix}" if self.pod else f"logs/{self.container}{suffix}"

    def lines(self) -> Iterator[LogLine]:
        """Yield lines with their 1-based number; a leading RFC 3339 timestamp is split off. At most
        MAX_LINE_CHARS of a line and the last MAX_LOG_BYTES of a file are read (noted in `notes`)."""
        if self.text is not None:
            raw: Iterator[str] = (self._cut(n, line) for n, line in enumerate(self.text.splitlines(), 1))
            yield from _numbered(raw)
        elif self.path is not None:
            handle = self._open()
            if handle is None:
                return
            with handle:
                yield from _numbered(self._read(handle), start=self._skip_head(handle))

    def _open(self) -> BinaryIO | None:
        if self.path is None:
            return None
        if self.inside is not None:
            return confined.open_inside(self.inside, PurePosixPath(self.path.relative_to(self.inside).as_posix()))
        try:
            return self.path.open("rb")
        except FileNotFoundError:
            return None

    def _skip_head(self, handle: BinaryIO) -> int:
        """Seek to the last MAX_LOG_BYTES and return the number of the line found there (counting the lines
        before in blocks). The cut may fall inside a line: read from there, it keeps its end."""
        size = os.fstat(handle.fileno()).st_size
        if size <= MAX_LOG_BYTES:
            return 1
        newlines = 0
        remaining = size - MAX_LOG_BYTES
        while remaining > 0:
            block = handle.read(min(remaining, 1 << 20))
            if not block:
                break
            newlines += block.count(b"\n")
            remaining -= len(block)
        self._note(f"{self.source}: {size} bytes; only the last {MAX_LOG_BYTES >> 20} MiB (from line "
                   f"{newlines + 1}) analysed")
        return newlines + 1

    def _read(self, handle: BinaryIO) -> Iterator[str]:
        """The file's lines, a line longer than MAX_LINE_CHARS cut in the middle without holding it whole."""
        text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace")  # universal newlines, as before
        half = MAX_LINE_CHARS // 2
        number = 0
        while True:
            line = text.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            number += 1
            if line.endswith("\n") or len(line) <= MAX_LINE_CHARS:
                yield line.rstrip("\n")
                continue
            head, tail, length = line[:half], line[half:], len(line)
            while not tail.endswith("\n"):
                more = text.readline(1 << 16)
                if not more:
                    break
                length += len(more)
                tail = (tail + more)[-(half + 1) :]
            if tail.endswith("\n"):
                tail, length = tail[:-1], length - 1
            tail = tail[-half:]
            yield self._cut(number, head, dropped=length - len(head) - len(tail), tail=tail)

    def _cut(self, number: int, line: str, *, dropped: int = 0, tail: str = "") -> str:
        """`line`, or its first and last MAX_LINE_CHARS / 2 characters around a mark, with a note."""
        if not dropped and len(line) > MAX_LINE_CHARS:
            half = MAX_LINE_CHARS // 2
            line, dropped, tail = line[:half], len(line) - 2 * half, line[-half:]
        if not dropped:
            return line + tail
        self._note(f"{self.source}:{number}: a line of {len(line) + dropped + len(tail)} characters; the rules "
                   f"read its first and last {MAX_LINE_CHARS >> 11} KiB")
        return f"{line}{_CUT.format(dropped)}{tail}"

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)


def _numbered(raw: Iterator[str], start: int = 1) -> Iterator[LogLine]:
    for number, line in enumerate(raw, start=start):
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
    """Metrics-API samples (metrics.json): PodMetrics as the API serves them (`containers[].usage.memory`, what
    diagnose's capture writes), or flat rows `{"time": str, "pod": str, "container": str, "bytes": int}`."""
    verdict: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    """What the tool recorded about the run (meta.json): variant, original limits, changes, partial capture."""
    failed_jobs: list[Bundle] = field(default_factory=list)
    read_notes: list[str] = field(default_factory=list)
    """What the reader skipped (a link, a special file, logs past the limit), shared with the sub-bundles."""

    def log(self, pod: str, container: str, *, previous: bool = False) -> LogFile | None:
        for entry in self.logs:
            if entry.pod == pod and entry.container == container and entry.previous == previous:
                return entry
        return None

    def notes(self) -> list[str]:
        """Everything reading left out or cut, so far (log lines are cut as the rules read them)."""
        out = list(self.read_notes)
        for bundle in (self, *self.failed_jobs):
            prefix = f"{FAILED_JOBS_DIR}/{bundle.path.name}/" if bundle is not self and bundle.path else ""
            out += [f"{prefix}{note}" for log in bundle.logs for note in log.notes]
        return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------- reading


def read(path: str | os.PathLike[str]) -> Bundle:
    """Read a bundle directory; raise InputError if it is not a readable directory, holds malformed or
    oversized JSON, or is nested too deep. Never reads outside it."""
    root = Path(path)
    if not root.exists():
        raise InputError(f"bundle {visible(str(root))} does not exist")
    if not root.is_dir():
        raise InputError(f"bundle {visible(str(root))} is not a directory", hint="analyze takes the bundle directory")
    with confined.Tree.open(root) as tree:
        return _read(tree, root)


def _read(tree: confined.Tree, directory: Path) -> Bundle:
    bundle = Bundle(path=directory, read_notes=tree.notes)
    cronjobs = _objects(tree, "cronjob.json", "CronJob")
    bundle.cronjob = cronjobs[0] if cronjobs else None
    jobs = _objects(tree, "job.json", "Job")
    bundle.job = jobs[0] if jobs else None
    bundle.jobs = _objects(tree, "jobs.json", "Job")
    bundle.pods = _objects(tree, "pods.json", "Pod")
    bundle.events = _objects(tree, "events.json", "Event")
    # `kubectl get ciliumnetworkpolicies -o json` dumps belong here too: the egress rule judges both kinds.
    bundle.networkpolicies = _objects(tree, "networkpolicies.json", "NetworkPolicy",
                                      also=("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"))
    metrics = _load(tree, "metrics.json")
    bundle.metrics = [m for m in metrics if isinstance(m, dict)] if isinstance(metrics, list) else []
    verdict = _load(tree, "verdict.json")
    bundle.verdict = verdict if isinstance(verdict, dict) else None
    meta = _load(tree, "meta.json")
    bundle.meta = meta if isinstance(meta, dict) else {}
    with tree.child("logs") as logs:
        bundle.logs = _log_files(logs, directory / "logs") if logs is not None else []
    with tree.child(FAILED_JOBS_DIR) as failed:
        if failed is not None:
            for entry in failed.entries():
                if entry.kind not in ("dir", "link"):
                    continue
                with failed.child(entry.name) as sub:  # a link is noted there, never followed
                    if sub is not None:
                        bundle.failed_jobs.append(_read(sub, directory / FAILED_JOBS_DIR / entry.name))
    return bundle


def _load(tree: confined.Tree, name: str) -> Any:
    return _parse(tree, name)[0]


def _parse(tree: confined.Tree, name: str) -> tuple[Any, bool]:
    """The JSON value of `name` (None when missing or blank), and whether its text may hold a control or
    format character in a string (an escape such as \\n, or any non-ASCII character)."""
    shown = visible(str(tree.root.joinpath(*tree.where.parts, name)))
    handle = tree.open_file(name)
    if handle is None:
        return None, False
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_JSON_BYTES:
            raise InputError(
                f"{shown}: {size} bytes is too large for a bundle file (limit {MAX_JSON_BYTES}); not read",
                hint="dump only what the Job needs: kubectl get pods -l job-name=JOB -o json",
            )
        try:
            data = handle.read(size + 1)  # read(n) allocates n bytes up front: ask for what fstat said
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{shown}: not UTF-8 text (byte {exc.start})") from exc
        except OSError as exc:
            raise InputError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    if len(data) > MAX_JSON_BYTES:  # it grew while we read it
        raise InputError(f"{shown}: too large for a bundle file (limit {MAX_JSON_BYTES}); not read")
    if not text.strip():
        return None, False
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{shown}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:  # the json module's own guard: Kubernetes objects nest about 15 levels
        raise InputError(f"{shown}: JSON nested too deeply to be a Kubernetes object") from exc
    except ValueError as exc:  # a number too long to convert (Python caps int digits), a lone surrogate
        raise InputError(f"{shown}: unreadable JSON value ({exc})") from exc
    return value, not text.isascii() or _ESCAPED_CONTROL.search(text) is not None


def _objects(tree: confined.Tree, name: str, kind: str, *, also: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Objects of `kind` (or of the kinds `also` names) in a file holding one object, a `*List`/`List`, or a bare
    JSON array."""
    path = visible(str(tree.root.joinpath(*tree.where.parts, name)))
    data, hidden = _parse(tree, name)
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
            raise InputError(f"{path}: holds a {visible(str(item_kind))}, expected {kind}")
        if hidden:
            _make_names_printable(item, event=kind == "Event")
        out.append(item)
    return out


def _make_names_printable(obj: dict[str, Any], *, event: bool) -> None:
    """Escape control characters in names and label values (and, in an Event, in its message and reason) in
    place: a rule that copies a pod name into the fix it prints must not copy a line break into it."""
    stack: list[Any] = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if isinstance(value, str):
                if key in _NAME_KEYS or (event and key in _EVENT_TEXT_KEYS):
                    item[key] = visible(value)
            elif key == "labels" and isinstance(value, dict):
                for label, text in value.items():
                    if isinstance(text, str):
                        value[label] = visible(text)
            elif isinstance(value, (dict, list)):
                stack.append(value)


def _log_files(logs: confined.Tree, directory: Path) -> list[LogFile]:
    """Every `*.log` under logs/ (logs/<pod>/<container>.log, or logs/<container>.log in a raw dump)."""
    found: list[LogFile] = []
    _walk_logs(logs, directory, PurePosixPath("."), found)
    if len(found) > MAX_LOG_FILES:
        logs.notes.append(f"{len(found)} container logs in {visible(logs.where.as_posix())}/: only the first "
                          f"{MAX_LOG_FILES} (by name) analysed")
        del found[MAX_LOG_FILES:]
    return found


def _walk_logs(tree: confined.Tree, logs_root: Path, relative: PurePosixPath, found: list[LogFile]) -> None:
    for entry in tree.entries():
        if len(found) > MAX_LOG_FILES:
            return
        if entry.kind == "dir":
            with tree.child(entry.name) as sub:
                if sub is not None:
                    _walk_logs(sub, logs_root, relative / entry.name, found)
        elif entry.kind == "link":
            with tree.child(entry.name):
                pass  # notes the link, follows nothing
        elif entry.name.endswith(".log"):
            if entry.kind != "file":
                tree.open_file(entry.name)  # notes what it is, opens nothing
                continue
            name = entry.name
            previous = name.endswith(".previous.log")
            container = name[: -len(".previous.log")] if previous else name[: -len(".log")]
            pod = relative.as_posix() if relative != PurePosixPath(".") else ""
            found.append(LogFile(pod=visible(pod), container=visible(container), previous=previous,
                                 path=logs_root.joinpath(*relative.parts, name), inside=logs_root.parent))


# ---------------------------------------------------------------------------------------------- writing


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create a directory (and missing parents) with mode 0700; refuse a path that exists and is not a
    directory. A directory that already exists keeps its mode and owner (it may be /tmp or someone's home)."""
    root = Path(path)
    if root.exists() and not root.is_dir():
        raise InputError(f"bundle path {visible(str(root))} exists and is not a directory")
    try:
        # mkdir(parents=True) would give the intermediate directories (logs/, failed-jobs/) the umask's mode
        missing = []
        ancestor = root
        while not ancestor.exists():
            missing.append(ancestor)
            ancestor = ancestor.parent
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=0o700)
            except FileExistsError:
                continue  # made by someone else meanwhile: not ours to chmod
            os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask
    except OSError as exc:
        raise InputError(f"cannot create bundle directory {visible(str(root))}: {exc.strerror or exc}") from exc
    return root


def bundle_root(
    requested: str | os.PathLike[str] | None, *, namespace: str, name: str, now: datetime, subdir: bool = False
) -> Path:
    """The directory a diagnose writes into, created and private. No `--bundle`: a fresh directory of its own
    (default_bundle_dir). `--bundle DIR`: DIR, created 0700 if missing; if it exists it must be empty and is
    used as it is (its mode and owner are never changed: DIR may be /tmp), unless `subdir` asks for a fresh
    subdirectory of it. InputError (exit 2) for a non-empty DIR without `subdir`, a file, or a DIR others can
    write to (they could swap what is written in it for links)."""
    if requested is None:
        return default_bundle_dir(namespace, name, now)
    root = Path(requested)
    shown = visible(str(root))
    if not root.exists() and not root.is_symlink():
        return make_private_dir(root)
    if not root.is_dir():
        raise InputError(f"--bundle {shown} exists and is not a directory")
    info = root.stat()
    if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
        raise InputError(
            f"--bundle {shown} is writable by other users: they could replace what is written there",
            hint="choose a directory only you can write to (a bundle can hold secrets)",
        )
    if subdir:
        return _fresh_dir(root, _default_name(namespace, name, now))
    try:
        empty = next(os.scandir(root), None) is None
    except OSError as exc:
        raise InputError(f"cannot read --bundle {shown}: {exc.strerror or exc}") from exc
    if not empty:
        raise InputError(
            f"--bundle {shown} is not empty",
            hint="name a new or empty directory, or add --bundle-subdir to write into a fresh subdirectory of it",
        )
    return root


def default_bundle_dir(namespace: str, name: str, now: datetime, *, parent: Path | None = None) -> Path:
    """`./cronjob-doctor-<namespace>-<cronjob>-<UTC timestamp>/` (DESIGN.md), created 0700 and this call's
    own: when that name exists already (another diagnose in the same second), `-2`, `-3`, ... is added.
    Creating it is what reserves the name: two runs can never share one."""
    return _fresh_dir(parent or Path("."), _default_name(namespace, name, now))


def _default_name(namespace: str, name: str, now: datetime) -> str:
    return f"cronjob-doctor-{namespace}-{name}-{now.strftime('%Y%m%dT%H%M%SZ')}"


def _fresh_dir(parent: Path, base: str) -> Path:
    """`parent/base`, or `parent/base-N` for the first N free, created (0700) by this call: mkdir fails on a
    name that exists, so the directory returned is one nobody else has."""
    for attempt in range(1, 10_000):
        candidate = parent / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            candidate.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(f"cannot create bundle directory {visible(str(candidate))}: {exc.strerror or exc}") \
                from exc
        os.chmod(candidate, 0o700)
        return candidate
    raise InputError(f"no free bundle directory name {visible(base)}-N in {visible(str(parent))}")


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
