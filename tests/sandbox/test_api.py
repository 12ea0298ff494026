"""The sandbox API server, driven by the real kubernetes client over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import urllib3
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from cronjob_doctor_sandbox import Sandbox
from tests import builders
from tests.builders import NS, container, container_spec, cronjob, job, pod, pod_template


def body_of(error: ApiException) -> dict[str, Any]:
    return json.loads(error.body)


def job_body(name: str) -> dict[str, Any]:
    """A Job as a client POSTs it: no namespace, owner or status, and nothing the server fills in by default."""
    return job(name, namespace=None, cronjob=None, start=None, backoff_limit=None,
               template=pod_template(container_spec(script="echo ok", memory_limit=None, requests=None),
                                     restart="Never", service_account=None, labels={}))


def cronjob_body() -> dict[str, Any]:
    """The incident's CronJob as a client POSTs it, without the history limits the server defaults."""
    return cronjob(failed_limit=None, successful_limit=None)


# -- discovery ---------------------------------------------------------------------------------------------


def test_discovery_lists_groups_resources_and_version(api: client.ApiClient) -> None:
    assert client.VersionApi(api).get_code().git_version.startswith("v1.31.")
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert {"batch", "authorization.k8s.io", "events.k8s.io", "networking.k8s.io", "metrics.k8s.io"} <= set(groups)
    batch = {r.name: r for r in client.BatchV1Api(api).get_api_resources().resources}
    assert batch["cronjobs"].short_names == ["cj"] and batch["cronjobs"].kind == "CronJob"
    assert batch["jobs"].namespaced and "watch" in batch["jobs"].verbs
    core = {r.name: r for r in client.CoreV1Api(api).get_api_resources().resources}
    assert core["pods"].short_names == ["po"] and not core["namespaces"].namespaced
    assert "pods/log" in core and core["events"].short_names == ["ev"]


def test_default_sandbox_fixture_serves_requests(sandbox: Sandbox, kubeconfig: str) -> None:
    from kubernetes import config

    api_client = config.new_client_from_config(kubeconfig)
    assert client.CoreV1Api(api_client).list_namespace().kind == "NamespaceList"
    api_client.close()


# -- create, get, defaults, errors ------------------------------------------------------------------------


def test_created_job_gets_server_defaults_and_controller_labels(api: client.ApiClient) -> None:
    job = client.BatchV1Api(api).create_namespaced_job(NS, job_body("backup-1"))
    uid = job.metadata.uid
    assert job.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert job.spec.template.metadata.labels == {"batch.kubernetes.io/controller-uid": uid,
                                                 "batch.kubernetes.io/job-name": "backup-1",
                                                 "controller-uid": uid, "job-name": "backup-1"}
    assert (job.spec.backoff_limit, job.spec.completions, job.spec.parallelism) == (6, 1, 1)
    assert job.spec.completion_mode == "NonIndexed" and job.spec.suspend is False
    container = job.spec.template.spec.containers[0]
    assert container.termination_message_policy == "File" and container.image_pull_policy == "IfNotPresent"
    assert job.spec.template.spec.dns_policy == "ClusterFirst"


def test_created_cronjob_gets_defaults(api: client.ApiClient) -> None:
    body = cronjob_body()
    del body["spec"]["concurrencyPolicy"]
    cronjob = client.BatchV1Api(api).create_namespaced_cron_job(NS, body)
    spec = cronjob.spec
    assert (spec.concurrency_policy, spec.suspend) == ("Allow", False)
    assert (spec.successful_jobs_history_limit, spec.failed_jobs_history_limit) == (3, 1)


def test_not_found_is_a_status_with_the_real_message(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).read_namespaced_cron_job("nope", NS)
    assert caught.value.status == 404
    assert body_of(caught.value) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'cronjobs.batch "nope" not found', "reason": "NotFound",
        "details": {"name": "nope", "group": "batch", "kind": "cronjobs"}, "code": 404}
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(api).read_namespaced_pod("nope", NS)
    assert body_of(caught.value)["details"] == {"name": "nope", "kind": "pods"}


