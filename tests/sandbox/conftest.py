"""Fixtures for the API server's own tests: a sandbox without controllers, so only the tests write objects."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.cluster import Cluster
from tests.builders import NS, namespace

from ._cluster import running


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
