"""List-then-watch that never loses a change: resumes from the last resourceVersion after a drop or a
server-side timeout, and relists on 410 Gone, reporting what changed or vanished meanwhile.

Yields plain (type, object) pairs; it decides nothing about the objects and never writes to the cluster.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Generator, Iterator
from typing import Any

import orjson
from kubernetes.client.exceptions import ApiException

from cronjob_doctor.errors import Gone
from cronjob_doctor.kube.client import Kube, closing_on_stop, iter_lines, resource
from cronjob_doctor.kube.errors import Call, is_connection_error

Obj = dict[str, Any]

WATCH_WINDOW_SECONDS = 60
"""Server-side timeoutSeconds of each watch request. Each window is one request, so a run of an hour costs a
minute's worth per watch, not one every few seconds; a stalled connection is still noticed by the read
timeout a little after the window (a stream cut outright is noticed at once)."""


def _key(obj: Obj) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("uid") or f"{metadata.get('namespace')}/{metadata.get('name')}")


def _version(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class _Expired(Exception):
    """The watch's resourceVersion is too old (HTTP 410 or an ERROR event with code 410)."""


def watch(
    kube: Kube,
    kind: str,
    namespace: str | None,
    *,
    label_selector: str | None = None,
    field_selector: str | None = None,
    resource_version: str | None = None,
    timeout_seconds: float | None = None,
    stop: threading.Event | None = None,
) -> Generator[tuple[str, Obj], None, None]:
    """Yield (ADDED|MODIFIED|DELETED, object) for `kind` until `stop` is set or `timeout_seconds` pass.

    Without a resource_version it lists first and yields ADDED for each current object. Raises the mapped
    ClusterError when a failure persists beyond the retry policy."""
    res = resource(kind)
    path = res.path(namespace)
    call = Call("watch", kind, namespace)
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    known: dict[str, Obj] = {}
    version = resource_version or ""

    def stopped() -> bool:
        return (stop is not None and stop.is_set()) or (deadline is not None and time.monotonic() >= deadline)

    def relist() -> Iterator[tuple[str, Obj]]:
        nonlocal version
        items, version = kube.list_with_version(
            kind, namespace, label_selector=label_selector, field_selector=field_selector
        )
        current = {_key(item): item for item in items}
        for key, item in current.items():
            before = known.get(key)
            if before is None:
                yield "ADDED", item
            elif _version(before) != _version(item):
                yield "MODIFIED", item
        # objects deleted while we were not watching: their last known state, as a DELETED event
        for key in [k for k in known if k not in current]:
            yield "DELETED", known[key]
        known.clear()
        known.update(current)

    if resource_version is None:
        yield from relist()
    drops = 0
    while not stopped():
        window = WATCH_WINDOW_SECONDS
        if deadline is not None:
            window = max(1, min(window, int(deadline - time.monotonic() + 0.999)))
        params = [
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(window)),
        ]
        if version:
            params.append(("resourceVersion", version))
        if label_selector:
            params.append(("labelSelector", label_selector))
        if field_selector:
            params.append(("fieldSelector", field_selector))
        try:
            response = kube.open_stream(
                path, call=call, query=params, read_timeout=window + 10, accept="application/json"
            )
        except Gone:
            yield from relist()
            continue
        progressed = False
        try:
            with closing_on_stop(response, stop):
                for line in iter_lines(response):
                    if not line.strip():
                        continue
                    event = orjson.loads(line)
                    kind_of_event = str(event.get("type") or "")
                    obj: Obj = event.get("object") or {}
                    if kind_of_event == "ERROR":
                        if obj.get("code") == 410:
                            raise _Expired()
                        raise kube.fail(_status_exception(obj), call)
                    progressed = True
                    version = _version(obj) or version
                    if kind_of_event == "BOOKMARK":
                        continue
                    if kind_of_event == "DELETED":
                        known.pop(_key(obj), None)
                    else:
                        known[_key(obj)] = obj
                    yield kind_of_event, obj
                    if stopped():
                        return
        except _Expired:
            yield from relist()
            continue
        except Exception as exc:
            if stopped():
                return
            if not is_connection_error(exc):
                raise kube.fail(exc, call) from exc
            # a dropped stream resumes from the last version; give up when drops repeat with no progress
            drops = 0 if progressed else drops + 1
            if drops >= kube.retry_policy.attempts:
                raise kube.fail(exc, call) from exc
            continue
        if progressed:
            drops = 0


def _status_exception(status: Obj) -> ApiException:
    """An ERROR watch event's Status as the ApiException the mapper understands."""
    exc = ApiException(status=int(status.get("code") or 500), reason=str(status.get("reason") or "Error"))
    exc.body = json.dumps(status)
    return exc
