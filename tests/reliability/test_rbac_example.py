"""examples/rbac.yaml grants what diagnose's preflight asks for, and no write but the debug Job's create and
delete and the diagnose Lease's create, update and delete (the tool writes to nothing it did not create)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cronjob_doctor.diagnose import preflight

EXAMPLE = Path(__file__).parents[2] / "examples" / "rbac.yaml"


def rules(kind: str) -> list[dict[str, Any]]:
    (role,) = [d for d in yaml.safe_load_all(EXAMPLE.read_text()) if d["kind"] == kind]
    return list(role["rules"])


def allowed(role_rules: list[dict[str, Any]], verb: str, group: str, resource: str) -> bool:
    return any(verb in r["verbs"] and group in r["apiGroups"] and resource in r["resources"] for r in role_rules)


def test_the_role_covers_every_permission_the_preflight_checks() -> None:
    role = rules("Role")
    for permission in preflight.DIAGNOSE:
        resource = f"{permission.resource}/{permission.subresource}" if permission.subresource else permission.resource
        assert allowed(role, permission.verb, permission.group, resource), str(permission)
    assert allowed(role, "get", "", "secrets"), "optional, for redaction by value"


def test_the_only_writes_granted_are_the_debug_jobs_and_the_lock() -> None:
    writes = {"create", "update", "patch", "delete", "deletecollection", "*"}
    allowed_writes = {("batch", "jobs"): {"create", "delete"},
                      ("coordination.k8s.io", "leases"): {"create", "update", "delete"}}
    for kind in ("Role", "ClusterRole"):
        for rule in rules(kind):
            granted = writes & set(rule["verbs"])
            if not granted:
                continue
            assert len(rule["resources"]) == 1 and len(rule["apiGroups"]) == 1, rule
            assert granted == allowed_writes.get((rule["apiGroups"][0], rule["resources"][0])), rule
    cluster_wide = rules("ClusterRole")
    assert not any(writes & set(rule["verbs"]) for rule in cluster_wide), "all-namespaces access stays read-only"


def test_the_read_only_roles_can_tell_orphans_from_running_diagnoses() -> None:
    for kind in ("Role", "ClusterRole"):
        assert allowed(rules(kind), "list", "coordination.k8s.io", "leases"), kind
