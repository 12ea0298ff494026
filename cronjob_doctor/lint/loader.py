"""Read CronJobs and Jobs from YAML or JSON text: multi-document streams, `List` and `*List` kinds,
`kubectl get -o json|yaml` dumps, Helm and kustomize output. Other kinds are skipped.

Each workload remembers the line of every field path, so findings and SARIF results point at the line.
Malformed input raises InputError naming the file and line. This module reads text it is given; the caller
opens the files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import yaml

from cronjob_doctor.errors import InputError
from cronjob_doctor.lint.base import Workload

WORKLOAD_KINDS = ("CronJob", "Job")


def _lines(node: yaml.Node, prefix: str, out: dict[str, int], blocks: set[str]) -> None:
    """Record `path -> 1-based line` for every mapping key and sequence item under `node`, and which
    values are literal block scalars (`|`)."""
    out.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode) and node.style == "|":
        blocks.add(prefix)
        out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                path = f"{prefix}.{key.value}" if prefix else str(key.value)
                out[path] = key.start_mark.line + 1
                _lines(value, path, out, blocks)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            out[path] = item.start_mark.line + 1
            _lines(item, path, out, blocks)


def _documents(text: str, source: str) -> Iterator[tuple[Any, yaml.Node | None]]:
    """Each document as data, with its node tree (for line numbers)."""
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}",
                hint="check the file with: python -m json.tool " + source,
            ) from None
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            node = None  # valid JSON that YAML cannot read (tabs): no line numbers
        yield data, node
        return
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield loader.construct_document(node), node
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: malformed YAML: {problem}", hint="fix the YAML, e.g. check indentation") from None
    finally:
        loader.dispose()


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(v, yaml.Node):
                return v
    return None


def _owned_by_cronjob(obj: dict[str, Any]) -> bool:
    owners = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(isinstance(o, dict) and o.get("kind") == "CronJob" for o in owners)


def _objects(data: Any, node: yaml.Node | None, source: str) -> Iterator[tuple[dict[str, Any], yaml.Node | None]]:
    if isinstance(data, list):  # a bare JSON/YAML array of objects
        items = node.value if isinstance(node, yaml.SequenceNode) else [None] * len(data)
        for item, item_node in zip(data, items, strict=False):
            yield from _objects(item, item_node, source)
        return
    if not isinstance(data, dict):
        if data is None:
            return  # an empty document (Helm leaves them between `---`)
        raise InputError(f"{source}: a document is a {type(data).__name__}, not a Kubernetes object")
    kind = str(data.get("kind") or "")
    if kind == "List" or (kind.endswith("List") and isinstance(data.get("items"), list)):
        items_node = _child(node, "items")
        nodes = items_node.value if isinstance(items_node, yaml.SequenceNode) else [None] * len(data["items"])
        for item, item_node in zip(data.get("items") or [], nodes, strict=False):
            if isinstance(item, dict) and not item.get("kind") and kind.endswith("List") and kind != "List":
                item = {**item, "kind": kind[: -len("List")]}  # kubectl strips kind from typed list items
            yield from _objects(item, item_node, source)
        return
    yield data, node


def load_text(text: str, source: str) -> list[Workload]:
    """Every CronJob and Job in `text` (Jobs a CronJob owns are left out: their spec is its jobTemplate)."""
    found: list[Workload] = []
    for data, node in _documents(text, source):
        for obj, obj_node in _objects(data, node, source):
            if obj.get("kind") not in WORKLOAD_KINDS:
                continue
            if obj.get("kind") == "Job" and _owned_by_cronjob(obj):
                continue
            lines: dict[str, int] = {}
            blocks: set[str] = set()
            if obj_node is not None:
                _lines(obj_node, "", lines, blocks)
            found.append(Workload(obj=obj, source=source, lines=lines, literal_blocks=frozenset(blocks)))
    return found
