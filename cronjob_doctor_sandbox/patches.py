"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge (served as a merge patch) and JSON patch (RFC 6902).

Strategic merge's list-merge-by-key is not modelled: lists are replaced, which is what our own tool and the
kubectl commands we test send. Pure functions on dicts.
"""

from __future__ import annotations

import copy
from typing import Any

from .status import ApiError

MERGE_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")
JSON_PATCH = "application/json-patch+json"


def merge(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # strategic-merge directives ($patch, $retainKeys, ...)
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, f"json patch path {path!r} must start with '/'")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, f"json patch: path /{'/'.join(parts)} does not exist") from None
    return node, parts[-1]


def _get(doc: Any, parts: list[str]) -> Any:
    node, last = _parent(doc, parts)
    try:
        return node[int(last)] if isinstance(node, list) else node[last]
    except (KeyError, IndexError, ValueError, TypeError):
        raise ApiError(422, f"json patch: path /{'/'.join(parts)} does not exist") from None


def _add(doc: Any, parts: list[str], value: Any) -> None:
    node, last = _parent(doc, parts)
    if isinstance(node, list):
        node.insert(len(node) if last == "-" else int(last), value)
    else:
        node[last] = value


def _remove(doc: Any, parts: list[str]) -> Any:
    value = _get(doc, parts)
    node, last = _parent(doc, parts)
    if isinstance(node, list):
        del node[int(last)]
    else:
        del node[last]
    return value


def json_patch(doc: Any, operations: Any) -> Any:
    """Apply RFC 6902 operations to a copy of `doc`; a failed `test` is a 422 like the real server's."""
    if not isinstance(operations, list):
        raise ApiError(400, "json patch body must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in operations:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        if kind == "add":
            _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, parts)
        elif kind == "replace":
            _remove(doc, parts)
            _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "move":
            _add(doc, parts, _remove(doc, _pointer(op["from"])))
        elif kind == "copy":
            _add(doc, parts, copy.deepcopy(_get(doc, _pointer(op["from"]))))
        elif kind == "test":
            if _get(doc, parts) != op.get("value"):
                raise ApiError(422, f"the server rejected our request due to an error in our request: "
                                    f"testing value /{'/'.join(parts)} failed")
        else:
            raise ApiError(400, f"json patch: unexpected operation {kind!r}")
    return doc
