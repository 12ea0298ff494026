"""The sandbox's object store: what etcd plus the watch cache are to a real API server.

One lock, one monotonically increasing resourceVersion shared by every resource (as etcd's revision), and a
bounded event history per store from which watches resume; a resourceVersion older than the history answers
410 Gone, as a real server does once its watch cache has moved on. Objects are the API's own JSON dicts;
everything handed out is a deep copy so callers can never mutate stored state behind the lock.
"""

from __future__ import annotations

import bisect
import builtins
import copy
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

Obj = dict[str, Any]


class StoreError(Exception):
    """Base of store failures; the server maps each to a Status object."""

    code = 500
    reason = "InternalError"


class NotFoundError(StoreError):
    code = 404
    reason = "NotFound"


class AlreadyExistsError(StoreError):
    code = 409
    reason = "AlreadyExists"


class ConflictError(StoreError):
    code = 409
    reason = "Conflict"


class GoneError(StoreError):
    code = 410
    reason = "Expired"


@dataclass(frozen=True)
class WatchEvent:
    """One change, as a watch stream sends it (`type` is ADDED, MODIFIED or DELETED)."""

    resource: str
    type: str
    object: Obj
    resource_version: int


def _page_copy(obj: Obj) -> Obj:
    """The copy a list page hands out: the top level and metadata are copied, deeper parts shared.

    Safe because a stored object is replaced, never changed in place (create/update store fresh copies), except
    the metadata of a deleted object; the server only sets kind/apiVersion on what it serves. copy.deepcopy of
    every listed object dominated the cost of serving large lists."""
    copied = dict(obj)
    if isinstance(copied.get("metadata"), dict):
        copied["metadata"] = dict(copied["metadata"])
    return copied


GENERATION = frozenset({"jobs", "cronjobs", "pods", "networkpolicies"})
"""Resources whose strategy keeps metadata.generation (set to 1 on create, bumped when the spec changes); the
others (namespaces, events, secrets, service accounts, nodes) have none."""