def test_create_twice_is_already_exists(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(NS, job_body("twice"))
    with pytest.raises(ApiException) as caught:
        batch.create_namespaced_job(NS, job_body("twice"))
    assert caught.value.status == 409
    status = body_of(caught.value)
    assert (status["reason"], status["message"]) == ("AlreadyExists", 'jobs.batch "twice" already exists')


def test_create_in_missing_namespace_is_not_found(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).create_namespaced_job("missing", job_body("x"))
    assert caught.value.status == 404 and body_of(caught.value)["message"] == 'namespaces "missing" not found'


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        # the name is not limited as such: its job-name labels are (as a real v1.37 apiserver words it)
        (lambda b: b["metadata"].update(name="x" * 64), "spec.template.labels",
         f'Invalid value: "{"x" * 64}": must be no more than 63 bytes'),
        (lambda b: b["spec"]["template"]["spec"].update(containers=[]), "spec.template.spec.containers",
         "Required value"),
        (lambda b: b["spec"]["template"]["spec"].update(restartPolicy="Always"), "spec.template.spec.restartPolicy",
         'Required value: valid values: "OnFailure", "Never"'),
    ],
)
def test_invalid_job_is_422_with_causes(api: client.ApiClient, change: Callable[[dict[str, Any]], None],
                                        field: str, message: str) -> None:
    body = job_body("bad")
    change(body)
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).create_namespaced_job(NS, body)
    assert caught.value.status == 422
    status = body_of(caught.value)
    assert status["reason"] == "Invalid" and status["details"]["kind"] == "Job"
    assert {"field": field, "message": message} in [
        {"field": c["field"], "message": c["message"]} for c in status["details"]["causes"]]
    assert status["message"].startswith('Job.batch "') and f"{field}: {message}" in status["message"]


def test_dry_run_validates_without_storing(api: client.ApiClient, bare: Sandbox) -> None:
    job = client.BatchV1Api(api).create_namespaced_job(NS, job_body("dry"), dry_run="All")
    assert job.spec.backoff_limit == 6
    assert bare.store.find("jobs", NS, "dry") is None


# -- delete and garbage collection -----------------------------------------------------------------------


def _job_with_pod(bare: Sandbox, api: client.ApiClient, name: str) -> dict[str, Any]:
    job = client.BatchV1Api(api).create_namespaced_job(NS, job_body(name))
    stored = bare.store.get("jobs", NS, name)
    bare.store.create("pods", pod(of=stored, name=f"{name}-abcde", phase="Running"))
    return {"uid": job.metadata.uid}


def test_delete_job_background_removes_its_pods(api: client.ApiClient, bare: Sandbox) -> None:
    _job_with_pod(bare, api, "gc")
    status = client.BatchV1Api(api).delete_namespaced_job("gc", NS, propagation_policy="Background")
    assert status["status"] == "Success" and status["details"]["name"] == "gc"
    assert bare.store.find("jobs", NS, "gc") is None and bare.store.find("pods", NS, "gc-abcde") is None


def test_delete_job_without_policy_orphans_pods_like_the_legacy_default(api: client.ApiClient,
                                                                        bare: Sandbox) -> None:
    _job_with_pod(bare, api, "orphan")
    client.BatchV1Api(api).delete_namespaced_job("orphan", NS)
    left = bare.store.get("pods", NS, "orphan-abcde")
    assert "ownerReferences" not in left["metadata"]


def test_delete_missing_is_not_found(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).delete_namespaced_job("ghost", NS, propagation_policy="Background")
    assert caught.value.status == 404 and body_of(caught.value)["message"] == 'jobs.batch "ghost" not found'


