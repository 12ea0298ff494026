"""Fixtures for kube/ tests: a sandbox without controllers (only the test writes objects) and a Kube on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor_sandbox import Sandbox

NS = "tofu-state"
FAST = RetryPolicy(attempts=3, max_seconds=2, wait_initial=0, wait_max=0)


def namespace(name: str = NS) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name},
        "status": {"phase": "Active"},
    }


def job(name: str, *, ns: str = NS, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "backup", "image": "alpine:3.20", "command": ["sh", "-c", "true"]}
                    ],
                }
            },
        },
    }


def pod(
    name: str, *, ns: str = NS, container: str = "backup", state: dict[str, Any] | None = None
) -> dict[str, Any]:
    statuses = [] if state is None else [{"name": container, "state": state, "restartCount": 0}]
    spec: dict[str, Any] = {"containers": [{"name": container, "image": "alpine:3.20"}]}
    if state is not None:
        spec["nodeName"] = "sandbox-node-1"  # a pod with container statuses runs on a node (else: logs are a 204)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "backup"}},
        "spec": spec,
        "status": {
            "phase": "Running" if state and "running" in state else "Pending",
            "containerStatuses": statuses,
        },
    }


@pytest.fixture
def bare() -> Iterator[Sandbox]:
    """An empty sandbox (one namespace), no controllers or kubelet: the test decides every state."""
    running = Sandbox(seed=None, controllers=False).start()
    running.store.create("namespaces", namespace())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kube(bare: Sandbox, tmp_path: Path) -> Iterator[Kube]:
    """A Kube on `bare` with a retry policy that never sleeps."""
    path = bare.write_kubeconfig(tmp_path / "kubeconfig")
    client = Kube.connect(str(path), retry=FAST)
    try:
        yield client
    finally:
        client.close()
