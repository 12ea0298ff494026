"""The real-cluster suite (`pytest -m cluster`): a cluster from KUBECONFIG, a namespace of its own, cleaned up.

Skipped with a reason when no kubeconfig exists or the API server's /version does not answer within 3 s.
Unlike every other test, these keep KUBECONFIG: the root conftest's guard is overridden here.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import builders
from tests.cluster import manifests

KUBECONFIG = os.environ.get("KUBECONFIG", "")  # read at import time, before any fixture can touch it


@pytest.fixture(autouse=True)
def _no_real_cluster() -> None:
    """Overrides the root guard of the same name: this suite is the one that talks to a real cluster."""


def _config_files() -> list[str]:
    files = [path for path in KUBECONFIG.split(os.pathsep) if path]
    return files or [str(Path.home() / ".kube" / "config")]


@pytest.fixture(scope="session")
def api_client() -> Iterator[Any]:
    """A kubernetes ApiClient for the current context, or a skip saying why there is no cluster."""
    from kubernetes import client, config

    existing = [path for path in _config_files() if Path(path).is_file()]
    if not existing:
        pytest.skip(f"no cluster: no kubeconfig at {os.pathsep.join(_config_files())}")
    try:
        api = config.new_client_from_config(config_file=existing[0])
        version = client.VersionApi(api).get_code(_request_timeout=3)
    except Exception as exc:  # noqa: BLE001  # any failure to reach /version: no cluster to test against
        pytest.skip(f"no cluster: /version unreachable within 3 s ({type(exc).__name__}: {exc})")
    print(f"cluster {api.configuration.host}, Kubernetes {version.git_version}")
    try:
        yield api
    finally:
        api.close()


@pytest.fixture(scope="session")
def namespace(api_client: Any) -> Iterator[str]:
    """A fresh namespace with the suite's CronJobs, deleted (with everything in it) at the end."""
    from kubernetes import client

    name = f"cronjob-doctor-e2e-{secrets.token_hex(3)}"
    core = client.CoreV1Api(api_client)
    core.create_namespace(builders.namespace(name, labels={"app.kubernetes.io/part-of": "cronjob-doctor-e2e"}))
    try:
        batch = client.BatchV1Api(api_client)
        for cronjob in manifests.CRONJOBS:
            batch.create_namespaced_cron_job(name, cronjob)
        yield name
    finally:
        core.delete_namespace(name, propagation_policy="Background")