def test_delete_pod_returns_the_pod(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="p", phase="Running"))
    deleted = client.CoreV1Api(api).delete_namespaced_pod("p", NS)
    # a running pod is deleted gracefully: the kubelet (none here) removes it once its containers stopped
    assert (deleted.kind, deleted.metadata.name, deleted.metadata.deletion_grace_period_seconds) == ("Pod", "p", 30)
    assert bare.store.find("pods", NS, "p")["metadata"]["deletionTimestamp"]
    client.CoreV1Api(api).delete_namespaced_pod("p", NS, grace_period_seconds=0)
    assert bare.store.find("pods", NS, "p") is None


# -- patch and update -----------------------------------------------------------------------------------


def test_merge_and_json_patch(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    batch.create_namespaced_cron_job(NS, cronjob_body())
    patched = batch.patch_namespaced_cron_job("tf-state-backup", NS, {"spec": {"suspend": True}})
    assert patched.spec.suspend is True and patched.spec.schedule == "0 2 * * *"
    api.set_default_header("Content-Type", "application/json-patch+json")
    patched = batch.patch_namespaced_cron_job(
        "tf-state-backup", NS, [{"op": "replace", "path": "/spec/schedule", "value": "5 2 * * *"}])
    assert patched.spec.schedule == "5 2 * * *"


def test_update_with_stale_resource_version_conflicts(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    created = batch.create_namespaced_cron_job(NS, cronjob_body())
    created.spec.suspend = True
    batch.replace_namespaced_cron_job("tf-state-backup", NS, created)
    with pytest.raises(ApiException) as caught:
        batch.replace_namespaced_cron_job("tf-state-backup", NS, created)
    assert caught.value.status == 409 and body_of(caught.value)["reason"] == "Conflict"
    assert "the object has been modified" in body_of(caught.value)["message"]


def test_status_subresource_changes_only_status(api: client.ApiClient, bare: Sandbox) -> None:
    batch = client.BatchV1Api(api)
    batch.create_namespaced_job(NS, job_body("st"))
    batch.patch_namespaced_job_status("st", NS, {"status": {"active": 1}, "spec": {"backoffLimit": 0}})
    stored = bare.store.get("jobs", NS, "st")
    assert stored["status"] == {"active": 1} and stored["spec"]["backoffLimit"] == 6


# -- lists: pagination and selectors ---------------------------------------------------------------------


def test_pagination_with_limit_and_continue(api: client.ApiClient, bare: Sandbox) -> None:
    for index in range(25):
        bare.store.create("pods", pod(name=f"p{index:02d}", phase="Running"))
    core = client.CoreV1Api(api)
    first = core.list_namespaced_pod(NS, limit=10)
    assert len(first.items) == 10 and first.metadata.remaining_item_count == 15
    second = core.list_namespaced_pod(NS, limit=10, _continue=first.metadata._continue)
    third = core.list_namespaced_pod(NS, limit=10, _continue=second.metadata._continue)
    names = [p.metadata.name for page in (first, second, third) for p in page.items]
    assert names == [f"p{i:02d}" for i in range(25)]
    assert third.metadata._continue is None and second.metadata.remaining_item_count == 5
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_pod(NS, limit=10, _continue="garbage!")
    assert caught.value.status == 400


def test_label_selectors_equality_and_set_based(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="a", labels={"app": "backup", "tier": "db"}, phase="Running"))
    bare.store.create("pods", pod(name="b", labels={"app": "web"}, phase="Running"))
    bare.store.create("pods", pod(name="c", labels={"app": "cache", "tier": "db"}, phase="Running"))
    core = client.CoreV1Api(api)

    def names(selector: str) -> list[str]:
        return [p.metadata.name for p in core.list_namespaced_pod(NS, label_selector=selector).items]

    assert names("app=backup") == ["a"]
    assert names("app!=backup") == ["b", "c"]
    assert names("app in (backup,web)") == ["a", "b"]
    assert names("app notin (backup,web)") == ["c"]
    assert names("tier") == ["a", "c"]
    assert names("!tier") == ["b"]
    assert names("tier=db,app in (cache)") == ["c"]
    with pytest.raises(ApiException) as caught:
        names("app in (backup")
    assert caught.value.status == 400


def test_field_selectors_and_unsupported_field(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="run", phase="Running"))
    bare.store.create("pods", pod(name="fail", phase="Failed"))
    bare.store.create("pods", pod(name="elsewhere", namespace="other", phase="Failed"))
    core = client.CoreV1Api(api)
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, field_selector="status.phase=Failed").items] \
        == ["fail"]
    everywhere = core.list_pod_for_all_namespaces(field_selector="status.phase!=Running")
    assert [(p.metadata.namespace, p.metadata.name) for p in everywhere.items] == [("other", "elsewhere"),
                                                                                  (NS, "fail")]
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).list_namespaced_cron_job(NS, field_selector="spec.schedule=x")
    assert caught.value.status == 400
    # CronJobs have no field label conversion of their own: the scheme's default answers (a real v1.37 server)
    assert body_of(caught.value)["message"] == \
        '"spec.schedule" is not a known field selector: only "metadata.name", "metadata.namespace"'


