"""The controllers, RBAC, and the scripts/controlplane commands later tests lean on."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.controlplane import helpers
from tests.controlplane.helpers import create_cronjob, create_job, wait_for, wait_for_job_condition, wait_for_jobs

pytestmark = pytest.mark.controlplane


def test_the_cronjob_controller_creates_a_job_on_schedule(api_client: Any, namespace: str) -> None:
    cronjob = create_cronjob(api_client, namespace, "every-minute", "succeed", schedule="* * * * *")
    # the next minute boundary: up to 60 s (plus the controller's own poll)
    jobs = wait_for_jobs(api_client, namespace, timeout=75, label_selector=None)
    job = jobs[0]
    owner = job.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("CronJob", "every-minute",
                                                                       cronjob.metadata.uid, True)
    scheduled = dt.datetime.fromisoformat(
        job.metadata.annotations[helpers.SCHEDULED_TIMESTAMP_ANNOTATION].replace("Z", "+00:00"))
    assert scheduled.second == 0
    assert job.spec.template.metadata.labels[helpers.BEHAVIOUR_LABEL] == "succeed"
    wait_for_job_condition(api_client, namespace, job.metadata.name, "Complete")
    batch = client.BatchV1Api(api_client)
    status = wait_for(lambda: batch.read_namespaced_cron_job("every-minute", namespace).status.last_successful_time,
                      timeout=30, what="CronJob lastSuccessfulTime")
    assert status is not None


def test_the_ttl_controller_deletes_a_finished_job(api_client: Any, namespace: str) -> None:
    create_job(api_client, namespace, "short-lived", "succeed", ttl_seconds_after_finished=0, run_duration="100ms")
    batch = client.BatchV1Api(api_client)

    def gone() -> bool:
        try:
            batch.read_namespaced_job("short-lived", namespace)
        except ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, timeout=60, what="Job deleted by the TTL-after-finished controller")
    # and the garbage collector takes its pods
    wait_for(lambda: not helpers.job_pods(api_client, namespace, "short-lived"), timeout=60, what="pods deleted")


def test_rbac_a_service_account_without_create_jobs_gets_403(
    api_client: Any, namespace: str, controlplane: helpers.ControlPlane
) -> None:
    core, rbac = client.CoreV1Api(api_client), client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "reader"}})
    rbac.create_namespaced_role(namespace, {
        "metadata": {"name": "job-reader"},
        "rules": [{"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": ["get", "list", "watch"]}],
    })
    rbac.create_namespaced_role_binding(namespace, {
        "metadata": {"name": "reader-reads-jobs"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "job-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
    })
    token = core.create_namespaced_service_account_token(
        "reader", namespace, {"spec": {"expirationSeconds": 600}}).status.token
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert claims["sub"] == f"system:serviceaccount:{namespace}:reader"

    configuration = client.Configuration()
    configuration.host = api_client.configuration.host
    configuration.ssl_ca_cert = api_client.configuration.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as as_reader:
        batch = client.BatchV1Api(as_reader)
        assert batch.list_namespaced_job(namespace).items == []
        with pytest.raises(ApiException) as forbidden:
            batch.create_namespaced_job(namespace, {"metadata": {"name": "nope"}, **helpers.job_template("succeed")})
        assert forbidden.value.status == 403
        message = json.loads(forbidden.value.body)["message"]
        assert f'"system:serviceaccount:{namespace}:reader" cannot create resource "jobs"' in message
        with pytest.raises(ApiException) as other_namespace:
            batch.list_namespaced_job("default")
        assert other_namespace.value.status == 403


def _etcd(endpoint: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(f"{endpoint}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_etcd_compaction_and_restart_apiserver(
    api_client: Any, namespace: str, controlplane_script: Callable[..., Any]
) -> None:
    """One test for both, since each apiserver restart sets the controllers' reconnect backoff back.

    Compaction alone is invisible through the apiserver: its watch cache still answers old
    resourceVersions. After restart-apiserver the cache starts at the current revision, and the old
    resourceVersion is 410 Gone for a watch and for an Exact list (which now reaches the compacted etcd).
    The data survives the restart and the controllers work again when the command returns."""
    result = controlplane_script("etcd-endpoint")
    assert result.returncode == 0, result.stderr
    endpoint = result.stdout.strip().splitlines()[-1]
    assert endpoint.startswith("http://127.0.0.1:")
    core = client.CoreV1Api(api_client)
    old = core.create_namespaced_config_map(namespace, {"metadata": {"name": "v1"}}).metadata.resource_version
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "v2"}})
    # the etcd revision now (the apiserver's resourceVersions are etcd revisions)
    everything = {"key": base64.b64encode(b"/").decode()}
    revision = int(_etcd(endpoint, "/v3/kv/range", everything)["header"]["revision"])
    assert revision > int(old)
    _etcd(endpoint, "/v3/kv/compaction", {"revision": revision, "physical": True})
    with pytest.raises(urllib.error.HTTPError) as compacted:
        _etcd(endpoint, "/v3/kv/range", {**everything, "revision": int(old)})
    assert "required revision has been compacted" in compacted.value.read().decode()
    # the watch cache still has it
    assert core.list_namespaced_config_map(namespace, resource_version=old, resource_version_match="Exact").items

    restarted = controlplane_script("restart-apiserver")
    assert restarted.returncode == 0, restarted.stderr
    assert "kube-apiserver restarted" in restarted.stderr
    assert {cm.metadata.name for cm in core.list_namespaced_config_map(namespace).items} >= {"v1", "v2"}
    with pytest.raises(ApiException) as expired:
        core.list_namespaced_config_map(namespace, resource_version=old, resource_version_match="Exact")
    assert expired.value.status == 410
    watch = core.list_namespaced_config_map(namespace, watch=True, resource_version=old, timeout_seconds=5,
                                            _preload_content=False)
    event = json.loads(watch.read().decode().splitlines()[0])
    assert (event["type"], event["object"]["code"], event["object"]["reason"]) == ("ERROR", 410, "Expired")
    # the controllers reconnected: a new Job still runs to completion
    create_job(api_client, namespace, "after-restart", "succeed", run_duration="100ms")
    wait_for_job_condition(api_client, namespace, "after-restart", "Complete", timeout=90)


def test_the_audit_log_records_requests_at_metadata_level(
    api_client: Any, namespace: str, controlplane: helpers.ControlPlane
) -> None:
    audit = controlplane.logs_dir / "audit.log"

    def find() -> dict[str, Any] | None:
        for line in audit.read_text().splitlines():
            event = json.loads(line)
            if event.get("objectRef", {}).get("namespace") == namespace and event["verb"] == "create":
                return event
        return None

    client.CoreV1Api(api_client).create_namespaced_config_map(namespace, {"metadata": {"name": "audited"}})
    event = wait_for(find, timeout=30, what=f"an audit event in {audit}")
    assert event["level"] == "Metadata"
    assert "requestObject" not in event
