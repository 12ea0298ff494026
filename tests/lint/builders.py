"""A clean CronJob (no finding at all) as a plain dict, and ways to spoil one field at a time."""

from __future__ import annotations

import copy
from typing import Any

from cronjob_doctor.lint.base import LintFinding, Workload
from cronjob_doctor.lint.flow import lint_workloads

CLEAN_SCRIPT = "set -eu\nkubectl get secrets -o yaml > /tmp/state.yaml\nmc cp /tmp/state.yaml backup/b/\n"


def container(**overrides: Any) -> dict[str, Any]:
    """A container that passes every check; keyword arguments replace its fields (None removes one)."""
    out: dict[str, Any] = {
        "name": "backup",
        "image": "registry.example/backup-tools:1.0.0",
        "command": ["/bin/sh", "-c", CLEAN_SCRIPT],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    }
    return _apply(out, overrides)


def cronjob(
    *,
    name: str = "tf-state-backup",
    spec: dict[str, Any] | None = None,
    job: dict[str, Any] | None = None,
    pod: dict[str, Any] | None = None,
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A CronJob that passes every check; `spec`, `job` (jobTemplate.spec) and `pod` override fields there."""
    pod_spec = _apply({"restartPolicy": "Never", "containers": containers or [container()]}, pod or {})
    job_spec = _apply({"backoffLimit": 2, "activeDeadlineSeconds": 1800, "template": {"spec": pod_spec}}, job or {})
    cron_spec = _apply(
        {
            "schedule": "0 8 * * *",
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 3600,
            "failedJobsHistoryLimit": 3,
            "successfulJobsHistoryLimit": 3,
            "jobTemplate": {"spec": job_spec},
        },
        spec or {},
    )
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "tofu-state"},
        "spec": cron_spec,
    }


def job(**overrides: Any) -> dict[str, Any]:
    """A plain Job built from the clean CronJob's template."""
    template = copy.deepcopy(cronjob()["spec"]["jobTemplate"]["spec"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "one-off", "namespace": "tofu-state"},
        "spec": _apply(template, overrides),
    }


def shell(script: str, **overrides: Any) -> dict[str, Any]:
    """A clean container running `script` with /bin/sh -c."""
    return container(command=["/bin/sh", "-c", script], **overrides)


def lint(obj: dict[str, Any]) -> list[LintFinding]:
    """Every finding of every check on one object."""
    return list(lint_workloads([Workload(obj=obj, source="test.yaml")]).findings)


def ids(obj: dict[str, Any]) -> set[str]:
    """The ids of the checks that fire on `obj`."""
    return {f.check for f in lint(obj)}


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