def _generational(resource: str, obj: Obj) -> Any:
    """The part of OBJ whose change bumps its generation: the spec, but for a pod's nodeName (the scheduler sets
    it through the binding subresource, which leaves the generation alone)."""
    spec = obj.get("spec")
    if resource == "pods" and isinstance(spec, dict) and "nodeName" in spec:
        return {k: v for k, v in spec.items() if k != "nodeName"}
    return spec


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Thread-safe in-memory objects keyed by resource (plural, e.g. "jobs"), namespace ("" if cluster-scoped)
    and name."""

    def __init__(self, *, history: int = 20000) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._rv = 0
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self._history: deque[WatchEvent] = deque(maxlen=history)
        self._listeners: list[Callable[[WatchEvent], None]] = []
        self._compacted = 0
        self.closed = False

    # -- reads -----------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        with self._cond:
            return self._rv

    def get(self, resource: str, namespace: str, name: str) -> Obj:
        with self._cond:
            obj = self._objects.get(resource, {}).get((namespace, name))
            if obj is None:
                raise NotFoundError(f"{resource} {namespace}/{name} not found")
            return copy.deepcopy(obj)

    def find(self, resource: str, namespace: str, name: str) -> Obj | None:
        with self._cond:
            obj = self._objects.get(resource, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, resource: str, namespace: str | None = None) -> tuple[list[Obj], int]:
        """All objects of a resource (in one namespace, or all when None), sorted by namespace/name as the
        real server returns them, with the resourceVersion the list is consistent at."""
        with self._cond:
            items = [
                copy.deepcopy(obj)
                for (ns, _name), obj in sorted(self._objects.get(resource, {}).items())
                if namespace is None or ns == namespace
            ]
            return items, self._rv

    def select(
        self,
        resource: str,
        namespace: str | None,
        *,
        where: Callable[[Obj], bool] | None = None,
        after: tuple[str, str] | None = None,
        limit: int = 0,
    ) -> tuple[builtins.list[Obj], int, int]:
        """One page of a list: (copies of the first `limit` objects past `after` that `where` accepts, how
        many more match, the resourceVersion). Only the page is copied (see `_page_copy`): copying every object
        for each page made a paginated list of n objects cost n * pages copies, the sandbox the bottleneck of
        `scan`. Callers must not change the returned objects below their top level and metadata.
        `where` (None: every object) sees the stored objects and must not change them."""
        with self._cond:
            bucket = self._objects.get(resource, {})
            keys = sorted(bucket)
            page: builtins.list[Obj] = []
            remaining = 0
            for key in keys[bisect.bisect_right(keys, after) if after is not None else 0:]:
                if namespace is not None and key[0] != namespace:
                    continue
                obj = bucket[key]
                if where is not None and not where(obj):
                    continue
                if limit <= 0 or len(page) < limit:
                    page.append(obj)
                else:
                    remaining += 1
            return [_page_copy(obj) for obj in page], remaining, self._rv

    def count(self, resource: str) -> int:
        with self._cond:
            return len(self._objects.get(resource, {}))

    # -- writes ----------------------------------------------------------------------------------------

    def create(self, resource: str, obj: Obj) -> Obj:
        """Store a new object, filling uid, resourceVersion, creationTimestamp and generation."""
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        namespace, name = meta.get("namespace", ""), meta["name"]
        with self._cond:
            bucket = self._objects.setdefault(resource, {})
            if (namespace, name) in bucket:
                raise AlreadyExistsError(f"{resource} {namespace}/{name} already exists")
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_rfc3339())
            if resource in GENERATION:
                meta.setdefault("generation", 1)
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            bucket[(namespace, name)] = obj
            self._emit(WatchEvent(resource, "ADDED", copy.deepcopy(obj), self._rv))
            return copy.deepcopy(obj)

    def update(self, resource: str, obj: Obj, *, check_version: bool = False) -> Obj:
        """Replace a stored object; with `check_version` a stale resourceVersion is a 409 Conflict."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        with self._cond:
            current = self._objects.get(resource, {}).get((namespace, name))
            if current is None:
                raise NotFoundError(f"{resource} {namespace}/{name} not found")
            if check_version and meta.get("resourceVersion") not in (None, current["metadata"]["resourceVersion"]):
                raise ConflictError(
                    f"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; "
                    "please apply your changes to the latest version and try again"
                )
            meta["uid"] = current["metadata"]["uid"]
            meta["creationTimestamp"] = current["metadata"]["creationTimestamp"]
            if resource in GENERATION:
                # bumped by a spec change (not by binding a pod to its node), and by the start of a deletion
                meta["generation"] = current["metadata"].get("generation", 1) + (
                    _generational(resource, obj) != _generational(resource, current)) + (
                    bool(meta.get("deletionTimestamp")) and not current["metadata"].get("deletionTimestamp"))
            else:
                meta.pop("generation", None)
            if obj == current:
                return copy.deepcopy(current)
            self._rv += 1
            meta["resourceVersion"] = str(self._rv)
            self._objects[resource][(namespace, name)] = obj
            self._emit(WatchEvent(resource, "MODIFIED", copy.deepcopy(obj), self._rv))
            return copy.deepcopy(obj)

    def mutate(self, resource: str, namespace: str, name: str, change: Callable[[Obj], None]) -> Obj:
        """Atomically apply `change` to a copy of the stored object and store the result (no event if equal)."""
        with self._cond:
            current = self.get(resource, namespace, name)
            change(current)
            return self.update(resource, current)

    def delete(self, resource: str, namespace: str, name: str) -> Obj:
        """Remove an object; the DELETED event carries its last state with a new resourceVersion."""
        with self._cond:
            bucket = self._objects.get(resource, {})
            obj = bucket.pop((namespace, name), None)
            if obj is None:
                raise NotFoundError(f"{resource} {namespace}/{name} not found")
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._emit(WatchEvent(resource, "DELETED", copy.deepcopy(obj), self._rv))
            return copy.deepcopy(obj)

    # -- watching --------------------------------------------------------------------------------------

    def events_since(self, resource: str, namespace: str | None, since: int) -> builtins.list[WatchEvent]:
        """Events of a resource after resourceVersion `since`; GoneError if the history no longer reaches back."""
        with self._cond:
            if self._history and since < self._history[0].resource_version - 1:
                raise GoneError(f"too old resource version: {since} ({self._history[0].resource_version - 1})")
            if since < self._compacted:
                raise GoneError(f"too old resource version: {since} ({self._compacted})")
            return [
                event
                for event in self._history
                if event.resource_version > since
                and event.resource == resource
                and (namespace is None or event.object["metadata"].get("namespace", "") == namespace)
            ]

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until the global resourceVersion passes `since` or `timeout` elapses; return the current one."""
        with self._cond:
            self._cond.wait_for(lambda: self._rv > since or self.closed, timeout=timeout)
            return self._rv

    def compact(self) -> None:
        """Forget all watch history, so any older resourceVersion answers 410 (fault injection, tests)."""
        with self._cond:
            self._history.clear()
            self._rv += 1
            self._compacted = self._rv

    def subscribe(self, listener: Callable[[WatchEvent], None]) -> None:
        """Call `listener` for every change, under the store lock (controllers must only enqueue work)."""
        with self._cond:
            self._listeners.append(listener)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _emit(self, event: WatchEvent) -> None:
        self._history.append(event)
        for listener in self._listeners:
            listener(event)
        self._cond.notify_all()

    def insert_many(self, resource: str, objects: Iterable[Obj]) -> int:
        """Bulk-insert objects (taking ownership of the dicts, no watch events) for seeding large clusters fast;
        watchers see them through a list, as objects that existed before their watch began."""
        count = 0
        with self._cond:
            bucket = self._objects.setdefault(resource, {})
            for obj in objects:
                meta = obj.setdefault("metadata", {})
                key = (meta.get("namespace", ""), meta["name"])
                if key in bucket:
                    raise AlreadyExistsError(f"{resource} {key[0]}/{key[1]} already exists")
                meta.setdefault("uid", str(uuid.uuid4()))
                meta.setdefault("creationTimestamp", now_rfc3339())
                if resource in GENERATION:
                    meta.setdefault("generation", 1)
                self._rv += 1
                meta["resourceVersion"] = str(self._rv)
                bucket[key] = obj
                count += 1
            self._cond.notify_all()
        return count

    def load(self, resource: str, objects: Iterable[Obj]) -> None:
        for obj in objects:
            self.create(resource, obj)
