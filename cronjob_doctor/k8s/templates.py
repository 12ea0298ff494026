"""The pod template of a CronJob, a Job or a Pod, its containers and their memory limits.

A CronJob holds it at spec.jobTemplate.spec.template.spec, a Job at spec.template.spec, a Pod at spec. Pure and
tolerant of odd shapes.
"""

from __future__ import annotations

from typing import Any

from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.objects import Obj, as_dict, as_dicts
from cronjob_doctor.k8s.quantity import parse_bytes


def pod_spec(obj: Any) -> Obj:
    """The pod spec of a CronJob, Job or Pod (by kind; by shape when the kind is missing), else {}."""
    obj = as_dict(obj)
    spec = as_dict(obj.get("spec"))
    kind = obj.get("kind")
    if kind == "CronJob" or (kind is None and "jobTemplate" in spec):
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    if kind in ("CronJob", "Job") or "template" in spec:
        spec = as_dict(as_dict(spec.get("template")).get("spec"))
    return spec


def containers(spec: Any, *, init: bool = True) -> list[Obj]:
    """The containers of a pod spec, init containers first when asked (they run first)."""
    spec = as_dict(spec)
    found = as_dicts(spec.get("initContainers")) if init else []
    return found + as_dicts(spec.get("containers"))


def container_named(spec: Any, name: str | None) -> Obj | None:
    """The (init) container of that name, or the first app container when no name is given."""
    if name is None:
        return next(iter(as_dicts(as_dict(spec).get("containers"))), None)
    return next((item for item in containers(spec) if item.get("name") == name), None)


def memory_limit(container: Any) -> str | None:
    """resources.limits.memory as written, None when unset."""
    return _memory(container, "limits")


def memory_request(container: Any) -> str | None:
    """resources.requests.memory as written, None when unset."""
    return _memory(container, "requests")


def _memory(container: Any, kind: str) -> str | None:
    value = as_dict(as_dict(as_dict(container).get("resources")).get(kind)).get("memory")
    return str(value) if value is not None else None


def memory_limit_bytes(container: Any) -> int | None:
    """The memory limit in bytes, None when unset or not a quantity."""
    limit = memory_limit(container)
    if limit is None:
        return None
    try:
        return parse_bytes(limit)
    except InputError:
        return None