# -- authorization ---------------------------------------------------------------------------------------


def _review(api: client.ApiClient, verb: str, resource: str, group: str = "") -> Any:
    review = {"spec": {"resourceAttributes": {"namespace": NS, "verb": verb, "group": group,
                                              "resource": resource}}}
    return client.AuthorizationV1Api(api).create_self_subject_access_review(review).status


def test_denied_request_is_forbidden_and_access_review_agrees(api: client.ApiClient, bare: Sandbox) -> None:
    assert _review(api, "create", "jobs", "batch").allowed is True
    bare.deny("create", "jobs", namespace=NS)
    review = _review(api, "create", "jobs", "batch")
    assert review.allowed is False and review.reason
    assert _review(api, "get", "jobs", "batch").allowed is True
    with pytest.raises(ApiException) as caught:
        client.BatchV1Api(api).create_namespaced_job(NS, job_body("nope"))
    assert caught.value.status == 403
    assert body_of(caught.value)["message"] == (
        'jobs.batch is forbidden: User "sandbox-user" cannot create resource "jobs" in API group "batch" '
        'in the namespace "tofu-state"')


def test_denied_subresource(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="p", phase="Running"))
    bare.deny("get", "pods", subresource="log")
    with pytest.raises(ApiException) as caught:
        client.CoreV1Api(api).read_namespaced_pod_log("p", NS)
    assert caught.value.status == 403 and 'cannot get resource "pods/log"' in body_of(caught.value)["message"]
    assert client.CoreV1Api(api).read_namespaced_pod("p", NS).metadata.name == "p"


# -- watch -----------------------------------------------------------------------------------------------


def test_watch_from_resource_version_then_resume(api: client.ApiClient, bare: Sandbox) -> None:
    core = client.CoreV1Api(api)
    bare.store.create("pods", pod(name="before", phase="Running"))
    listed = core.list_namespaced_pod(NS)
    bare.store.create("pods", pod(name="w1", phase="Running"))
    bare.store.mutate("pods", NS, "w1", lambda p: p["status"].update(phase="Succeeded"))
    watcher = watch.Watch()
    seen = []
    for event in watcher.stream(core.list_namespaced_pod, NS, resource_version=listed.metadata.resource_version,
                                timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name, event["object"].status.phase))
        if len(seen) == 2:
            watcher.stop()
    assert seen == [("ADDED", "w1", "Running"), ("MODIFIED", "w1", "Succeeded")]
    bare.store.delete("pods", NS, "w1")
    resumed = [(e["type"], e["object"].metadata.name)
               for e in watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=watcher.resource_version,
                                             timeout_seconds=1)]
    assert resumed == [("DELETED", "w1")]


