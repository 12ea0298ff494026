"""Label and field selectors with the API server's grammar, supported fields and error messages.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, `k>1`, `k<1`, parsed by a port of
apimachinery's lexer and parser, so a bad one gets the real 400 message. Field selectors: `=`, `==`, `!=` on the
fields each resource supports; anything else is a 400, as on a real server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .status import ApiError, bad_request

Obj = dict[str, Any]

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_NAME = re.compile(f"^{_LABEL_KEY_FMT}$")
_LABEL_VALUE = re.compile(f"^({_LABEL_KEY_FMT})?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KEY_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError, double spaces and all."""
    listed = "".join((" or " if i else "") + f"'{example}', " for i, example in enumerate(examples))
    return f"{message} (e.g. {listed}regex used for validation is '{fmt}')"


def _label_key_errors(key: str) -> list[str]:
    """content.IsLabelKey."""
    errors: list[str] = []
    parts = key.split("/")
    if len(parts) > 2:
        return ["a valid label key " + _regex_error(_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("prefix part must be non-empty")
        elif len(prefix) > 253 or not _SUBDOMAIN.match(prefix):
            if len(prefix) > 253:
                errors.append("prefix part must be no more than 253 characters")
            if not _SUBDOMAIN.match(prefix):
                errors.append("prefix part " + _regex_error(
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", "example.com"))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _LABEL_NAME.match(name):
        errors.append("name part " + _regex_error(_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc"))
    return errors


def _label_value_errors(value: str) -> list[str]:
    """content.IsLabelValue."""
    errors = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not _LABEL_VALUE.match(value):
        errors.append(_regex_error("a valid label must be an empty string or consist of alphanumeric characters, "
                                   "'-', '_' or '.', and must start and end with an alphanumeric character",
                                   f"({_LABEL_KEY_FMT})?", "MyValue", "my_value", "12345"))
    return errors


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


# -- the label selector parser of k8s.io/apimachinery/pkg/labels, ported with its error messages -------------

_TOKENS = {")": "closed", ",": "comma", "!": "not", "==": "==", "=": "=", ">": ">", "in": "in", "<": "<",
           "!=": "!=", "notin": "notin", "(": "open"}
_SPECIAL = set("=!(),><")
_WHITESPACE = set(" \t\r\n")
_BINARY = "in, notin, =, ==, !=, gt, lt"


def _lex(text: str) -> list[tuple[str, str]]:
    """(token, literal) pairs up to ("end", ""): identifiers are ("id", name)."""
    items: list[tuple[str, str]] = []
    pos = 0
    while True:
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= len(text):
            items.append(("end", ""))
            return items
        if text[pos] in _SPECIAL:
            buffer, last, last_pos = "", None, pos
            while pos < len(text) and text[pos] in _SPECIAL:
                buffer += text[pos]
                pos += 1
                if buffer in _TOKENS:
                    last, last_pos = (_TOKENS[buffer], buffer), pos
                elif last is not None:
                    pos = last_pos
                    break
            if last is None:
                items.append(("error", f"error expected: keyword found '{buffer}'"))
            else:
                items.append(last)
                pos = last_pos
            continue
        start = pos
        while pos < len(text) and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
            pos += 1
        word = text[start:pos]
        items.append((_TOKENS[word], word) if word in _TOKENS else ("id", word))


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def lookahead(self, values: bool = True) -> tuple[str, str]:
        token, literal = self.items[self.position]
        return ("id" if values and token in ("in", "notin") else token), literal

    def consume(self, values: bool = True) -> tuple[str, str]:
        found = self.lookahead(values)
        self.position += 1
        return found

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self.lookahead()
            if token in ("id", "not"):
                try:
                    requirements.append(self.requirement())
                except _SelectorError as error:
                    raise _SelectorError(f"unable to parse requirement: {error}") from None
                token, literal = self.consume()
                if token == "end":
                    return requirements
                if token != "comma":
                    raise _SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
                after, after_literal = self.lookahead()
                if after not in ("id", "not"):
                    raise _SelectorError(f"found '{after_literal}', expected: identifier after ','")
            elif token == "end":
                return requirements
            else:
                raise _SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")

    def requirement(self) -> Requirement:
        token, key = self.consume()
        negated = token == "not"
        if negated:
            token, key = self.consume()
        if token != "id":
            raise _SelectorError(f"found '{key}', expected: identifier")
        errors = _label_key_errors(key)
        if errors:
            raise _SelectorError(f'<nil>: Invalid value: "{key}": {"; ".join(errors)}')
        if self.lookahead()[0] in ("end", "comma") or negated:
            return Requirement(key, "!" if negated else "exists")
        token, literal = self.consume(values=False)
        op = {"in": "in", "notin": "notin", "=": "=", "==": "=", "!=": "!=", ">": "gt", "<": "lt"}.get(token)
        if op is None:
            raise _SelectorError(f"found '{literal}', expected: {_BINARY}")
        values = self.set_values() if op in ("in", "notin") else self.exact_value()
        return _new_requirement(key, op, sorted(values))

    def set_values(self) -> set[str]:
        token, literal = self.consume()
        if token != "open":
            raise _SelectorError(f"found '{literal}' expected: '('")
        token, literal = self.lookahead()
        if token in ("id", "comma"):
            values = self.identifiers()
            if self.consume()[0] != "closed":
                raise _SelectorError(f"found '{literal}', expected: ')'")
            return values
        if token == "closed":
            self.consume()
            return {""}
        raise _SelectorError(f"found '{literal}', expected: ',', ')' or identifier")

    def identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            token, literal = self.consume()
            if token == "id":
                values.add(literal)
                after, after_literal = self.lookahead()
                if after == "comma":
                    continue
                if after == "closed":
                    return values
                raise _SelectorError(f"found '{after_literal}', expected: ',' or ')'")
            if token == "comma":
                if not values:
                    values.add("")
                after = self.lookahead()[0]
                if after in ("closed", "comma"):
                    values.add("")
                if after == "closed":
                    return values
            else:
                raise _SelectorError(f"found '{literal}', expected: ',', or identifier")

    def exact_value(self) -> set[str]:
        if self.lookahead()[0] in ("end", "comma"):
            return {""}
        token, literal = self.consume()
        if token == "id":
            return {literal}
        raise _SelectorError(f"found '{literal}', expected: identifier")


class _SelectorError(Exception):
    pass


def _new_requirement(key: str, op: str, values: list[str]) -> Requirement:
    """labels.NewRequirement: its value checks, aggregated as apimachinery does ([a, b] for several)."""
    errors = []
    if op in ("gt", "lt"):
        errors += [f'values[{i}]: Invalid value: "{v}": for \'Gt\', \'Lt\' operators, the value must be an integer'
                   for i, v in enumerate(values) if not re.fullmatch(r"[+-]?\d+", v)]
    for i, value in enumerate(values):
        problems = _label_value_errors(value)
        if problems:
            errors.append(f'values[{i}][{key}]: Invalid value: "{value}": {"; ".join(problems)}')
    if errors:
        raise _SelectorError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return Requirement(key, op, tuple(values))


def parse_labels(text: str | None) -> list[Requirement]:
    """Parse a labelSelector query value as labels.Parse does; an empty or missing one selects everything."""
    if not text:
        return []
    try:
        return _LabelParser(text).parse()
    except _SelectorError as error:
        raise bad_request(str(error)) from None


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

_EVENTS_V1 = {"reason": _path("reason"), "type": _path("type"), "reportingController": _path("reportingComponent"),
              **_COMMON, **{f"regarding.{k[len('involvedObject.'):]}": f for k, f in _INVOLVED.items()}}

FIELDS: dict[tuple[str, str], dict[str, Callable[[Obj], str]]] = {
    ("", "pods"): {**_COMMON, "spec.nodeName": _path("spec", "nodeName"),
                   "spec.host": _path("spec", "nodeName"),  # the old spelling, converted
                   "spec.restartPolicy": _path("spec", "restartPolicy"),
                   "spec.schedulerName": _path("spec", "schedulerName"),
                   "spec.serviceAccountName": _path("spec", "serviceAccountName"),
                   "spec.hostNetwork": _path("spec", "hostNetwork"),
                   "status.phase": _path("status", "phase"), "status.podIP": _path("status", "podIP"),
                   "status.podIPs": lambda obj: "",  # accepted, but no pod has it as a selectable field
                   "status.nominatedNodeName": _path("status", "nominatedNodeName")},
    ("", "events"): _CORE_EVENT,
    # events.k8s.io is a view over core events, selectable by its own field names only
    ("events.k8s.io", "events"): _EVENTS_V1,
    ("", "namespaces"): {"metadata.name": _path("metadata", "name"), "status.phase": _path("status", "phase")},
    ("", "nodes"): {"metadata.name": _path("metadata", "name"),
                    "spec.unschedulable": _path("spec", "unschedulable")},
    ("", "secrets"): {**_COMMON, "type": _path("type")},
    ("batch", "jobs"): {**_COMMON, "status.successful": _path("status", "succeeded")},
}


def _unsupported(name: str, group: str, plural: str) -> str:
    """The message of the resource's field label conversion function (the scheme's default when it has none)."""
    if (group, plural) == ("batch", "jobs"):
        return f'field label "{name}" not supported for Job'
    if (group, plural) in FIELDS:
        return f"field label not supported: {name}"
    return f'"{name}" is not a known field selector: only "metadata.name", "metadata.namespace"'


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
            raise ApiError(400, _unsupported(name, group, plural))
        value = re.sub(r"\\(.)", r"\1", value)
        requirements.append(FieldRequirement(name, op != "!=", value, supported[name]))
    return requirements


def fields_match(requirements: list[FieldRequirement], obj: Obj) -> bool:
    return all(r.matches(obj) for r in requirements)
