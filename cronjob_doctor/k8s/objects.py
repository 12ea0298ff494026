"""What every API object carries: metadata (name, namespace, uid, labels, annotations, owners, creation time).

Pure and tolerant: an object of an unexpected shape (a proxy, an old server, a hand-written dump) reads as
empty, never as a crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cronjob_doctor.k8s.time import parse_time

Obj = dict[str, Any]


def as_dict(value: Any) -> Obj:
    """`value` when it is a dict, else {}."""
    return value if isinstance(value, dict) else {}


def as_dicts(value: Any) -> list[Obj]:
    """The dict items of `value` when it is a list, else []."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def meta(obj: Any) -> Obj:
    return as_dict(as_dict(obj).get("metadata"))


def spec(obj: Any) -> Obj:
    return as_dict(as_dict(obj).get("spec"))


def status(obj: Any) -> Obj:
    return as_dict(as_dict(obj).get("status"))


def name_of(obj: Any) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Any) -> str:
    return str(meta(obj).get("namespace") or "")


def uid_of(obj: Any) -> str:
    return str(meta(obj).get("uid") or "")


def labels_of(obj: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(meta(obj).get("labels")).items()}


def annotations_of(obj: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(meta(obj).get("annotations")).items()}


def created_time(obj: Any) -> datetime | None:
    return parse_time(meta(obj).get("creationTimestamp"))


def owner_references(obj: Any) -> list[Obj]:
    return as_dicts(meta(obj).get("ownerReferences"))


def owned_by(obj: Any, uid: str) -> bool:
    """Whether any ownerReference of `obj` names the object with this uid."""
    return bool(uid) and any(ref.get("uid") == uid for ref in owner_references(obj))


def controller_of(obj: Any) -> Obj | None:
    """The ownerReference with `controller: true` (the object that manages this one), if any."""
    return next((ref for ref in owner_references(obj) if ref.get("controller")), None)


def owner_named(obj: Any, kind: str) -> str | None:
    """The name of the first owner of `kind` (a Job's CronJob, a Pod's Job), preferring the controller."""
    refs = sorted(owner_references(obj), key=lambda ref: not ref.get("controller"))
    return next((str(ref["name"]) for ref in refs if ref.get("kind") == kind and ref.get("name")), None)


def int_field(value: Any) -> int | None:
    """An integer field (not a bool, which JSON also allows where a number is expected)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
