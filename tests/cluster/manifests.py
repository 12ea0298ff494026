"""The suite's CronJobs: one per verdict it checks, on real public images, small enough for a kind node.

Each runs `sh -c` so diagnose can trace it and sample memory. The schedule is once a year: every run in the
suite is started on purpose (`job_from`), as `kubectl create job --from=cronjob/...` does, never by the clock.
The `sandbox.cronjob-doctor.io/scenario` annotation means nothing to a real cluster; it lets the same suite be
rehearsed against the simulated one (`python -m cronjob_doctor_sandbox`), whose kubelet only pretends to run.
"""

from __future__ import annotations

import copy
from typing import Any

YEARLY = "0 0 1 1 *"


def cronjob(name: str, *, image: str, script: str, memory: str, scenario: str) -> dict[str, Any]:
    """A batch/v1 CronJob running `script` once per attempt (restartPolicy Never, no retries)."""
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "cronjob-doctor-e2e"}},
        "spec": {
            "schedule": YEARLY,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": 300,
                    "template": {
                        "metadata": {
                            "labels": {"app": name},
                            "annotations": {"sandbox.cronjob-doctor.io/scenario": scenario},
                        },
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "main",
                                    "image": image,
                                    "command": ["/bin/sh", "-c", script],
                                    "resources": {
                                        "requests": {"cpu": "10m", "memory": memory},
                                        "limits": {"memory": memory},
                                    },
                                }
                            ],
                        },
                    },
                }
            },
        },
    }


OOM = cronjob(
    "oom-under-128mi",
    image="alpine:3.20",
    # 300MB of zeros has no newline: busybox tail keeps the whole "last line" in memory, far past 128Mi.
    script="set -e\necho allocating\nhead -c 300m /dev/zero | tail >/dev/null\necho done",
    memory="128Mi",
    scenario="oom-under-limit",
)
DNS = cronjob(
    "dns-failure",
    image="curlimages/curl:8.10.1",
    # .invalid never resolves (RFC 6761): curl exits 6, "Could not resolve host".
    script="set -e\ncurl -sS --max-time 20 -o /dev/null https://dl.cronjob-doctor-e2e.invalid/mc\necho done",
    memory="64Mi",
    scenario="cdn-down",
)
SUCCESS = cronjob(
    "succeeds",
    image="alpine:3.20",
    script="set -e\necho backup complete\ntrue",
    memory="32Mi",
    scenario="success",
)
CRONJOBS = (OOM, DNS, SUCCESS)


def job_from(cronjob: dict[str, Any], *, uid: str, name: str) -> dict[str, Any]:
    """The Job `kubectl create job --from=cronjob/NAME` makes: the jobTemplate, owned by the CronJob."""
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    metadata = template.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "labels": dict(metadata.get("labels") or {}),
            "annotations": {**(metadata.get("annotations") or {}), "cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob["metadata"]["name"],
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }
