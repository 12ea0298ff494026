"""The real control plane suite (`pytest -m controlplane tests/controlplane`), against `scripts/controlplane up`.

The control plane is found through CRONJOB_DOCTOR_CONTROLPLANE_KUBECONFIG, else the kubeconfig in the state
folder of scripts/controlplane; the suite skips with the reason when neither answers /readyz. Unlike most
tests, these talk to a cluster: the root conftest's KUBECONFIG guard is overridden here (the tests pass
the kubeconfig explicitly and never read KUBECONFIG).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.controlplane import helpers


@pytest.fixture(autouse=True)
def _no_real_cluster() -> None:
    """Overrides the root guard of the same name: this suite talks to the control plane it is given."""


def _find_control_plane() -> helpers.ControlPlane | str:
    """The running control plane, or the reason there is none."""
    state_file = helpers.state_dir() / "run" / "state.json"
    state: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        state = json.loads(state_file.read_text())
    kubeconfig = os.environ.get("CRONJOB_DOCTOR_CONTROLPLANE_KUBECONFIG") or state.get("kubeconfig", "")
    if not kubeconfig or not Path(kubeconfig).is_file():
        return (f"no control plane: CRONJOB_DOCTOR_CONTROLPLANE_KUBECONFIG unset and no {state_file} "
                "(start one with `scripts/controlplane up`)")
    kubectl = os.environ.get("CRONJOB_DOCTOR_CONTROLPLANE_KUBECTL") or (
        str(Path(state["cache"]) / "bin" / "kubectl") if state.get("cache") else "")
    if not kubectl or not Path(kubectl).is_file():
        return ("no control plane: no built kubectl "
                "(set CRONJOB_DOCTOR_CONTROLPLANE_KUBECTL or run scripts/controlplane)")
    result = subprocess.run([kubectl, f"--kubeconfig={kubeconfig}", "get", "--raw=/readyz", "--request-timeout=5s"],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        return f"no control plane: {kubeconfig} does not answer /readyz ({result.stderr.strip()[:200]})"
    return helpers.ControlPlane(kubeconfig=kubeconfig, kubectl_path=kubectl, state=state)


@pytest.fixture(scope="session")
def controlplane() -> helpers.ControlPlane:
    """The running control plane (kubeconfig, kubectl_path, etcd_endpoint, logs_dir), or a skip with the reason."""
    found = _find_control_plane()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def api_client(controlplane: helpers.ControlPlane) -> Iterator[Any]:
    """A kubernetes ApiClient for the admin kubeconfig (system:masters)."""
    from kubernetes import config

    api = config.new_client_from_config(config_file=controlplane.kubeconfig)
    try:
        yield api
    finally:
        api.close()


def _namespace_name(request: pytest.FixtureRequest) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    return f"cp-{base}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(api_client: Any, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace named after the test, deleted (with everything in it) after the test."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    name = _namespace_name(request)
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": name, "labels": {"cronjob-doctor.dev/test": "controlplane"}}})
    # Pods need the namespace's default ServiceAccount (the ServiceAccount admission plugin): wait for it.
    helpers.wait_for(lambda: core.read_namespaced_service_account("default", name), timeout=60,
                     what=f"ServiceAccount {name}/default")
    try:
        yield name
    finally:
        core.delete_namespace(name, propagation_policy="Background")


@pytest.fixture
def kubectl(controlplane: helpers.ControlPlane) -> Callable[..., subprocess.CompletedProcess[str]]:
    """kubectl(*args, input=None, check=True, timeout=60): the built kubectl with the admin kubeconfig."""

    def run(*args: str, input: str | None = None, check: bool = True, timeout: float = 60
            ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([controlplane.kubectl_path, f"--kubeconfig={controlplane.kubeconfig}", *args],
                                input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    return run


@pytest.fixture
def serve_logs(api_client: Any, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """serve_logs(namespace, lines | path, *, pod_names=(), containers=(), previous=None) -> the logs file.

    Makes kwok serve a file as the container logs of the pods of NAMESPACE (or only those named), through a
    kwok ClusterLogs object: `lines` (a list of str) is written in CRI format to a new file; a Path is used as
    it is (it must be in CRI format). `previous` (lines or Path) is what previous=true serves. The
    ClusterLogs objects are deleted after the test.
    """
    created: list[str] = []

    def serve(namespace: str, lines: list[str] | Path, *, pod_names: tuple[str, ...] | list[str] = (),
              containers: tuple[str, ...] | list[str] = (), previous: list[str] | Path | None = None) -> Path:
        index = len(created)
        logs_file = lines if isinstance(lines, Path) else helpers.write_cri_log(tmp_path / f"logs-{index}.log", lines)
        previous_file = None
        if previous is not None:
            previous_file = (previous if isinstance(previous, Path)
                             else helpers.write_cri_log(tmp_path / f"previous-{index}.log", previous))
        name = f"{namespace}-{index}"
        helpers.create_cluster_logs(api_client, helpers.cluster_logs_manifest(
            name, logs_file, namespaces=[namespace], pod_names=pod_names, containers=containers,
            previous_logs_file=previous_file))
        created.append(name)
        return logs_file

    try:
        yield serve
    finally:
        for name in created:
            helpers.delete_cluster_logs(api_client, name)


@pytest.fixture
def controlplane_script() -> Callable[..., subprocess.CompletedProcess[str]]:
    """controlplane_script(*args, timeout=180): runs scripts/controlplane (e.g. "restart-apiserver")."""

    def run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(helpers.SCRIPT), *args], capture_output=True, text=True, timeout=timeout)

    return run
