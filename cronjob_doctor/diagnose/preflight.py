"""Permission preflight: ask the API server (SelfSubjectAccessReview) before creating anything, and name every
missing verb at once instead of failing halfway through a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronjob_doctor.errors import Forbidden

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube


@dataclass(frozen=True)
class Permission:
    verb: str
    resource: str
    group: str = ""
    subresource: str = ""
    required: bool = True

    def __str__(self) -> str:
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {resource}" + (f" ({self.group})" if self.group else "")


DIAGNOSE = (
    Permission("create", "jobs", "batch"),
    Permission("get", "jobs", "batch"),
    Permission("list", "jobs", "batch"),
    Permission("watch", "jobs", "batch"),
    Permission("delete", "jobs", "batch"),
    Permission("list", "pods"),
    Permission("watch", "pods"),
    Permission("get", "pods", subresource="log"),
    Permission("list", "events"),
    Permission("watch", "events"),
    # the lock and heartbeat of a running diagnose (diagnose/lock.py), and the orphans it tells apart
    Permission("create", "leases", "coordination.k8s.io"),
    Permission("get", "leases", "coordination.k8s.io"),
    Permission("list", "leases", "coordination.k8s.io"),
    Permission("update", "leases", "coordination.k8s.io"),
    Permission("delete", "leases", "coordination.k8s.io"),
    Permission("list", "networkpolicies", "networking.k8s.io", required=False),
)


def check(kube: Kube, namespace: str, permissions: tuple[Permission, ...] = DIAGNOSE) -> list[Permission]:
    """Raise Forbidden naming every missing required permission; return the optional ones that are missing."""
    missing = [
        p
        for p in permissions
        if not kube.can_i(namespace, p.verb, p.resource, group=p.group, subresource=p.subresource)
    ]
    required = [p for p in missing if p.required]
    if required:
        raise Forbidden(
            f"forbidden: missing permissions in namespace {namespace}: " + ", ".join(str(p) for p in required),
            hint="nothing was created; see README, Permissions (examples/rbac.yaml has the Role)",
        )
    return [p for p in missing if not p.required]
