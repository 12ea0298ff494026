"""The two long-lived responses: watch event streams and pods/log (optionally followed).

Both are generators of byte chunks the server writes with chunked transfer encoding. Raising `CutStream`
makes the server drop the connection without the final chunk, as a broken network would. They end when the
client goes away (`alive()` turns false), the server stops, or their time is up.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import orjson

from .logstore import Line, LogStore, NoSuchLog
from .status import ApiError, expired, not_found
from .store import GoneError, Store

if TYPE_CHECKING:
    from .testing.faults import Faults

Obj = dict[str, Any]


class CutStream(Exception):
    """Raised inside a stream generator: close the connection abruptly (fault injection)."""


def _line(event_type: str, obj: Obj) -> bytes:
    return orjson.dumps({"type": event_type, "object": obj}, option=orjson.OPT_APPEND_NEWLINE)


def watch_events(
    *,
    store: Store,
    key: str,
    namespace: str | None,
    since: int | None,
    initial: bool,
    matches: Callable[[Obj], bool],
    render: Callable[[Obj], Obj],
    bookmark: Callable[[str, bool], Obj] | None,
    bookmark_interval: float,
    timeout: float,
    alive: Callable[[], bool],
    faults: Faults,
) -> Iterator[bytes]:
    """The event stream of one watch request, as the watch cache serves it.

    `initial`: synthetic ADDED events for the current state first, then (with bookmarks allowed) a BOOKMARK
    annotated `k8s.io/initial-events-end`; else the events after resourceVersion `since` (None: from now).
    BOOKMARKs come every `bookmark_interval` and once about 2 s before the timeout (the watch cache's
    nextBookmarkTime), only once the resourceVersion moved past where the watch started. An object that stops
    matching the selectors is sent as DELETED, one that starts matching as ADDED.
    """
    started = time.monotonic()
    deadline = started + timeout
    pre_timeout: float | None = deadline - 2.0 if timeout > 2.0 else None
    next_bookmark = started + bookmark_interval
    cut_after = faults.watch_cut_point()
    sent = 0
    visible: set[str] = set()

    def emit(event_type: str, obj: Obj) -> bytes:
        nonlocal sent
        if cut_after is not None and sent >= cut_after:
            faults.cuts += 1
            raise CutStream()
        sent += 1
        return _line(event_type, render(obj))

    if initial:
        items, rv = store.list(key, namespace)
        position = rv
        for obj in items:
            if matches(obj):
                visible.add(obj["metadata"]["uid"])
                yield emit("ADDED", obj)
        if bookmark is not None:
            yield _line("BOOKMARK", bookmark(str(position), True))
    elif since is None:
        position = store.resource_version
    else:
        position = since
        if faults.take_gone():
            yield _line("ERROR", expired(f"too old resource version: {position} ({store.resource_version})"))
            return
    start = position
    while alive() and not store.closed:
        current = store.resource_version
        try:
            events = store.events_since(key, namespace, position)
        except GoneError as error:
            # An established watch learns of expiry from an ERROR event inside the 200 stream
            yield _line("ERROR", expired(str(error)))
            return
        for event in events:
            position = event.resource_version
            uid = event.object["metadata"].get("uid", "")
            if event.type == "DELETED":
                if matches(event.object) or uid in visible:
                    visible.discard(uid)
                    yield emit("DELETED", event.object)
            elif matches(event.object):
                kind = "ADDED" if event.type == "ADDED" or (initial and uid not in visible) else event.type
                visible.add(uid)
                yield emit(kind, event.object)
            elif uid in visible:
                visible.discard(uid)
                yield emit("DELETED", event.object)
        position = max(position, current)
        now = time.monotonic()
        if now >= deadline:
            return
        due = now >= next_bookmark or (pre_timeout is not None and now >= pre_timeout)
        if bookmark is not None and due and position > start:
            yield _line("BOOKMARK", bookmark(str(position), False))
            next_bookmark = now + bookmark_interval
            if pre_timeout is not None and now >= pre_timeout:
                pre_timeout = None
        wake = [deadline, next_bookmark] + ([pre_timeout] if pre_timeout is not None else [])
        store.wait_for_change(current, max(min(min(wake) - now, 0.5), 0.01))


_RFC3339 = "2006-01-02T15:04:05Z07:00"
_LAYOUT = (("2006", r"\d{4}"), ("-", "-"), ("01", r"\d{2}"), ("-", "-"), ("02", r"\d{2}"), ("T", "T"), ("15", r"\d{2}"),
           (":", ":"), ("04", r"\d{2}"), (":", ":"), ("05", r"\d{2}(\.\d+)?"), ("Z07:00", r"(Z|[+-]\d{2}:\d{2})"))
_RANGES = (("month", 1, 12), ("day", 1, 31), ("hour", 0, 23), ("minute", 0, 59), ("second", 0, 59))


def _parse_time(text: str) -> datetime:
    """sinceTime as metav1.Time parses it (Go's time.Parse with RFC 3339); a 400 with Go's message if not."""
    rest = text
    for element, pattern in _LAYOUT:
        match = re.match(pattern, rest)
        if match is None:
            raise ApiError(400, f'parsing time "{text}" as "{_RFC3339}": cannot parse "{rest}" as "{element}"')
        rest = rest[match.end():]
    if rest:
        raise ApiError(400, f'parsing time "{text}": extra text: "{rest}"')
    numbers = [int(part) for part in re.findall(r"\d+", text[:19])[1:6]]
    for (unit, low, high), value in zip(_RANGES, numbers, strict=False):
        if not low <= value <= high:
            raise ApiError(400, f'parsing time "{text}": {unit} out of range')
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f'parsing time "{text}": day out of range') from None


def _container(pod: Obj, name: str | None) -> str:
    spec = pod.get("spec") or {}
    containers = [c["name"] for c in spec.get("containers") or []]
    init = [c["name"] for c in spec.get("initContainers") or []]
    pod_name = pod["metadata"]["name"]
    if not name:
        if len(containers) == 1:
            return str(containers[0])
        message = f"a container name must be specified for pod {pod_name}, choose one of: [{' '.join(containers)}]"
        if init:
            message += f" or one of the init containers: [{' '.join(init)}]"
        raise ApiError(400, message)
    if name not in containers + init:
        raise ApiError(400, f"container {name} is not valid for pod {pod_name}")
    return name


_PULL_FAILURES = {"ErrImagePull": "image can't be pulled", "ImagePullBackOff": "trying and failing to pull image"}


def _not_started(pod: Obj, container: str) -> str:
    """Why a kubelet has no log for a container that did not start: validateContainerLogStatus's words."""
    name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            waiting = (cs.get("state") or {}).get("waiting")
            if waiting is None:
                return f'container "{container}" in pod "{name}" is waiting to start - no logs yet'
            reason = str(waiting.get("reason") or "")
            return f'container "{container}" in pod "{name}" is waiting to start: {_PULL_FAILURES.get(reason, reason)}'
    return f'container "{container}" in pod "{name}" is not available'


def pod_log(
    *, store: Store, logs: LogStore, namespace: str, name: str, query: dict[str, str], faults: Faults,
    alive: Callable[[], bool],
) -> Iterator[bytes] | None:
    """The kubelet's log endpoint: validation happens before the first chunk so errors get a proper status.

    None for a pod no node runs yet: the apiserver has nowhere to ask and answers 204 No Content."""
    since: datetime | None = None
    if query.get("sinceTime"):
        since = _parse_time(query["sinceTime"])  # the options are decoded before anything is looked up
    elif query.get("sinceSeconds"):
        since = datetime.now(timezone.utc) - timedelta(seconds=int(query["sinceSeconds"]))
    pod = store.find("pods", namespace, name)
    if pod is None:
        raise not_found("pods", "", name)
    container = _container(pod, query.get("container"))
    if not (pod.get("spec") or {}).get("nodeName"):
        return None  # LogLocation: "If pod has not been assigned a host, return an empty location"
    previous = query.get("previous") in ("true", "1")
    follow = query.get("follow") in ("true", "1")
    timestamps = query.get("timestamps") in ("true", "1")
    tail = int(query["tailLines"]) if query.get("tailLines") else None
    limit = int(query["limitBytes"]) if query.get("limitBytes") else None
    try:
        batches = logs.read_batches(namespace, name, container, previous=previous, follow=follow, since=since,
                                    tail=tail, poll=0.2)
        first = next(batches, None)
    except NoSuchLog as error:
        raise ApiError(400, str(error) if previous else _not_started(pod, container)) from None
    return _log_chunks(first, batches, timestamps=timestamps, limit=limit, cut_after=faults.log_cut_point(),
                       end_after=faults.log_end_point(), faults=faults, alive=alive)


CHUNK_BYTES = 256 * 1024
"""Lines available together are sent in chunks of about this size: a chunk (a system call) per line made the
sandbox, not the client, the bottleneck of log-capture benchmarks."""
STAMP_BYTES = len("2026-11-25T00:11:46.123456789Z \n")


def _log_chunks(
    first: list[Line] | None, rest: Iterator[list[Line]], *, timestamps: bool, limit: int | None,
    cut_after: int | None, end_after: int | None, faults: Faults, alive: Callable[[], bool],
) -> Iterator[bytes]:
    if first is None:
        return
    if limit is None and cut_after is None and end_after is None:
        yield from _whole_chunks(first, rest, timestamps=timestamps, alive=alive)
        return
    sent_lines = sent_bytes = 0
    batch: list[Line] | None = first
    while batch is not None:
        parts: list[bytes] = []
        for stamp, text in batch:
            if cut_after is not None and sent_lines >= cut_after:
                if parts:
                    yield b"".join(parts)
                faults.cuts += 1
                raise CutStream()
            if end_after is not None and sent_lines >= end_after:
                if parts:
                    yield b"".join(parts)
                faults.ends += 1
                return  # a clean end: the server sends the last chunk, as an idle timeout in a proxy would
            data = (f"{stamp} {text}\n" if timestamps else f"{text}\n").encode()
            if limit is not None and sent_bytes + len(data) >= limit:
                parts.append(data[: limit - sent_bytes])
                yield b"".join(parts)
                return
            sent_lines += 1
            sent_bytes += len(data)
            parts.append(data)
        if parts:
            yield b"".join(parts)
        if not alive():
            return
        batch = next(rest, None)


def _whole_chunks(
    first: list[Line], rest: Iterator[list[Line]], *, timestamps: bool, alive: Callable[[], bool]
) -> Iterator[bytes]:
    """No byte limit and no injected cut: the lines available together go out in chunks of about CHUNK_BYTES,
    each joined and encoded in one call."""
    batch: list[Line] | None = first
    while batch is not None:
        start = size = 0
        for index, (_stamp, text) in enumerate(batch):
            size += len(text) + STAMP_BYTES
            if size >= CHUNK_BYTES or index == len(batch) - 1:
                piece = batch[start : index + 1]
                joined = "\n".join(map(" ".join, piece) if timestamps else map(itemgetter(1), piece))
                yield (joined + "\n").encode()
                start, size = index + 1, 0
                if not alive():
                    return
        batch = next(rest, None)
