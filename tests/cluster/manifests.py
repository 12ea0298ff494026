"""The suite's CronJobs: one per verdict it checks, on real public images, small enough for a kind node.

Each runs `sh -c` so diagnose can trace it and sample memory. The schedule is once a year: every run in the
suite is started on purpose (`tests.builders.job_from`), as `kubectl create job --from=cronjob/...` does, never
by the clock. The `sandbox.cronjob-doctor.io/scenario` annotation means nothing to a real cluster; it lets the
same suite be rehearsed against the simulated one (`python -m cronjob_doctor_sandbox`), whose kubelet only
pretends to run.
"""

from __future__ import annotations

from typing import Any

from tests import builders
from tests.builders import SCENARIO, container_spec, pod_template

YEARLY = "0 0 1 1 *"


def cronjob(name: str, *, image: str, script: str, memory: str, scenario: str) -> dict[str, Any]:
    """A batch/v1 CronJob running `script` once per attempt (restartPolicy Never, no retries)."""
    container = container_spec("main", image=image, script=script, memory_limit=memory,
                               requests={"cpu": "10m", "memory": memory})
    template = pod_template(container, restart="Never", service_account=None, labels={"app": name},
                            annotations={SCENARIO: scenario})
    return builders.cronjob(name, namespace=None, labels={"app.kubernetes.io/part-of": "cronjob-doctor-e2e"},
                            schedule=YEARLY, successful_limit=3, failed_limit=3, backoff_limit=0, active_deadline=300,
                            template=template)


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