def test_watch_without_resource_version_starts_with_current_objects(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="a", labels={"app": "x"}, phase="Running"))
    bare.store.create("pods", pod(name="b", phase="Running"))
    events = list(watch.Watch().stream(client.CoreV1Api(api).list_namespaced_pod, NS, label_selector="app=x",
                                       timeout_seconds=1))
    assert [(e["type"], e["object"].metadata.name) for e in events] == [("ADDED", "a")]


def test_object_leaving_the_selector_is_sent_as_deleted(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="a", labels={"app": "x"}, phase="Running"))
    watcher, seen = watch.Watch(), []
    for event in watcher.stream(client.CoreV1Api(api).list_namespaced_pod, NS, label_selector="app=x",
                                timeout_seconds=5):
        seen.append(event["type"])
        if len(seen) == 1:
            bare.store.mutate("pods", NS, "a", lambda p: p["metadata"]["labels"].update(app="y"))
        else:
            watcher.stop()
    assert seen == ["ADDED", "DELETED"]


def test_bookmarks_carry_the_resource_version(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    rv = client.CoreV1Api(api).list_namespaced_pod(NS).metadata.resource_version
    bare.store.create("pods", pod(name="other-ns-pod", namespace="other", phase="Running"))
    response = raw(f"/api/v1/namespaces/{NS}/pods", watch="true", resourceVersion=rv,
                   allowWatchBookmarks="true", timeoutSeconds="1")
    lines = [json.loads(line) for line in response.read().decode().splitlines() if line]
    bookmarks = [e for e in lines if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[-1]["object"]["kind"] == "Pod"
    assert int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]) >= bare.store.resource_version
    assert all(e["type"] == "BOOKMARK" for e in lines)


def test_too_old_resource_version_is_an_error_event_in_a_200_stream(api: client.ApiClient, bare: Sandbox,
                                                                     raw: Any) -> None:
    bare.store.create("pods", pod(name="a", phase="Running"))
    old = bare.store.resource_version - 1
    bare.store.compact()
    response = raw(f"/api/v1/namespaces/{NS}/pods", watch="true", resourceVersion=str(old), timeoutSeconds="5")
    assert response.status == 200
    event = json.loads(response.read().decode().splitlines()[0])
    assert event["type"] == "ERROR"
    assert (event["object"]["kind"], event["object"]["code"], event["object"]["reason"]) == ("Status", 410, "Expired")
    # The client retries once from the same version, then gives up: the caller must relist
    with pytest.raises(ApiException) as caught:
        for _event in watch.Watch().stream(client.CoreV1Api(api).list_namespaced_pod, NS, resource_version=str(old)):
            pass
    assert caught.value.status == 410
    relisted = client.CoreV1Api(api).list_namespaced_pod(NS)
    assert [p.metadata.name for p in relisted.items] == ["a"]


