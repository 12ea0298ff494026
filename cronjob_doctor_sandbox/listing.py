"""List responses: selectors, `limit`/`continue` pagination and the Table form kubectl asks for.

The continue token is opaque to clients (base64 JSON of the list's resourceVersion and the last key served),
as on a real server; a malformed one is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from .routes import Route
from .selectors import fields_match, labels_match, parse_fields, parse_labels
from .status import ApiError, parse_resource_version
from .store import Store
from .tables import table as render_table

Obj = dict[str, Any]


def object_filter(route: Route, query: dict[str, str]) -> Callable[[Obj], bool]:
    """A predicate for stored objects from labelSelector and fieldSelector (parsed now, so errors are 400s)."""
    labels = parse_labels(query.get("labelSelector"))
    fields = parse_fields(query.get("fieldSelector"), route.resource.group, route.resource.plural)
    return lambda obj: labels_match(labels, obj) and fields_match(fields, obj)


def _encode(rv: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise ApiError(400, "continue key is not valid: invalid continue token") from None


def list_objects(store: Store, route: Route, query: dict[str, str], served: Callable[[Any, Obj], Obj], *,
                 table: bool = False) -> Obj:
    """An XList (or a Table) of the objects the query selects, one page of it when `limit` is given."""
    resource = route.resource
    if query.get("resourceVersion"):
        try:
            parse_resource_version(query["resourceVersion"])
        except ValueError as error:
            raise ApiError(400, f"invalid resource version: {error}") from None
    matches = object_filter(route, query)
    after: tuple[str, str] | None = None
    continued_rv: int | None = None
    if query.get("continue"):
        continued_rv, after = _decode(query["continue"])
    limit = int(query.get("limit") or 0)
    selective = bool(query.get("labelSelector") or query.get("fieldSelector"))
    selected, remaining, rv = store.select(resource.store_key, route.namespace or None,
                                           where=matches if selective else None, after=after, limit=limit)
    if continued_rv is not None:
        rv = continued_rv
    metadata: Obj = {"resourceVersion": str(rv)}
    if remaining:
        last = selected[-1]["metadata"]
        metadata["continue"] = _encode(rv, (last.get("namespace", ""), last["name"]))
        if not query.get("labelSelector") and not query.get("fieldSelector"):
            # With selectors the server cannot know how many remain, so it leaves the field unset
            metadata["remainingItemCount"] = remaining
    rendered = [served(resource, obj) for obj in selected]
    if table:
        return _table(resource.kind, rendered, metadata, query.get("includeObject", "Metadata"))
    return {"kind": f"{resource.kind}List", "apiVersion": resource.api_version, "metadata": metadata,
            "items": [{k: v for k, v in obj.items() if k not in ("kind", "apiVersion")} for obj in rendered]}


def _table(kind: str, items: list[Obj], metadata: Obj, include: str) -> Obj:
    return render_table(kind, items, metadata, include_object=include)
