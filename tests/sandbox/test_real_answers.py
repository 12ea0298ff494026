"""The sandbox answers as a real kube-apiserver v1.37 does, in each point where it once answered otherwise.

Every test here pins an answer the differential test (tests/controlplane/test_differential.py) recorded from the
real apiserver of scripts/controlplane; docs/differential.md lists them with the sandbox's old answer. Where
kwok is not a kubelet, the kubelet's own code (k8s.io/kubernetes v1.37.2) is cited instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from kubernetes import client

from cronjob_doctor_sandbox import Sandbox

from .conftest import NS

BATCH = f"/apis/batch/v1/namespaces/{NS}"
CORE = f"/api/v1/namespaces/{NS}"


@dataclass
class Wire:
    code: int
    headers: dict[str, str]
    body: Any

    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), self.body
        return self.body


Call = Callable[..., Wire]


@pytest.fixture
def call(api: client.ApiClient) -> Call:
    """call(method, path, query=None, body=None, content_type=...) -> the answer as sent (raw HTTP)."""
    return caller(api)


def caller(api: client.ApiClient) -> Call:
    def send(method: str, path: str, query: dict[str, str] | None = None, body: Any = None,
             content_type: str = "application/json") -> Wire:
        headers = {"Authorization": api.configuration.api_key.get("authorization", ""), "Accept": "*/*"}
        if body is not None:
            headers["Content-Type"] = content_type
        response = api.rest_client.pool_manager.request(
            method, api.configuration.host + path + ("?" + urlencode(query) if query else ""), headers=headers,
            body=json.dumps(body) if body is not None else None)
        kind = (response.headers.get("Content-Type") or "").split(";")[0]
        data = response.data
        watching = bool(query and query.get("watch"))  # newline-delimited events: kept as text
        parsed = json.loads(data) if kind == "application/json" and data and not watching else data.decode()
        return Wire(response.status, dict(response.headers), parsed)
    return send


def cronjob(name: str = "nightly") -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "task", "image": "busybox:1.36"}]}}}}}}


def job(name: str = "worker", *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
            "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": {
                "restartPolicy": "Never", "containers": [{"name": "task", "image": "busybox:1.36"}]}}}}


def pod(name: str = "talker", **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "task", "image": "busybox:1.36"}], **spec}}


# -- object shapes ---------------------------------------------------------------------------------------


def test_jobs_and_cronjobs_always_carry_status_and_their_template_metadata(call: Call) -> None:
    created = call("POST", f"{BATCH}/cronjobs", body=cronjob()).json()
    # real: "jobTemplate": {"metadata": {}, "spec": ...} and "status": {} (Go writes empty structs)
    assert created["status"] == {}
    assert created["spec"]["jobTemplate"]["metadata"] == {}
    assert created["spec"]["jobTemplate"]["spec"]["template"]["metadata"] == {}
    listed = call("GET", f"{BATCH}/cronjobs").json()["items"][0]
    assert (listed["status"], listed["spec"]["jobTemplate"]["metadata"]) == ({}, {})
    worker = call("POST", f"{BATCH}/jobs", body=job()).json()
    # real: SetDefaults_Job sets manualSelector false
    assert (worker["status"], worker["spec"]["manualSelector"]) == ({}, False)


def test_generation_only_where_the_strategy_keeps_one(call: Call, bare: Sandbox) -> None:
    namespace = call("POST", "/api/v1/namespaces", body={"metadata": {"name": "fresh"}}).json()
    assert "generation" not in namespace["metadata"]  # real: namespaces, events have none
    event = call("POST", f"{CORE}/events", body={"metadata": {"name": "e"}, "involvedObject": {
        "kind": "Pod", "name": "p", "namespace": NS}, "reason": "Test", "message": "m"}).json()
    assert "generation" not in event["metadata"]
    assert call("POST", f"{BATCH}/cronjobs", body=cronjob()).json()["metadata"]["generation"] == 1
    assert call("POST", f"{CORE}/pods", body=pod()).json()["metadata"]["generation"] == 1  # pods: since 1.33


def test_a_dry_run_create_is_stamped_but_has_no_resource_version(call: Call) -> None:
    answer = call("POST", f"{BATCH}/cronjobs", {"dryRun": "All"}, body=cronjob())
    meta = answer.json()["metadata"]
    assert answer.code == 201
    assert meta["creationTimestamp"] and meta["uid"] and meta["generation"] == 1
    assert "resourceVersion" not in meta
    assert call("GET", f"{BATCH}/cronjobs/nightly").code == 404


def test_a_job_without_labels_takes_its_templates_including_the_controller_labels(call: Call) -> None:
    worker = call("POST", f"{BATCH}/jobs", body=job()).json()
    uid = worker["metadata"]["uid"]
    assert worker["metadata"]["labels"] == {"app": "worker", "batch.kubernetes.io/controller-uid": uid,
                                            "batch.kubernetes.io/job-name": "worker", "controller-uid": uid,
                                            "job-name": "worker"}
    labelled = call("POST", f"{BATCH}/jobs", body=job("labelled", labels={"team": "data"})).json()
    assert labelled["metadata"]["labels"] == {"team": "data"}


def test_core_events_carry_their_empty_fields_and_the_events_v1_view_converts_field_for_field(
        call: Call) -> None:
    body = {"metadata": {"name": "nightly.1"}, "involvedObject": {"kind": "CronJob", "name": "nightly",
                                                                  "namespace": NS},
            "reason": "Test", "message": "hello", "type": "Normal", "source": {"component": "someone"},
            "count": 1, "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z"}
    created = call("POST", f"{CORE}/events", body=body).json()
    assert (created["eventTime"], created["reportingComponent"], created["reportingInstance"]) == (None, "", "")
    view = call("GET", f"/apis/events.k8s.io/v1/namespaces/{NS}/events").json()["items"][0]
    # real: eventTime stays null, no reportingController (it is reportingComponent, not source.component)
    assert view["eventTime"] is None and "reportingController" not in view
    assert view["deprecatedSource"] == {"component": "someone"}
    assert view["deprecatedFirstTimestamp"] == "2025-01-01T00:00:00Z"


def test_a_created_pod_goes_through_the_default_admission_plugins(call: Call) -> None:
    created = call("POST", f"{CORE}/pods", body=pod()).json()
    spec = created["spec"]
    # ServiceAccount admission: the deprecated serviceAccount field and the projected token volume, mounted
    assert spec["serviceAccount"] == spec["serviceAccountName"] == "default"
    volume = spec["volumes"][0]
    assert volume["name"].startswith("kube-api-access-") and len(volume["name"]) == len("kube-api-access-") + 5
    assert spec["containers"][0]["volumeMounts"] == [{"name": volume["name"], "readOnly": True,
                                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    # DefaultTolerationSeconds admission
    assert [t["key"] for t in spec["tolerations"]] == ["node.kubernetes.io/not-ready",
                                                      "node.kubernetes.io/unreachable"]
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_a_pod_held_by_scheduling_gates_says_so_in_its_status(call: Call) -> None:
    created = call("POST", f"{CORE}/pods", body=pod(schedulingGates=[{"name": "example.com/hold"}])).json()
    [condition] = created["status"]["conditions"]
    assert (condition["type"], condition["status"], condition["reason"], condition["message"]) == (
        "PodScheduled", "False", "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates")


def test_an_access_review_answers_with_empty_metadata_and_no_empty_attributes(call: Call) -> None:
    reviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    answer = call("POST", reviews, body={"spec": {"resourceAttributes": {
        "namespace": NS, "verb": "get", "group": "", "resource": "pods", "subresource": "log"}}})
    assert answer.code == 201
    assert answer.json()["metadata"] == {}
    assert answer.json()["spec"] == {"resourceAttributes": {"namespace": NS, "verb": "get", "resource": "pods",
                                                            "subresource": "log"}}
    empty = call("POST", reviews, body={"spec": {}})
    assert (empty.code, empty.json()["reason"]) == (422, "Invalid")
    assert empty.json()["message"] == (
        '.authorization.k8s.io "" is invalid: spec: Invalid value: null: exactly one of nonResourceAttributes or '
        "resourceAttributes must be specified")
    assert empty.json()["details"] == {"group": "authorization.k8s.io", "causes": [{
        "reason": "FieldValueInvalid", "field": "spec",
        "message": "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be "
                   "specified"}]}


# -- validation ------------------------------------------------------------------------------------------


def _causes(answer: Wire) -> list[tuple[str, str, str]]:
    assert (answer.code, answer.json()["reason"]) == (422, "Invalid"), answer.body
    return [(c["field"], c["reason"], c["message"]) for c in answer.json()["details"]["causes"]]


def test_job_validation_words_and_orders_its_causes_as_validate_job_spec(call: Call) -> None:
    bad = job("bad")
    bad["spec"].update(backoffLimit=-1, parallelism=-1, activeDeadlineSeconds=0)  # 0 is a valid deadline
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    assert _causes(call("POST", f"{BATCH}/jobs", body=bad)) == [
        ("spec.parallelism", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.backoffLimit", "FieldValueInvalid", "Invalid value: -1: must be greater than or equal to 0"),
        ("spec.template.spec.restartPolicy", "FieldValueRequired",
         'Required value: valid values: "OnFailure", "Never"')]
    bad["spec"] = job("bad")["spec"]
    bad["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes"
    assert _causes(call("POST", f"{BATCH}/jobs", body=bad)) == [
        ("spec.template.spec.restartPolicy", "FieldValueNotSupported",
         'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
        ("spec.template.spec.restartPolicy", "FieldValueNotSupported",
         'Unsupported value: "Sometimes": supported values: "OnFailure", "Never"')]


def test_a_long_job_name_fails_on_its_job_name_labels_not_on_the_name(call: Call) -> None:
    name = "j" * 64
    long = job(name)
    assert _causes(call("POST", f"{BATCH}/jobs", body=long)) == [
        # no labels of its own: it takes the template's, job-name included; one cause per distinct value
        ("metadata.labels", "FieldValueInvalid", f'Invalid value: "{name}": must be no more than 63 bytes'),
        ("spec.template.labels", "FieldValueInvalid", f'Invalid value: "{name}": must be no more than 63 bytes')]


def test_cronjob_schedules_as_robfig_cron_and_validate_schedule_format_see_them(call: Call) -> None:
    short = cronjob("short")
    short["spec"]["schedule"] = "0 3 * *"
    assert _causes(call("POST", f"{BATCH}/cronjobs", body=short)) == [
        ("spec.schedule", "FieldValueInvalid", 'Invalid value: "0 3 * *": expected exactly 5 fields, found 4: '
                                               "[0 3 * *]")]
    zoned = cronjob("zoned")
    zoned["spec"]["schedule"] = "CRON_TZ=Europe/Berlin 0 3 * * *"
    assert _causes(call("POST", f"{BATCH}/cronjobs", body=zoned)) == [
        ("spec.schedule", "FieldValueInvalid", 'Invalid value: "CRON_TZ=Europe/Berlin 0 3 * * *": cannot use TZ '
                                               "or CRON_TZ in schedule, use timeZone field instead")]


def test_a_cronjob_that_already_had_tz_in_its_schedule_may_keep_it(call: Call, bare: Sandbox) -> None:
    stored = cronjob("legacy")
    stored["metadata"]["namespace"] = NS
    stored["spec"]["schedule"] = "TZ=UTC 0 3 * * *"
    bare.store.create("cronjobs", stored)  # made before the rule, as old clusters have them
    answer = call("PATCH", f"{BATCH}/cronjobs/legacy", body={"spec": {"suspend": True}},
                  content_type="application/merge-patch+json")
    assert answer.code == 200, answer.body


def test_an_update_that_changes_only_metadata_keeps_the_generation(call: Call) -> None:
    call("POST", f"{BATCH}/cronjobs", body=cronjob())
    patched = call("PATCH", f"{BATCH}/cronjobs/nightly", body={"metadata": {"labels": {"x": "y"}}},
                   content_type="application/merge-patch+json")
    assert patched.json()["metadata"]["generation"] == 1
    changed = call("PATCH", f"{BATCH}/cronjobs/nightly", body={"spec": {"suspend": True}},
                   content_type="application/merge-patch+json")
    assert changed.json()["metadata"]["generation"] == 2


# -- selectors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("selector", "message"), [
    ("tier in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("a,", "found '', expected: identifier after ','"),
    ("tier>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
               "must be an integer"),
    ("tier=a$b", "unable to parse requirement: values[0][tier]: Invalid value: \"a$b\": a valid label must be an "
                 "empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                 "an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation "
                 "is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
    ("-tier=a", "unable to parse requirement: <nil>: Invalid value: \"-tier\": name part must consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
])
def test_a_bad_label_selector_gets_the_parsers_own_message(call: Call, selector: str, message: str) -> None:
    answer = call("GET", f"{BATCH}/cronjobs", {"labelSelector": selector})
    assert (answer.code, answer.json()["reason"], answer.json()["message"]) == (400, "BadRequest", message)


def test_label_selectors_the_parser_accepts(call: Call, bare: Sandbox) -> None:
    for name, labels in (("a", {"tier": "a"}), ("b", {"tier": "b", "x": "1"}), ("c", {})):
        bare.store.create("pods", {"metadata": {"name": name, "namespace": NS, "labels": labels},
                                   "spec": {"containers": []}})

    def names(selector: str) -> list[str]:
        return [p["metadata"]["name"] for p in call("GET", f"{CORE}/pods", {"labelSelector": selector})
                .json()["items"]]

    assert names("tier in (a,,b),!x") == ["a"]
    assert names("tier notin ()") == ["a", "b", "c"]
    assert names("x>0") == ["b"] and names("tier==b") == ["b"] and names("tier=") == []


@pytest.mark.parametrize(("path", "message"), [
    (f"{BATCH}/cronjobs", '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    (f"{BATCH}/jobs", 'field label "spec.x" not supported for Job'),
    (f"{CORE}/pods", "field label not supported: spec.x"),
    (f"/apis/events.k8s.io/v1/namespaces/{NS}/events", "field label not supported: spec.x"),
])
def test_an_unsupported_field_selector_gets_its_resources_message(call: Call, path: str, message: str) -> None:
    answer = call("GET", path, {"fieldSelector": "spec.x=y"})
    assert (answer.code, answer.json()["message"]) == (400, message)


def test_events_v1_selects_by_its_own_field_names_only(call: Call) -> None:
    path = f"/apis/events.k8s.io/v1/namespaces/{NS}/events"
    assert call("GET", path, {"fieldSelector": "regarding.name=x,reportingController=y"}).code == 200
    refused = call("GET", path, {"fieldSelector": "involvedObject.name=x"})
    assert (refused.code, refused.json()["message"]) == (400, "field label not supported: involvedObject.name")
    # and pods keep the old spelling spec.host (converted to spec.nodeName)
    assert call("GET", f"{CORE}/pods", {"fieldSelector": "spec.host=nowhere"}).code == 200


# -- watches ---------------------------------------------------------------------------------------------


def _events(answer: Wire) -> list[dict[str, Any]]:
    assert answer.code == 200, answer.body
    return [json.loads(line) for line in answer.body.splitlines() if line]


def _status(answer: Wire) -> dict[str, Any]:
    return json.loads(answer.body) if isinstance(answer.body, str) else answer.json()


def test_a_watch_from_nothing_ends_its_initial_events_with_an_annotated_bookmark(call: Call, bare: Sandbox) -> None:
    call("POST", f"{BATCH}/cronjobs", body=cronjob())
    events = _events(call("GET", f"{BATCH}/cronjobs", {"watch": "1", "allowWatchBookmarks": "true",
                                                       "timeoutSeconds": "1"}))
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    end = events[1]["object"]
    # the WatchList defaults: sendInitialEvents for a watch from "" or "0"; the BOOKMARK is an empty CronJob
    assert end == {"kind": "CronJob", "apiVersion": "batch/v1", "metadata": {
        "resourceVersion": str(bare.store.resource_version), "annotations": {"k8s.io/initial-events-end": "true"}},
        "spec": {"schedule": "", "jobTemplate": {"metadata": {}, "spec": {"template": {
            "metadata": {}, "spec": {"containers": None}}}}}, "status": {}}
    plain = _events(call("GET", f"{BATCH}/cronjobs", {"watch": "1", "resourceVersion": "0", "timeoutSeconds": "1"}))
    assert [e["type"] for e in plain] == ["ADDED"]
    none = _events(call("GET", f"{BATCH}/cronjobs", {"watch": "1", "resourceVersion": "0", "timeoutSeconds": "1",
                                                     "sendInitialEvents": "false"}))
    assert none == []


@pytest.fixture
def minute_bookmarks(tmp_path: Path) -> Iterator[tuple[Sandbox, Call]]:
    """A sandbox with the default bookmark interval (a real apiserver's minute), and a `call` for it."""
    from kubernetes import config

    sandbox = Sandbox(seed=None, controllers=False).start()
    sandbox.store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    api = config.new_client_from_config(str(sandbox.write_kubeconfig(tmp_path / "kubeconfig")))
    try:
        yield sandbox, caller(api)
    finally:
        api.close()
        sandbox.stop()


def test_a_bookmark_comes_two_seconds_before_the_timeout_once_the_version_moved(
        minute_bookmarks: tuple[Sandbox, Call]) -> None:
    sandbox, send = minute_bookmarks
    since = send("GET", f"{CORE}/pods").json()["metadata"]["resourceVersion"]
    quiet = _events(send("GET", f"{CORE}/pods", {"watch": "1", "resourceVersion": since, "timeoutSeconds": "3",
                                                 "allowWatchBookmarks": "true"}))
    assert quiet == []  # nothing moved: the watch cache sends no bookmark
    sandbox.store.create("secrets", {"metadata": {"name": "s", "namespace": NS}})
    moved = _events(send("GET", f"{CORE}/pods", {"watch": "1", "resourceVersion": since, "timeoutSeconds": "3",
                                                 "allowWatchBookmarks": "true"}))
    assert [e["type"] for e in moved] == ["BOOKMARK"]  # at about 1 s: timeoutSeconds - 2, not every second
    assert moved[0]["object"]["metadata"] == {"resourceVersion": str(sandbox.store.resource_version)}
    assert moved[0]["object"]["spec"] == {"containers": None}


def test_an_unparsable_resource_version_is_a_500_for_a_watch_and_a_400_for_a_list(call: Call) -> None:
    watched = call("GET", f"{BATCH}/cronjobs", {"watch": "1", "resourceVersion": "abc"})
    problem = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'
    assert (watched.code, _status(watched)["message"], "reason" in _status(watched)) == (500, problem, False)
    listed = call("GET", f"{BATCH}/cronjobs", {"resourceVersion": "abc"})
    assert (listed.code, listed.json()["reason"], listed.json()["message"]) == (
        400, "BadRequest", f"invalid resource version: {problem}")


# -- deletes ---------------------------------------------------------------------------------------------


def _job_with_pod(bare: Sandbox, call: Call, name: str) -> dict[str, Any]:
    created = call("POST", f"{BATCH}/jobs", body=job(name)).json()
    bare.store.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": f"{name}-abcde", "namespace": NS, "labels": {"job-name": name},
        "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name,
                             "uid": created["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"containers": [{"name": "task", "image": "busybox:1.36"}]}})
    return created


def test_preconditions_that_do_not_hold_are_conflicts_in_rest_before_deletes_words(call: Call) -> None:
    created = call("POST", f"{BATCH}/cronjobs", body=cronjob()).json()
    uid = created["metadata"]["uid"]
    other = "00000000-0000-0000-0000-000000000000"
    answer = call("DELETE", f"{BATCH}/cronjobs/nightly", body={"preconditions": {"uid": other}})
    assert (answer.code, answer.json()["reason"]) == (409, "Conflict")
    assert answer.json()["message"] == (
        f'Operation cannot be fulfilled on CronJob.batch "nightly": the UID in the precondition ({other}) does not '
        f"match the UID in record ({uid}). The object might have been deleted and then recreated")
    assert answer.json()["details"] == {"name": "nightly", "group": "batch", "kind": "CronJob"}
    stale = call("DELETE", f"{BATCH}/cronjobs/nightly", body={"preconditions": {"resourceVersion": "1"}})
    assert stale.code == 409 and stale.json()["message"].endswith(
        f'the ResourceVersion in the precondition (1) does not match the ResourceVersion in record '
        f'({created["metadata"]["resourceVersion"]}). The object might have been modified')
    assert call("DELETE", f"{BATCH}/cronjobs/nightly", body={"preconditions": {"uid": uid}}).code == 200


def test_an_unknown_propagation_policy_is_invalid_delete_options(call: Call) -> None:
    call("POST", f"{BATCH}/cronjobs", body=cronjob())
    answer = call("DELETE", f"{BATCH}/cronjobs/nightly", {"propagationPolicy": "Sometimes"})
    assert (answer.code, answer.json()["details"]["kind"], answer.json()["details"]["group"]) == (
        422, "DeleteOptions", "meta.k8s.io")
    assert answer.json()["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sometimes": supported '
        'values: "Foreground", "Background", "Orphan", "nil"')


@pytest.mark.parametrize(("query", "finalizer", "warned"), [
    ({"propagationPolicy": "Foreground"}, "foregroundDeletion", False),
    ({"propagationPolicy": "Orphan"}, "orphan", False),
    ({}, "orphan", True),  # batch/v1 Jobs orphan their pods by default, and say so
])
def test_a_job_deleted_with_a_gc_finalizer_is_answered_as_the_object_being_deleted(
        call: Call, bare: Sandbox, query: dict[str, str], finalizer: str, warned: bool) -> None:
    _job_with_pod(bare, call, "worker")
    answer = call("DELETE", f"{BATCH}/jobs/worker", query)
    meta = answer.json()["metadata"]
    assert (answer.code, answer.json()["kind"], meta["finalizers"], meta["deletionGracePeriodSeconds"]) == (
        200, "Job", [finalizer], 0)
    assert meta["deletionTimestamp"] and meta["generation"] == 2
    assert ("child pods are preserved by default" in answer.headers.get("Warning", "")) is warned
    # the garbage collector's part is done at once: the Job is gone, its pod deleted or orphaned
    assert bare.store.find("jobs", NS, "worker") is None
    left = bare.store.find("pods", NS, "worker-abcde")
    assert (left is None) if finalizer == "foregroundDeletion" else ("ownerReferences" not in left["metadata"])


def test_a_background_delete_answers_with_a_status(call: Call, bare: Sandbox) -> None:
    created = _job_with_pod(bare, call, "worker")
    answer = call("DELETE", f"{BATCH}/jobs/worker", {"propagationPolicy": "Background"})
    assert answer.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                             "details": {"name": "worker", "group": "batch", "kind": "jobs",
                                         "uid": created["metadata"]["uid"]}}
    assert "Warning" not in answer.headers


def test_a_finalizer_of_someone_else_keeps_the_object_until_it_is_removed(call: Call) -> None:
    body = cronjob()
    body["metadata"]["finalizers"] = ["example.com/keep"]
    call("POST", f"{BATCH}/cronjobs", body=body)
    deleting = call("DELETE", f"{BATCH}/cronjobs/nightly", {"propagationPolicy": "Background"}).json()
    assert deleting["metadata"]["finalizers"] == ["example.com/keep"] and deleting["metadata"]["deletionTimestamp"]
    assert call("GET", f"{BATCH}/cronjobs/nightly").code == 200
    call("PATCH", f"{BATCH}/cronjobs/nightly", body={"metadata": {"finalizers": None}},
         content_type="application/merge-patch+json")
    assert call("GET", f"{BATCH}/cronjobs/nightly").code == 404


def test_pods_are_deleted_gracefully_when_a_node_runs_them(call: Call, bare: Sandbox) -> None:
    unscheduled = call("POST", f"{CORE}/pods", body=pod("gated")).json()
    gone = call("DELETE", f"{CORE}/pods/gated").json()
    # not scheduled: at once, answered with the deletion it went through
    assert (gone["metadata"]["deletionGracePeriodSeconds"], gone["metadata"]["generation"]) == (0, 2)
    assert gone["metadata"]["uid"] == unscheduled["metadata"]["uid"] and call("GET", f"{CORE}/pods/gated").code == 404
    call("POST", f"{CORE}/pods", body=pod("running"))
    bare.store.mutate("pods", NS, "running", lambda p: p["spec"].update(nodeName="sandbox-node-1"))
    assert bare.store.get("pods", NS, "running")["metadata"]["generation"] == 1  # binding: no new generation
    pending = call("DELETE", f"{CORE}/pods/running").json()
    assert (pending["metadata"]["deletionGracePeriodSeconds"], pending["metadata"]["generation"]) == (30, 2)
    assert call("GET", f"{CORE}/pods/running").code == 200  # until the kubelet (none here) stopped it
    assert call("DELETE", f"{CORE}/pods/running", {"gracePeriodSeconds": "0"}).code == 200
    assert call("GET", f"{CORE}/pods/running").code == 404


def test_a_namespace_is_answered_terminating(call: Call, bare: Sandbox) -> None:
    call("POST", "/api/v1/namespaces", body={"metadata": {"name": "doomed"}})
    answer = call("DELETE", "/api/v1/namespaces/doomed").json()
    assert (answer["kind"], answer["status"], answer["spec"]) == ("Namespace", {"phase": "Terminating"},
                                                                  {"finalizers": ["kubernetes"]})
    assert answer["metadata"]["deletionTimestamp"] and "deletionGracePeriodSeconds" not in answer["metadata"]
    assert bare.store.find("namespaces", "", "doomed") is None  # the namespace controller's work, done at once


# -- pods/log --------------------------------------------------------------------------------------------


def test_the_log_of_a_pod_no_node_runs_is_a_204_without_a_type(call: Call) -> None:
    call("POST", f"{CORE}/pods", body=pod("gated", schedulingGates=[{"name": "example.com/hold"}]))
    answer = call("GET", f"{CORE}/pods/gated/log", {"container": "task"})
    # LogLocation: "If pod has not been assigned a host, return an empty location"; StreamObject: 204
    assert (answer.code, answer.body, "Content-Type" in answer.headers) == (204, "", False)
    # the container is checked first
    wrong = call("GET", f"{CORE}/pods/gated/log", {"container": "nope"})
    assert (wrong.code, wrong.json()["message"]) == (400, "container nope is not valid for pod gated")


@pytest.mark.parametrize(("since", "message"), [
    ("yesterday", 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'),
    ("2025-01-01", 'parsing time "2025-01-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'),
    ("2025-01-01T00:00:00", 'parsing time "2025-01-01T00:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" '
                            'as "Z07:00"'),
    ("2025-13-01T00:00:00Z", 'parsing time "2025-13-01T00:00:00Z": month out of range'),
])
def test_a_bad_since_time_gets_go_time_parse_message(call: Call, since: str, message: str) -> None:
    # decoded with the options, before the pod is looked up
    answer = call("GET", f"{CORE}/pods/nope/log", {"sinceTime": since})
    assert (answer.code, answer.json()["reason"], answer.json()["message"]) == (400, "BadRequest", message)


@pytest.mark.parametrize(("state", "message"), [
    (None, 'container "task" in pod "p" is not available'),
    ({"waiting": {"reason": "ContainerCreating"}}, 'container "task" in pod "p" is waiting to start: '
                                                   "ContainerCreating"),
    ({"waiting": {"reason": "ErrImagePull"}}, 'container "task" in pod "p" is waiting to start: image can\'t be '
                                              "pulled"),
    ({"waiting": {"reason": "ImagePullBackOff"}}, 'container "task" in pod "p" is waiting to start: trying and '
                                                  "failing to pull image"),
])
def test_a_container_without_a_log_is_explained_in_the_kubelets_words(
        call: Call, bare: Sandbox, state: dict[str, Any] | None, message: str) -> None:
    """kwok serves a file whatever the container's state; a kubelet says why there is no log
    (pkg/kubelet/kubelet_pods.go validateContainerLogStatus, v1.37.2)."""
    statuses = [] if state is None else [{"name": "task", "state": state, "restartCount": 0}]
    bare.store.create("pods", {"metadata": {"name": "p", "namespace": NS}, "spec": {
        "nodeName": "sandbox-node-1", "containers": [{"name": "task", "image": "busybox:1.36"}]},
        "status": {"phase": "Pending", "containerStatuses": statuses}})
    answer = call("GET", f"{CORE}/pods/p/log")
    assert (answer.code, answer.json()["reason"], answer.json()["message"]) == (400, "BadRequest", message)
