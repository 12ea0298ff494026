"""Label and field selectors with the API server's grammar, supported fields and error messages.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`. Field selectors:
`=`, `==`, `!=` on the fields each resource supports; anything else is a 400, as on a real server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .status import ApiError, bad_request

Obj = dict[str, Any]

_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        try:
            number, bound = int(value or ""), int(self.values[0])
        except ValueError:
            return False
        return number > bound if self.op == "gt" else number < bound


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise bad_request(f"unable to parse requirement: found unbalanced parentheses in {text!r}")
    terms.append(current)
    return terms


def _check_key(key: str) -> str:
    if not key or not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise bad_request(
            f'unable to parse requirement: <nil>: Invalid value: "{key}": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        )
    return key


def _check_value(value: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise bad_request(
            f'unable to parse requirement: values[0][value]: Invalid value: "{value}": a valid label must be an '
            "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
            "an alphanumeric character"
        )
    return value


_SET = re.compile(r"^\s*(\S+)\s+(in|notin)\s*\((.*)\)\s*$")
_CMP = re.compile(r"^\s*([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)\s*$")


def parse_labels(text: str | None) -> list[Requirement]:
    """Parse a labelSelector query value; an empty or missing one selects everything."""
    if not text or not text.strip():
        return []
    requirements = []
    for term in _split_terms(text):
        term = term.strip()
        if not term:
            raise bad_request(f"found '', expected: !, identifier, or 'end of string' in {text!r}")
        if match := _SET.match(term):
            values = tuple(_check_value(v.strip()) for v in match.group(3).split(",") if v.strip())
            requirements.append(Requirement(_check_key(match.group(1)), match.group(2), values))
        elif match := _CMP.match(term):
            key, op, value = match.groups()
            op = {"==": "=", ">": "gt", "<": "lt"}.get(op, op)
            if op in ("gt", "lt") and not value.lstrip("-").isdigit():
                raise bad_request(f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be "
                                  f"an integer: {value!r}")
            requirements.append(Requirement(_check_key(key), op, (_check_value(value),)))
        elif term.startswith("!"):
            requirements.append(Requirement(_check_key(term[1:].strip()), "!"))
        elif " " not in term:
            requirements.append(Requirement(_check_key(term), "exists"))
        else:
            raise bad_request(f"unable to parse requirement: found unexpected token in {term!r}")
    return requirements


def labels_match(requirements: list[Requirement], obj: Obj) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(r.matches(labels) for r in requirements)


def _path(*keys: str) -> Callable[[Obj], str]:
    def read(obj: Obj) -> str:
        value: Any = obj
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    return read


_COMMON = {"metadata.name": _path("metadata", "name"), "metadata.namespace": _path("metadata", "namespace")}
_INVOLVED = {f"involvedObject.{k}": _path("involvedObject", k)
             for k in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")}
_CORE_EVENT = {**_COMMON, **_INVOLVED, "reason": _path("reason"), "type": _path("type"),
               "source": _path("source", "component"), "reportingComponent": _path("reportingComponent")}

FIELDS: dict[tuple[str, str], dict[str, Callable[[Obj], str]]] = {
    ("", "pods"): {**_COMMON, "spec.nodeName": _path("spec", "nodeName"),
                   "spec.restartPolicy": _path("spec", "restartPolicy"),
                   "spec.schedulerName": _path("spec", "schedulerName"),
                   "spec.serviceAccountName": _path("spec", "serviceAccountName"),
                   "spec.hostNetwork": _path("spec", "hostNetwork"),
                   "status.phase": _path("status", "phase"), "status.podIP": _path("status", "podIP"),
                   "status.nominatedNodeName": _path("status", "nominatedNodeName")},
    ("", "events"): _CORE_EVENT,
    # events.k8s.io is a view over core events: its field names are the core ones, plus the new spellings
    ("events.k8s.io", "events"): {**_CORE_EVENT, **{f"regarding.{k[len('involvedObject.'):]}": f
                                                    for k, f in _INVOLVED.items()},
                                  "reportingController": _path("reportingComponent")},
    ("", "namespaces"): {"metadata.name": _path("metadata", "name"), "status.phase": _path("status", "phase")},
    ("", "nodes"): {"metadata.name": _path("metadata", "name"),
                    "spec.unschedulable": _path("spec", "unschedulable")},
    ("", "secrets"): {**_COMMON, "type": _path("type")},
    ("batch", "jobs"): {**_COMMON, "status.successful": _path("status", "succeeded")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str
    read: Callable[[Obj], str]

    def matches(self, obj: Obj) -> bool:
        return (self.read(obj) == self.value) == self.equal


def parse_fields(text: str | None, group: str, plural: str) -> list[FieldRequirement]:
    """Parse a fieldSelector for one resource; unsupported fields are a 400 as on the real server."""
    if not text or not text.strip():
        return []
    supported = FIELDS.get((group, plural), _COMMON)
    requirements = []
    for term in re.split(r"(?<!\\),", text):
        match = re.match(r"^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, value = match.groups()
        if name not in supported:
            raise ApiError(400, f'field label not supported: {name}')
        value = re.sub(r"\\(.)", r"\1", value)
        requirements.append(FieldRequirement(name, op != "!=", value, supported[name]))
    return requirements


def fields_match(requirements: list[FieldRequirement], obj: Obj) -> bool:
    return all(r.matches(obj) for r in requirements)
