"""Fixtures for the API server's own tests: a sandbox without controllers, so only the tests write objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.cluster import Cluster

from ._cluster import running

NS = "tofu-state"


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}}


def pod(name: str, *, ns: str = NS, labels: dict[str, str] | None = None, phase: str = "Running",
        containers: tuple[str, ...] = ("backup",), owner: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": labels or {}}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    spec: dict[str, Any] = {"containers": [{"name": c, "image": "alpine:3.20"} for c in containers]}
    if phase != "Pending":
        spec["nodeName"] = "sandbox-node-1"  # it ran somewhere (without a node, pods/log answers 204)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": {"phase": phase}}


def job_body(name: str, *, restart_policy: str = "Never", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"template": {"spec": {"restartPolicy": restart_policy,
                                           "containers": [{"name": "backup", "image": "alpine:3.20",
                                                           "command": ["/bin/sh", "-c", "echo ok"]}]}}}}


def cronjob_body(name: str = "tf-state-backup", *, ns: str = NS) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "namespace": ns},
            "spec": {"schedule": "0 2 * * *", "concurrencyPolicy": "Forbid",
                     "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": {
                         "restartPolicy": "OnFailure",
                         "containers": [{"name": "backup", "image": "alpine:3.20",
                                         "command": ["/bin/sh", "-c", "apk add --no-cache curl"],
                                         "resources": {"limits": {"memory": "128Mi"}}}]}}}}}}


@pytest.fixture
def bare() -> Iterator[Sandbox]:
    """A sandbox with namespaces `tofu-state` and `other` and nothing else: no seed, no controllers."""
    running = Sandbox(seed=None, controllers=False, bookmark_interval=0.2).start()
    running.store.create("namespaces", namespace(NS))
    running.store.create("namespaces", namespace("other"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def api(bare: Sandbox, tmp_path: Path) -> Iterator[client.ApiClient]:
    """The real kubernetes client, configured from a kubeconfig file like any user's."""
    api_client = config.new_client_from_config(str(bare.write_kubeconfig(tmp_path / "kubeconfig")))
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def raw(api: client.ApiClient) -> Callable[..., Any]:
    """GET a path with the client's own transport, returning the urllib3 response (for bodies as sent)."""
    def get(path: str, **query: Any) -> Any:
        return api.rest_client.pool_manager.request(
            "GET", api.configuration.host + path, fields=query, preload_content=False,
            headers={"Authorization": api.configuration.api_key.get("authorization", "")})
    return get


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """The sandbox's controllers on an empty store."""
    yield from running("empty")


@pytest.fixture
def incident_cluster() -> Iterator[Cluster]:
    """The sandbox's controllers on the incident seed."""
    yield from running("incident")