def test_gone_once_expires_the_next_watch_only(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    rv = str(bare.store.resource_version)
    bare.faults.gone_once()
    first = json.loads(raw(f"/api/v1/namespaces/{NS}/pods", watch="true", resourceVersion=rv,
                           timeoutSeconds="5").read())
    assert first["type"] == "ERROR" and first["object"]["code"] == 410
    second = raw(f"/api/v1/namespaces/{NS}/pods", watch="true", resourceVersion=rv, timeoutSeconds="1")
    assert second.read() == b""


def test_watch_of_one_object_by_name_path(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    bare.store.create("pods", pod(name="a", phase="Running"))
    bare.store.create("pods", pod(name="b", phase="Running"))
    response = raw(f"/api/v1/watch/namespaces/{NS}/pods/b", timeoutSeconds="1")
    assert [json.loads(line)["object"]["metadata"]["name"] for line in response.read().splitlines()] == ["b"]


# -- pods/log --------------------------------------------------------------------------------------------


def _logged_pod(bare: Sandbox, name: str = "p", containers: tuple[str, ...] = ("backup",)) -> datetime:
    bare.store.create("pods", pod(*(container(c) for c in containers), name=name, phase="Running"))
    start = datetime(2026, 3, 21, 2, 0, 0, tzinfo=timezone.utc)
    bare.logs.start_instance(NS, name, containers[0])
    bare.logs.append(NS, name, containers[0], "first run", start)
    bare.logs.start_instance(NS, name, containers[0])
    for index in range(5):
        bare.logs.append(NS, name, containers[0], f"line {index}", start + timedelta(seconds=index + 10))
    return start


def test_log_with_timestamps_tail_since_and_previous(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    start = _logged_pod(bare)
    core = client.CoreV1Api(api)
    assert core.read_namespaced_pod_log("p", NS) == "".join(f"line {i}\n" for i in range(5))
    assert core.read_namespaced_pod_log("p", NS, tail_lines=2) == "line 3\nline 4\n"
    stamped = core.read_namespaced_pod_log("p", NS, timestamps=True, tail_lines=1)
    assert stamped == "2026-03-21T02:00:14.000000000Z line 4\n"
    since = (start + timedelta(seconds=13)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert raw(f"/api/v1/namespaces/{NS}/pods/p/log", sinceTime=since).read().decode() == "line 3\nline 4\n"
    assert core.read_namespaced_pod_log("p", NS, previous=True) == "first run\n"
    assert core.read_namespaced_pod_log("p", NS, limit_bytes=8) == "line 0\nl"


def test_log_errors_are_400_with_the_kubelet_messages(api: client.ApiClient, bare: Sandbox) -> None:
    core = client.CoreV1Api(api)
    bare.store.create("pods", pod(container("a"), container("b"), name="two", phase="Running", reported=False))
    bare.store.create("pods", pod(name="fresh", phase="Running"))
    bare.logs.start_instance(NS, "fresh", "backup")
    cases = [
        (lambda: core.read_namespaced_pod_log("two", NS),
         "a container name must be specified for pod two, choose one of: [a b]"),
        (lambda: core.read_namespaced_pod_log("fresh", NS, previous=True),
         'previous terminated container "backup" in pod "fresh" not found'),
        # no container status yet: the kubelet's validateContainerLogStatus says "not available"
        (lambda: core.read_namespaced_pod_log("two", NS, container="a"),
         'container "a" in pod "two" is not available'),
    ]
    for call, message in cases:
        with pytest.raises(ApiException) as caught:
            call()
        assert caught.value.status == 400 and body_of(caught.value)["message"] == message
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log("ghost", NS)
    assert caught.value.status == 404


def test_follow_delivers_lines_appended_after_the_request(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="live", phase="Running"))
    bare.logs.start_instance(NS, "live", "backup")
    bare.logs.append(NS, "live", "backup", "early")
    response = client.CoreV1Api(api).read_namespaced_pod_log("live", NS, follow=True, _preload_content=False)
    # The headers are in: the server has read the log up to "early" and follows it from there.
    bare.logs.append(NS, "live", "backup", "late")
    bare.logs.finish(NS, "live", "backup")
    assert b"".join(response.stream(64)).decode() == "early\nlate\n"


# -- events.k8s.io and metrics ---------------------------------------------------------------------------


def test_events_k8s_io_is_a_view_over_core_events(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    bare.store.create("events", builders.event("BackOff", "Back-off restarting failed container", name="p", uid="u1",
                                               host="node-1", count=3, first="2026-03-21T02:00:00Z",
                                               last="2026-03-21T02:05:00Z"))
    # raw JSON: the typed client rejects such an event's eventTime null (a real apiserver sends it too)
    listed = json.loads(raw(f"/apis/events.k8s.io/v1/namespaces/{NS}/events",
                            fieldSelector="regarding.name=p").read())
    event = listed["items"][0]
    assert (event["regarding"]["name"], event["note"], event["reason"]) == (
        "p", "Back-off restarting failed container", "BackOff")
    # a legacy event has no reportingComponent: the view has no reportingController either
    assert (event["eventTime"], event.get("reportingController"), event["deprecatedCount"]) == (None, None, 3)
    assert event["deprecatedSource"] == {"component": "kubelet", "host": "node-1"}
    core = client.CoreV1Api(api).list_namespaced_event(NS, field_selector="involvedObject.name=p,type=Warning")
    assert core.items[0].message == "Back-off restarting failed container"


def test_metrics_api_answers_from_the_cluster(api: client.ApiClient, bare: Sandbox) -> None:
    bare.store.create("pods", pod(name="p", phase="Running"))
    custom = client.CustomObjectsApi(api)
    assert custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", NS, "pods")["items"] == []

    class Metrics:
        """Only what the metrics endpoint consults; the real Cluster computes usage from its scenarios."""

        def stop(self) -> None:
            pass

        def pod_metrics(self, namespace: str, name: str) -> dict[str, Any]:
            return builders.pod_metrics(name, namespace=namespace, memory="90Mi", at="2026-03-21T02:00:00Z")

    bare.cluster = Metrics()
    found = custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", NS, "pods", "p")
    assert found["containers"][0]["usage"]["memory"] == "90Mi"


# -- faults ----------------------------------------------------------------------------------------------


def test_injected_503_then_success(api: client.ApiClient, bare: Sandbox) -> None:
    bare.faults.fail_next(1, status=503, path_contains="/cronjobs")
    batch = client.BatchV1Api(api)
    with pytest.raises(ApiException) as caught:
        batch.list_namespaced_cron_job(NS)
    assert caught.value.status == 503 and json.loads(caught.value.body)["reason"] == "ServiceUnavailable"
    assert batch.list_namespaced_cron_job(NS).items == []
    assert [r.status for r in bare.requests if r.path.endswith("/cronjobs")] == [503, 200]


def test_injected_429_with_retry_after_is_retried_by_urllib3(api: client.ApiClient, bare: Sandbox) -> None:
    bare.faults.fail_next(2, status=429, retry_after=0, method="GET")
    assert client.BatchV1Api(api).list_namespaced_job(NS).items == []
    assert [r.status for r in bare.requests] == [429, 429, 200]


def test_cut_watch_breaks_the_stream_mid_way(api: client.ApiClient, bare: Sandbox, raw: Any) -> None:
    for name in ("a", "b", "c"):
        bare.store.create("pods", pod(name=name, phase="Running"))
    bare.faults.cut_watches_after(2, once=True)
    response = raw(f"/api/v1/namespaces/{NS}/pods", watch="true", timeoutSeconds="2")
    received = b""
    with pytest.raises(urllib3.exceptions.HTTPError):
        for chunk in response.stream(1024):
            received += chunk
    assert len(received.splitlines()) == 2


def test_cut_log_stream_once(api: client.ApiClient, bare: Sandbox) -> None:
    _logged_pod(bare)
    bare.faults.cut_logs_after(2)
    response = client.CoreV1Api(api).read_namespaced_pod_log("p", NS, _preload_content=False)
    received = b""
    with pytest.raises(urllib3.exceptions.HTTPError):
        for chunk in response.stream(1024):
            received += chunk
    assert received == b"line 0\nline 1\n"
    assert client.CoreV1Api(api).read_namespaced_pod_log("p", NS).count("\n") == 5


def test_down_refuses_connections_and_up_serves_again(api: client.ApiClient, bare: Sandbox) -> None:
    core = client.CoreV1Api(api)
    bare.faults.down()
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.list_namespace(_request_timeout=2)
    bare.faults.up()
    assert len(core.list_namespace().items) == 2


def test_sandbox_restarts_many_times_in_one_process() -> None:
    for _ in range(3):
        with Sandbox(seed=None, controllers=False) as running:
            assert running.port > 0
