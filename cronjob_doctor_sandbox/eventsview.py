"""events.k8s.io/v1 Events as a view over the stored core/v1 Events, converted as the API server converts them.

The store holds one copy (core/v1, what controllers write); this module maps it to and from the newer shape
(regarding, note, reportingController, deprecated* fields). Pure functions.
"""

from __future__ import annotations

import copy
from typing import Any

Obj = dict[str, Any]


def to_events_v1(core: Obj) -> Obj:
    """core/v1 Event -> events.k8s.io/v1 Event, field for field as Convert_core_Event_To_v1_Event does: a legacy
    event (no eventTime, no reportingComponent) keeps eventTime null and has no reportingController."""
    out: Obj = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": copy.deepcopy(core["metadata"])}
    optional = {
        "series": core.get("series"),
        "reportingController": core.get("reportingComponent"),
        "reportingInstance": core.get("reportingInstance"),
        "action": core.get("action"),
        "reason": core.get("reason"),
        "related": core.get("related"),
        "note": core.get("message"),
        "type": core.get("type"),
        "deprecatedCount": core.get("count"),
    }
    always = {  # struct-typed or without omitempty: sent even when empty
        "eventTime": core.get("eventTime"),
        "regarding": core.get("involvedObject") or {},
        "deprecatedSource": core.get("source") or {},
        "deprecatedFirstTimestamp": core.get("firstTimestamp"),
        "deprecatedLastTimestamp": core.get("lastTimestamp"),
    }
    out.update({k: copy.deepcopy(v) for k, v in optional.items() if v not in (None, "", {}, 0)})
    out.update(copy.deepcopy(always))
    return out


def _micro(stamp: str | None) -> str | None:
    """RFC 3339 seconds -> the MicroTime form events.k8s.io uses (2026-03-21T02:00:00.000000Z)."""
    if not stamp:
        return None
    return stamp[:-1] + ".000000Z" if stamp.endswith("Z") and "." not in stamp else stamp


def to_core(event: Obj) -> Obj:
    """events.k8s.io/v1 Event -> core/v1 Event, for creates and updates through the new API."""
    out: Obj = {"kind": "Event", "apiVersion": "v1", "metadata": copy.deepcopy(event.get("metadata") or {})}
    fields = {
        "eventTime": event.get("eventTime"),
        "series": event.get("series"),
        "reportingComponent": event.get("reportingController"),
        "reportingInstance": event.get("reportingInstance"),
        "action": event.get("action"),
        "reason": event.get("reason"),
        "involvedObject": event.get("regarding") or {},
        "related": event.get("related"),
        "message": event.get("note"),
        "type": event.get("type"),
        "source": event.get("deprecatedSource") or {},
        "firstTimestamp": event.get("deprecatedFirstTimestamp"),
        "lastTimestamp": event.get("deprecatedLastTimestamp"),
        "count": event.get("deprecatedCount"),
    }
    out.update({k: copy.deepcopy(v) for k, v in fields.items() if v is not None})
    return out
