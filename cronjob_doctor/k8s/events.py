"""Events as either API group writes them: core/v1 (`involvedObject`, `message`, `count`) and events.k8s.io/v1
(`regarding`, `note`, `series.count`). Events expire after an hour by default: read them while they exist.

Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from cronjob_doctor.k8s.objects import Obj, as_dict, int_field, meta

NODE_REASONS = ("SystemOOM", "OOMKilling", "NodeNotReady", "Rebooted")
"""Node events that explain a pod's death: node-level OOM, a lost or rebooted node."""


def about(event: Any) -> Obj:
    """The object the event is about."""
    return as_dict(as_dict(event).get("involvedObject") or as_dict(event).get("regarding"))


def message(event: Any) -> str:
    event = as_dict(event)
    text = event.get("message") if event.get("message") is not None else event.get("note")
    return str(text or "")


def count(event: Any) -> int:
    """How often it happened: `count` (core/v1) or `series.count` (events.k8s.io/v1), at least 1."""
    event = as_dict(event)
    return int_field(event.get("count")) or int_field(as_dict(event.get("series")).get("count")) or 1


def when(event: Any) -> str:
    """The latest time the event carries, as written (sortable: RFC 3339 in UTC)."""
    event = as_dict(event)
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
               or meta(event).get("creationTimestamp") or "")


def since(event: Any) -> str:
    """The earliest time the event carries, as written: a repeated event spans firstTimestamp..lastTimestamp."""
    event = as_dict(event)
    return str(event.get("firstTimestamp") or event.get("eventTime") or event.get("lastTimestamp")
               or meta(event).get("creationTimestamp") or "")


def key(event: Any) -> str:
    """Identity across lists and watches: the uid, else namespace/name."""
    event_meta = meta(event)
    return str(event_meta.get("uid") or f"{event_meta.get('namespace')}/{event_meta.get('name')}")


def related(events: Iterable[Obj], names: set[str]) -> list[Obj]:
    """Events about any of the named objects (a Job and its pods)."""
    return [event for event in events if about(event).get("name") in names]


def merged(*groups: Iterable[Obj]) -> list[Obj]:
    """Events of several lists or watches, each once (later copies win: they count more repeats), by time."""
    unique = {key(event): event for group in groups for event in group}
    return sorted(unique.values(), key=when)


def event_list(events: Sequence[Obj]) -> Obj:
    """A v1 EventList, as `kubectl get events -o json` writes it (the bundle's events.json)."""
    return {"apiVersion": "v1", "kind": "EventList", "items": list(events)}
