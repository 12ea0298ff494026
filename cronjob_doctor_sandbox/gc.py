"""Garbage collection by ownerReference, with the Background propagation the API server uses by default.

Deleting an owner removes every object whose ownerReferences name the owner's uid (recursively: CronJob ->
Jobs -> Pods), and deleting a Namespace removes everything in it, as the namespace controller does. Deleted
pods take their container logs with them, as on a real node. This module never decides *whether* to delete an
owner; it only follows a deletion that already happened.
"""

from __future__ import annotations

from .logstore import LogStore
from .store import NotFoundError, Obj, Store

# Resources that can be dependents in the sandbox, owners first so a cascade walks downwards.
DEPENDENT_RESOURCES = ("cronjobs", "jobs", "pods", "secrets", "serviceaccounts", "networkpolicies", "events",
                       "leases")


def collect(store: Store, logs: LogStore, resource: str, obj: Obj) -> list[tuple[str, str, str]]:
    """Delete the dependents of `obj` (already deleted from `resource`); return (resource, ns, name) removed."""
    meta = obj.get("metadata", {})
    removed: list[tuple[str, str, str]] = []
    if resource == "pods":
        logs.forget_pod(meta.get("namespace", ""), meta.get("name", ""))
    if resource == "namespaces":
        # The namespace controller empties a deleted namespace; its objects go whatever their owners.
        for dependent_resource in DEPENDENT_RESOURCES:
            items, _ = store.list(dependent_resource, meta.get("name", ""))
            for item in items:
                removed.extend(_delete(store, logs, dependent_resource, item))
        return removed
    uid = meta.get("uid")
    if not uid:
        return removed
    namespace = meta.get("namespace") or None
    for dependent_resource in DEPENDENT_RESOURCES:
        items, _ = store.list(dependent_resource, namespace)
        for item in items:
            refs = item.get("metadata", {}).get("ownerReferences") or []
            if any(ref.get("uid") == uid for ref in refs):
                removed.extend(_delete(store, logs, dependent_resource, item))
    return removed


def sweep(store: Store, logs: LogStore) -> list[tuple[str, str, str]]:
    """Remove orphans: objects whose every ownerReference names an owner that no longer exists."""
    removed: list[tuple[str, str, str]] = []
    for resource in ("jobs", "pods"):
        items, _ = store.list(resource)
        for item in items:
            refs = item.get("metadata", {}).get("ownerReferences") or []
            if refs and not any(_owner_exists(store, item, ref) for ref in refs):
                removed.extend(_delete(store, logs, resource, item))
    return removed


def _owner_exists(store: Store, item: Obj, ref: Obj) -> bool:
    resource = {"CronJob": "cronjobs", "Job": "jobs", "Pod": "pods", "Node": "nodes"}.get(ref.get("kind", ""))
    if resource is None:
        return True  # an owner kind the sandbox does not serve: never collect on its account
    namespace = "" if resource == "nodes" else item["metadata"].get("namespace", "")
    owner = store.find(resource, namespace, ref.get("name", ""))
    return owner is not None and owner["metadata"].get("uid") == ref.get("uid")


def _delete(store: Store, logs: LogStore, resource: str, item: Obj) -> list[tuple[str, str, str]]:
    meta = item["metadata"]
    namespace, name = meta.get("namespace", ""), meta["name"]
    try:
        deleted = store.delete(resource, namespace, name)
    except NotFoundError:
        return []
    return [(resource, namespace, name), *collect(store, logs, resource, deleted)]
