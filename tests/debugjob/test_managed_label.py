"""The pods of a debug Job carry the managed-by label too: `kubectl get pods -l app.kubernetes.io/managed-by=
cronjob-doctor` finds them, and so does anything that cleans up after a diagnose that is gone."""

from __future__ import annotations

from typing import Any

from cronjob_doctor.debugjob.build import Variant, build
from cronjob_doctor_sandbox import Sandbox

MANAGED = ("app.kubernetes.io/managed-by", "cronjob-doctor")


def _cronjob() -> dict[str, Any]:
    with Sandbox(seed="incident", controllers=False) as sandbox:
        return sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")


def test_the_pod_template_carries_the_managed_by_label_beside_the_production_labels() -> None:
    cronjob = _cronjob()
    production = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels") or {}
    debug = build(cronjob, variant=Variant("512Mi", 512 * 1024**2), run_id="abcde", timeout_seconds=None)
    labels = debug.manifest["spec"]["template"]["metadata"]["labels"]
    assert labels[MANAGED[0]] == MANAGED[1]
    assert labels["cronjob-doctor/run-id"] == "abcde"
    for key, value in production.items():  # NetworkPolicies select on these: kept as they are
        assert labels[key] == value
