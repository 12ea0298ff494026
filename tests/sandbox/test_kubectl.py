"""The real kubectl against the sandbox: discovery, tables, describe, auth can-i, create --from, delete."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronjob_doctor_sandbox import Sandbox
from tests.builders import NS, cronjob, namespace

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


class Kubectl:
    def __init__(self, config: Path, home: Path) -> None:
        self.env = dict(os.environ, KUBECONFIG=str(config), HOME=str(home), KUBECACHEDIR=str(home / "cache"))

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["kubectl", *args], check=False, env=self.env, capture_output=True, text=True, timeout=60
        )
        if ok:
            assert result.returncode == 0, result.stderr
        return result


@pytest.fixture
def cluster() -> Iterator[Sandbox]:
    """The incident seed when present, else the tf-state-backup CronJob written straight into the store."""
    running = Sandbox(seed="incident", controllers=False).start()
    if running.store.find("namespaces", "", NS) is None:
        running.store.create("namespaces", namespace(NS))
    if running.store.find("cronjobs", NS, "tf-state-backup") is None:
        running.store.create("cronjobs", cronjob())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kubectl(cluster: Sandbox, tmp_path: Path) -> Kubectl:
    return Kubectl(cluster.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path)


def test_version_reports_the_server(kubectl: Kubectl) -> None:
    assert "Server Version: v1.31." in kubectl("version").stdout


def test_get_several_kinds_prints_tables(kubectl: Kubectl, cluster: Sandbox) -> None:
    out = kubectl("get", "cronjobs,jobs,pods", "-n", NS).stdout
    assert "NAME" in out and "SCHEDULE" in out and "cronjob.batch/tf-state-backup" in out
    assert cluster.store.get("cronjobs", NS, "tf-state-backup")["spec"]["schedule"] in out
    for job in cluster.store.list("jobs", NS)[0]:
        assert f"job.batch/{job['metadata']['name']}" in out


def test_get_json_is_the_stored_object(kubectl: Kubectl, cluster: Sandbox) -> None:
    cronjob = json.loads(kubectl("get", "cronjob", "tf-state-backup", "-n", NS, "-o", "json").stdout)
    stored = cluster.store.get("cronjobs", NS, "tf-state-backup")
    assert cronjob["kind"] == "CronJob" and cronjob["spec"] == stored["spec"]


def test_describe_cronjob(kubectl: Kubectl) -> None:
    out = kubectl("describe", "cronjob", "tf-state-backup", "-n", NS).stdout
    assert "Name:" in out and "tf-state-backup" in out and "Schedule:" in out


def test_auth_can_i_follows_the_deny_rules(kubectl: Kubectl, cluster: Sandbox) -> None:
    assert kubectl("auth", "can-i", "create", "jobs", "-n", NS).stdout.strip() == "yes"
    cluster.deny("create", "jobs", namespace=NS)
    denied = kubectl("auth", "can-i", "create", "jobs", "-n", NS, ok=False)
    assert denied.returncode == 1 and denied.stdout.strip().startswith("no")


def test_create_job_from_cronjob_then_delete(kubectl: Kubectl, cluster: Sandbox) -> None:
    assert "job.batch/manual-1 created" in kubectl("create", "job", "manual-1", "--from=cronjob/tf-state-backup",
                                                   "-n", NS).stdout
    job = cluster.store.get("jobs", NS, "manual-1")
    assert job["metadata"]["ownerReferences"][0]["name"] == "tf-state-backup"
    assert job["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "manual-1"
    assert 'job.batch "manual-1" deleted' in kubectl("delete", "job", "manual-1", "-n", NS).stdout
    assert cluster.store.find("jobs", NS, "manual-1") is None


def test_forbidden_create_prints_the_server_message(kubectl: Kubectl, cluster: Sandbox) -> None:
    cluster.deny("create", "jobs", namespace=NS)
    result = kubectl("create", "job", "nope", "--from=cronjob/tf-state-backup", "-n", NS, ok=False)
    assert result.returncode == 1
    assert 'cannot create resource "jobs" in API group "batch" in the namespace "tofu-state"' in result.stderr
