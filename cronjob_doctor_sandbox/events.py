"""Recording core/v1 Events as the real components write them (kubelet, job-controller, cronjob-controller).

An event is keyed, like client-go's EventCorrelator, by involved object, reason and message: a repeat bumps
`count` and `lastTimestamp` of the stored event instead of creating a new one. This module only writes Events;
it never decides when something happened.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from .store import NotFoundError, Obj, Store, now_rfc3339

NODE_NAME = "sandbox-node-1"

_lock = threading.Lock()
_names: dict[tuple[int, str, str, str, str], str] = {}


def involved(obj: Obj, *, field_path: str | None = None) -> dict[str, Any]:
    """The involvedObject reference for `obj` (kind, apiVersion, namespace, name, uid, resourceVersion)."""
    meta = obj.get("metadata", {})
    ref: dict[str, Any] = {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "apiVersion": obj.get("apiVersion", "v1"),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if not ref["namespace"]:
        del ref["namespace"]
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def record(
    store: Store,
    obj: Obj,
    *,
    reason: str,
    message: str,
    component: str,
    type: str = "Normal",
    field_path: str | None = None,
    host: str | None = None,
) -> Obj:
    """Record (or count again) an event about `obj`, as `component` would through the events API."""
    ref = involved(obj, field_path=field_path)
    # Events about cluster-scoped objects (Nodes) live in the "default" namespace, as the kubelet writes them.
    namespace = ref.get("namespace") or "default"
    key = (id(store), namespace, ref["uid"] + (field_path or ""), reason, message)
    stamp = now_rfc3339()
    with _lock:
        name = _names.get(key)
    if name is not None:
        try:
            return store.mutate("events", namespace, name, lambda ev: _bump(ev, stamp))
        except NotFoundError:
            pass
    # client-go names events <object>.<hex unix nanoseconds>.
    name = f"{ref['name']}.{time.time_ns():x}"
    source: dict[str, str] = {"component": component}
    reporting_instance = ""
    if component == "kubelet":
        source["host"] = host or NODE_NAME
        reporting_instance = host or NODE_NAME
    event: Obj = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": ref,
        "reason": reason,
        "message": message,
        "source": source,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "type": type,
        "eventTime": None,
        "reportingComponent": component,
        "reportingInstance": reporting_instance,
    }
    created = store.create("events", event)
    with _lock:
        _names[key] = name
    return created


def _bump(event: Obj, stamp: str) -> None:
    event["count"] = int(event.get("count", 1)) + 1
    event["lastTimestamp"] = stamp
