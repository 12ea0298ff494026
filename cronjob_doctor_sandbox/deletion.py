"""The rules of a DELETE, as the generic registry applies them (k8s.io/apiserver registry/rest/delete.go and
registry/generic/registry/store.go): DeleteOptions and their validation, preconditions, the garbage collector's
finalizers (`orphan`, `foregroundDeletion`), a pod's grace period, and what the answer looks like.

Pure functions on dicts; handlers.py applies them to the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .routes import Resource
from .status import ApiError, invalid, qualified

Obj = dict[str, Any]

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
POLICIES = ("Foreground", "Background", "Orphan")
JOB_WARNING = ('299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to '
               'remove them or set propagationPolicy=Orphan to suppress this warning"')
"""The Warning header of a Job DELETE that names no policy (job/storage: batch/v1 Jobs orphan their pods)."""


@dataclass
class Options:
    """The DeleteOptions of a request: the body's, else the query's."""

    policy: str | None = None
    orphan: bool | None = None
    grace: int | None = None
    dry_run: bool = False
    preconditions: Obj = field(default_factory=dict)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    return {"true": True, "1": True, "false": False, "0": False}.get(str(value))


def options(body: Obj, query: dict[str, str]) -> Options:
    """DeleteOptions from the body and the query, validated (422 Invalid, as ValidateDeleteOptions words it)."""
    grace = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
    parsed = Options(
        policy=body.get("propagationPolicy") or query.get("propagationPolicy"),
        orphan=_flag(body.get("orphanDependents", query.get("orphanDependents"))),
        grace=int(grace) if grace is not None and str(grace).lstrip("-").isdigit() else None,
        dry_run=query.get("dryRun") == "All" or body.get("dryRun") == ["All"],
        preconditions=body.get("preconditions") or {},
    )
    if parsed.policy is not None and parsed.policy not in POLICIES:
        raise invalid("DeleteOptions", "meta.k8s.io", "", [{
            "reason": "FieldValueNotSupported", "field": "propagationPolicy",
            "message": f'Unsupported value: "{parsed.policy}": supported values: "Foreground", "Background", '
                       '"Orphan", "nil"'}])
    return parsed


def check_preconditions(resource: Resource, obj: Obj, preconditions: Obj) -> None:
    """409 Conflict when a precondition names another uid or resourceVersion (rest.BeforeDelete's words; a
    Namespace's own Delete words them otherwise)."""
    meta = obj["metadata"]
    name, uid, version = meta["name"], meta.get("uid", ""), meta.get("resourceVersion", "")
    wanted_uid, wanted_version = preconditions.get("uid"), preconditions.get("resourceVersion")
    if resource.plural == "namespaces":
        subject, details = f'namespaces "{name}"', {"name": name, "kind": "namespaces"}
        if wanted_uid is not None and wanted_uid != uid:
            problem = f"Precondition failed: UID in precondition: {wanted_uid}, UID in object meta: {uid}"
        elif wanted_version is not None and wanted_version != version:
            problem = (f"Precondition failed: ResourceVersion in precondition: {wanted_version}, ResourceVersion "
                       f"in object meta: {version}")
        else:
            return
    else:
        # NewConflict(GroupResource{Group, Resource: the Kind}): "CronJob.batch", details.kind "CronJob"
        subject = f'{qualified(resource.kind, resource.group)} "{name}"'
        details = {"name": name, "group": resource.group, "kind": resource.kind} if resource.group else \
            {"name": name, "kind": resource.kind}
        if wanted_uid is not None and wanted_uid != uid:
            problem = (f"the UID in the precondition ({wanted_uid}) does not match the UID in record ({uid}). "
                       "The object might have been deleted and then recreated")
        elif wanted_version is not None and wanted_version != version:
            problem = (f"the ResourceVersion in the precondition ({wanted_version}) does not match the "
                       f"ResourceVersion in record ({version}). The object might have been modified")
        else:
            return
    raise ApiError(409, f"Operation cannot be fulfilled on {subject}: {problem}", reason="Conflict",
                   details=details)


def finalizers(resource: Resource, obj: Obj, opts: Options) -> list[str]:
    """The object's finalizers after the delete: deletionFinalizersForGarbageCollection. An explicit
    orphanDependents or policy decides, else a finalizer already there, else the resource's default (batch/v1
    Jobs orphan their pods, everything else deletes its dependents in the background)."""
    current = list(obj["metadata"].get("finalizers") or [])
    if opts.orphan is not None:
        orphan, foreground = opts.orphan, False
    elif opts.policy is not None:
        orphan, foreground = opts.policy == "Orphan", opts.policy == "Foreground"
    elif ORPHAN in current or FOREGROUND in current:
        orphan, foreground = ORPHAN in current, FOREGROUND in current and ORPHAN not in current
    else:
        orphan, foreground = (resource.group, resource.plural) == ("batch", "jobs"), False
    kept = [f for f in current if f not in (ORPHAN, FOREGROUND)]
    return kept + ([ORPHAN] if orphan else []) + ([FOREGROUND] if foreground else [])


def grace_period(resource: Resource, obj: Obj, opts: Options) -> int | None:
    """A pod's grace period (the pod strategy's CheckGracefulDelete); None for everything else (no graceful
    deletion)."""
    if (resource.group, resource.plural) != ("", "pods"):
        return None
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    period = opts.grace if opts.grace is not None else int(spec.get("terminationGracePeriodSeconds", 30))
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        period = 0  # not scheduled, or already terminated: at once
    return 1 if period < 0 else period


def mark(obj: Obj, *, grace: int, finalizers: list[str] | None, now: datetime | None = None) -> None:
    """Set deletionTimestamp (now + GRACE) and deletionGracePeriodSeconds on OBJ in place, and its finalizers."""
    moment = (now or datetime.now(timezone.utc)) + timedelta(seconds=grace)
    meta = obj["metadata"]
    meta["deletionTimestamp"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["deletionGracePeriodSeconds"] = grace
    if finalizers:
        meta["finalizers"] = finalizers
    else:
        meta.pop("finalizers", None)


def deleted_on_update(obj: Obj) -> bool:
    """An update that leaves a deleting object without finalizers and without grace deletes it
    (the generic store's shouldDeleteDuringUpdate)."""
    meta = obj.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") \
        and meta.get("deletionGracePeriodSeconds") in (0, None)
