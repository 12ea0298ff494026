"""The sandbox answers like the real thing: one scripted sequence of API calls, run against both, compared.

SCRIPT (the `script` function below) runs against a Sandbox started here and against the real kube-apiserver
of scripts/controlplane, through raw HTTP with each kubeconfig's credentials (tests/controlplane/
differential.py). Every step's answer (status code, content type, Warning headers, body) is normalised and
recorded; `test_the_sandbox_answers_like_the_real_apiserver` compares the two transcripts step by step and
lists every difference. docs/differential.md says what is covered and what each difference found was.

Normalised (differential.Normaliser), because they differ between any two runs, even of the same server:
uids, resourceVersions, continue tokens, timestamps (RFC 3339 values), the namespace's random name, names
generated from generateName or a Job's name, and the numbers in "too old resource version: N (M)".
Left out of the comparison, each with its reason (EXCLUSIONS): see the dict below.
"""

from __future__ import annotations

import difflib
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cronjob_doctor_sandbox import Sandbox
from tests.controlplane import helpers
from tests.controlplane.differential import (
    Answer,
    Backend,
    Json,
    Normaliser,
    RealBackend,
    SandboxBackend,
    generated,
    wait_gone,
)

pytestmark = pytest.mark.controlplane

SCENARIO = "sandbox.cronjob-doctor.io/scenario"
IMAGE = "registry.example/cronjob-doctor/task:1.0"
CURRENT_LOG = ["starting backup", "copied 3 files", "verifying", "done"]
PREVIOUS_LOG = ["starting backup", "panic: connection reset"]


EXCLUSIONS: dict[str, str] = {
    "metadata.managedFields": "server-side apply's field ownership: the sandbox has no server-side apply and the "
                              "product never reads it",
    "the status of a pod bound to a node": "written by kwok on the real side, by the sandbox's kubelet on the "
                                           "other; kwok is not a kubelet (controlplane/README.md, Known "
                                           "differences). The kubelet's shapes are pinned by the sandbox's own "
                                           "tests; the spec and metadata of such pods are compared",
    "periodic watch BOOKMARKs": "when they come (every minute and about 2 s before timeoutSeconds, only once "
                                "the resourceVersion moved) depends on the apiserver's bookmark timer and etcd's "
                                "progress notifications; they are compared by shape (test_periodic_bookmarks_"
                                "look_alike), the initial-events-end BOOKMARK in place",
    "the message of a pods/log 400 for previous=true without a previous instance": "kwok's wording (`failed to "
        "read log file`) is not a kubelet's (`previous terminated container ... not found`, kept by the "
        "sandbox: tests/sandbox/test_real_answers.py); code and reason are compared",
    "status.reason of an allowed SelfSubjectAccessReview": "names what allowed it: the admin kubeconfig is "
        "system:masters, which the authorizer allows before RBAC and without a reason; the sandbox's user is "
        "allowed by a ClusterRoleBinding and says so in RBAC's words. Denials are compared in tests/controlplane/"
        "test_plumbing.py",
}


# ----------------------------------------------------------------------------------------------- manifests


def pod_template(labels: dict[str, str] | None = None) -> dict[str, Any]:
    """Pods that run until deleted on both: kwok's run-forever Stage, the sandbox's `hang` scenario."""
    return {"metadata": {"labels": {helpers.BEHAVIOUR_LABEL: "run-forever", **(labels or {})},
                         "annotations": {SCENARIO: "hang"}},
            "spec": {"restartPolicy": "Never",
                     "containers": [{"name": "task", "image": IMAGE, "command": ["/bin/task"]}]}}


def cronjob(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name, "labels": labels},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"backoffLimit": 0,
                                                                        "template": pod_template()}}}}


def job(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"backoffLimit": 0, "template": pod_template({"app": name}), **spec}}


def pod(name: str, **spec: Any) -> dict[str, Any]:
    template = pod_template({"app": name})
    template["spec"]["containers"].append({"name": "sidecar", "image": IMAGE, "command": ["/bin/sidecar"]})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **template["metadata"]},
            "spec": {**template["spec"], **spec}}


def event(name: str, namespace: str, about: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
            "involvedObject": {"apiVersion": "batch/v1", "kind": "CronJob", "name": about, "namespace": namespace},
            "reason": "Differential", "message": "written by the differential test", "type": "Normal",
            "source": {"component": "differential-test"}, "count": 1,
            "firstTimestamp": "2025-01-01T00:00:00Z", "lastTimestamp": "2025-01-01T00:00:00Z"}


def access_review(namespace: str, verb: str, resource: str, group: str = "",
                  subresource: str = "") -> dict[str, Any]:
    attributes = {"namespace": namespace, "verb": verb, "group": group, "resource": resource}
    if subresource:
        attributes["subresource"] = subresource
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}


MERGE_PATCH = "application/merge-patch+json"


# -------------------------------------------------------------------------------------------------- script


class Transcript:
    """The answers of one backend, by step name (numbered in the script's order), normalised at the end."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.normalise = Normaliser()
        self.raw: dict[str, Answer] = {}
        self.steps: dict[str, Json] = {}
        self.bookmarks: dict[str, list[Json]] = {}
        """The periodic BOOKMARKs of each watch: when they come is the server's business (see EXCLUSIONS)."""

    def __call__(self, step: str, answer: Answer) -> Answer:
        self.raw[f"{len(self.raw) + 1:02d}-{step}"] = answer
        return answer

    def finish(self) -> None:
        """Normalise once every run-specific name is known (a Job's pod names appear late)."""
        for step, answer in self.raw.items():
            body = answer.body
            if answer.watch and isinstance(body, list):
                self.bookmarks[step] = [self.normalise(e) for e in body if periodic_bookmark(e)]
                body = [e for e in body if not periodic_bookmark(e)]
            normalised = self.normalise({"code": answer.code, "contentType": answer.content_type,
                                         "warnings": answer.warnings, "body": body})
            exclude = STEP_EXCLUSIONS.get(step.split("-", 1)[1])
            self.steps[step] = exclude(normalised) if exclude else normalised


def _without_allowed_reason(answer: Json) -> Json:
    status = answer["body"].get("status") if isinstance(answer["body"], dict) else None
    if isinstance(status, dict) and status.get("allowed") is True:
        status.pop("reason", None)
    return answer


def _without_message(answer: Json) -> Json:
    if isinstance(answer["body"], dict):
        answer["body"].pop("message", None)
    return answer


STEP_EXCLUSIONS: dict[str, Callable[[Json], Json]] = {
    # each applies one entry of EXCLUSIONS, to the step named
    "access-review-create-jobs": _without_allowed_reason,
    "access-review-pods-log": _without_allowed_reason,
    "log-previous-missing": _without_message,
}


def periodic_bookmark(event: Json) -> bool:
    """A BOOKMARK other than the one that ends the initial events (which comes at a fixed place)."""
    if not isinstance(event, dict) or event.get("type") != "BOOKMARK":
        return False
    annotations = ((event.get("object") or {}).get("metadata") or {}).get("annotations") or {}
    return annotations.get("k8s.io/initial-events-end") != "true"


def script(b: Backend, t: Transcript, tmp: Path) -> None:
    """The scripted sequence. Steps are named `NN-what`; only what the API answers is recorded."""
    w = b.wire
    ns = f"diff-{secrets.token_hex(3)}"
    t.normalise.alias(ns, "<ns>")
    core, batch = f"/api/v1/namespaces/{ns}", f"/apis/batch/v1/namespaces/{ns}"
    missing = f"{ns}-missing"

    # -- namespaces, 404s --------------------------------------------------------------------------------
    t("create-namespace", w.call("POST", "/api/v1/namespaces", body={
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"differential": "yes"}}}))
    b.cleanups.append(lambda: w.call("DELETE", f"/api/v1/namespaces/{ns}"))
    b.settle_namespace(ns)
    t("get-namespace", w.call("GET", f"/api/v1/namespaces/{ns}"))
    t("get-missing-namespace", w.call("GET", f"/api/v1/namespaces/{missing}"))
    t("create-in-missing-namespace", w.call("POST", f"/apis/batch/v1/namespaces/{missing}/cronjobs",
                                               body=cronjob("nightly", {})))
    t("list-in-missing-namespace", w.call("GET", f"/apis/batch/v1/namespaces/{missing}/cronjobs"))
    t("get-missing-cronjob", w.call("GET", f"{batch}/cronjobs/nope"))

    # -- create (dry run too), get, 409, 422 ---------------------------------------------------------------
    t("create-cronjob-dry-run", w.call("POST", f"{batch}/cronjobs", {"dryRun": "All"},
                                          body=cronjob("nightly", {"tier": "a"})))
    t("get-after-dry-run", w.call("GET", f"{batch}/cronjobs/nightly"))
    created = t("create-cronjob", w.call("POST", f"{batch}/cronjobs", body=cronjob("nightly", {"tier": "a"})))
    t("create-cronjob-weekly", w.call("POST", f"{batch}/cronjobs", body=cronjob("weekly", {"tier": "b"})))
    t("create-cronjob-monthly", w.call("POST", f"{batch}/cronjobs", body=cronjob("monthly", {"tier": "a"})))
    t("create-cronjob-again", w.call("POST", f"{batch}/cronjobs", body=cronjob("nightly", {"tier": "a"})))
    t("get-cronjob", w.call("GET", f"{batch}/cronjobs/nightly"))
    t("patch-cronjob", w.call("PATCH", f"{batch}/cronjobs/nightly", body={"metadata": {"labels": {
        "patched": "yes"}}}, content_type=MERGE_PATCH))
    stale = created.json()
    stale["metadata"]["labels"]["stale"] = "yes"
    t("update-stale-resource-version", w.call("PUT", f"{batch}/cronjobs/nightly", body=stale))
    t("patch-stale-resource-version", w.call("PATCH", f"{batch}/cronjobs/nightly", body={"metadata": {
        "resourceVersion": created.json()["metadata"]["resourceVersion"], "labels": {"stale": "yes"}}},
        content_type=MERGE_PATCH))
    t("create-invalid-name", w.call("POST", f"{batch}/cronjobs", body=cronjob("Nightly_Backup", {})))
    t("create-cronjob-name-too-long", w.call("POST", f"{batch}/cronjobs", body=cronjob("c" * 53, {})))
    long_name = job("j" * 64)
    del long_name["metadata"]["labels"], long_name["spec"]["template"]["metadata"]["labels"]["app"]
    t("create-job-name-too-long", w.call("POST", f"{batch}/jobs", body=long_name))
    bad_schedule = cronjob("bad-schedule", {})
    bad_schedule["spec"]["schedule"] = "0 3 * *"
    t("create-invalid-schedule", w.call("POST", f"{batch}/cronjobs", body=bad_schedule))
    tz_schedule = cronjob("tz-schedule", {})
    tz_schedule["spec"]["schedule"] = "CRON_TZ=Europe/Berlin 0 3 * * *"
    t("create-tz-in-schedule", w.call("POST", f"{batch}/cronjobs", body=tz_schedule))
    bad_job = job("bad-job", backoffLimit=-1, parallelism=-1, activeDeadlineSeconds=0)
    bad_job["spec"]["template"]["spec"]["restartPolicy"] = "Always"
    t("create-invalid-job", w.call("POST", f"{batch}/jobs", body=bad_job))
    bad_policy = job("bad-policy")
    bad_policy["spec"]["template"]["spec"]["restartPolicy"] = "Sometimes"
    t("create-invalid-restart-policy", w.call("POST", f"{batch}/jobs", body=bad_policy))
    t("create-job-dry-run", w.call("POST", f"{batch}/jobs", {"dryRun": "All"}, body=job("worker-bg")))
    unlabelled = job("unlabelled")
    del unlabelled["metadata"]["labels"]
    t("create-unlabelled-job-dry-run", w.call("POST", f"{batch}/jobs", {"dryRun": "All"}, body=unlabelled))
    t("get-job-after-dry-run", w.call("GET", f"{batch}/jobs/worker-bg"))

    # -- lists: pagination, label and field selectors ------------------------------------------------------
    first = t("list-page-1", w.call("GET", f"{batch}/cronjobs", {"limit": "2"}))
    t("list-page-2", w.call("GET", f"{batch}/cronjobs", {"limit": "2",
                                                          "continue": first.json()["metadata"]["continue"]}))
    t("list-label-selector", w.call("GET", f"{batch}/cronjobs", {"labelSelector": "tier=b"}))
    t("list-set-selector", w.call("GET", f"{batch}/cronjobs", {"labelSelector": "tier in (a),!patched"}))
    t("list-label-selector-paged", w.call("GET", f"{batch}/cronjobs", {"labelSelector": "tier=a",
                                                                         "limit": "1"}))
    t("list-field-selector", w.call("GET", f"{batch}/cronjobs", {"fieldSelector": "metadata.name=weekly"}))
    t("list-field-selector-unsupported", w.call("GET", f"{batch}/cronjobs",
                                                   {"fieldSelector": "spec.schedule=x"}))
    for index, selector in enumerate(("tier in (a", "tier=a$b", "-tier=a", "tier>x", "a b", "a,")):
        t(f"list-label-selector-invalid-{index}", w.call("GET", f"{batch}/cronjobs", {"labelSelector": selector}))
    t("list-jobs-field-selector-unsupported", w.call("GET", f"{batch}/jobs", {"fieldSelector": "spec.x=y"}))
    t("list-pods-field-selector-unsupported", w.call("GET", f"{core}/pods", {"fieldSelector": "spec.x=y"}))
    t("list-pods-field-selector", w.call("GET", f"{core}/pods", {"fieldSelector": "spec.host=nowhere"}))
    t("list-invalid-resource-version", w.call("GET", f"{batch}/cronjobs", {"resourceVersion": "abc"}))
    t("create-event", w.call("POST", f"{core}/events", body=event("nightly.differential", ns, "nightly")))
    t("list-events-involved-object", w.call("GET", f"{core}/events", {
        "fieldSelector": "involvedObject.name=nightly,involvedObject.kind=CronJob"}))
    t("list-events-v1-regarding", w.call("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events", {
        "fieldSelector": "regarding.name=nightly"}))
    t("list-events-v1-core-field-name", w.call("GET", f"/apis/events.k8s.io/v1/namespaces/{ns}/events", {
        "fieldSelector": "involvedObject.name=nightly"}))

    # -- watches -------------------------------------------------------------------------------------------
    since = t("list-before-watch", w.call("GET", f"{batch}/cronjobs")).json()["metadata"]["resourceVersion"]

    def changes() -> None:
        t("patch-during-watch", w.call("PATCH", f"{batch}/cronjobs/weekly", body={"metadata": {"labels": {
            "watched": "yes"}}}, content_type=MERGE_PATCH))
        t("delete-during-watch", w.call("DELETE", f"{batch}/cronjobs/monthly"))

    t("watch-from-resource-version", w.watch(f"{batch}/cronjobs", {
        "resourceVersion": since, "allowWatchBookmarks": "true", "timeoutSeconds": "5"}, changes))
    t("watch-initial-events", w.watch(f"{batch}/cronjobs", {
        "labelSelector": "tier=b", "allowWatchBookmarks": "true", "timeoutSeconds": "4"}))
    t("watch-initial-events-no-bookmarks", w.watch(f"{batch}/cronjobs", {
        "resourceVersion": "0", "fieldSelector": "metadata.name=nightly", "timeoutSeconds": "2"}))
    t("watch-too-old", w.watch(f"{batch}/cronjobs", {
        "resourceVersion": b.too_old_resource_version(), "allowWatchBookmarks": "true", "timeoutSeconds": "4"}))
    t("watch-invalid-resource-version", w.watch(f"{batch}/cronjobs", {"resourceVersion": "abc",
                                                                        "timeoutSeconds": "2"}))

    # -- SelfSubjectAccessReview ---------------------------------------------------------------------------
    reviews = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    t("access-review-create-jobs", w.call("POST", reviews, body=access_review(ns, "create", "jobs", "batch")))
    t("access-review-pods-log", w.call("POST", reviews, body=access_review(ns, "get", "pods", "", "log")))
    t("access-review-empty", w.call("POST", reviews, body={"apiVersion": "authorization.k8s.io/v1",
                                                               "kind": "SelfSubjectAccessReview", "spec": {}}))

    # -- pods and pods/log ---------------------------------------------------------------------------------
    t("create-pod", w.call("POST", f"{core}/pods", body=pod("talker")))
    t("create-gated-pod", w.call("POST", f"{core}/pods", body=pod(
        "gated", schedulingGates=[{"name": "example.com/hold"}])))
    b.wait(lambda: w.call("GET", f"{core}/pods/talker").json().get("status", {}).get("phase") == "Running",
           "pod talker Running")
    b.serve_logs(ns, "talker", current=CURRENT_LOG, previous=PREVIOUS_LOG, tmp=tmp)
    log = f"{core}/pods/talker/log"

    def logs(step: str, **query: str) -> None:
        t(step, w.call("GET", log, query, accept="*/*"))

    logs("log", container="task")
    logs("log-without-container")
    logs("log-timestamps", container="task", timestamps="true")
    logs("log-since-time", container="task", timestamps="true", sinceTime="2025-01-01T00:00:02Z")
    logs("log-tail-lines", container="task", tailLines="2")
    logs("log-tail-and-since", container="task", tailLines="3", sinceTime="2025-01-01T00:00:02Z")
    logs("log-limit-bytes", container="task", limitBytes="20")
    logs("log-previous", container="task", previous="true")
    logs("log-previous-missing", container="sidecar", previous="true")
    logs("log-invalid-container", container="nope")
    logs("log-invalid-since-time", container="task", sinceTime="yesterday")
    t("log-follow", w.follow(log, {"container": "task", "timestamps": "true"}, lines=3))
    t("log-missing-pod", w.call("GET", f"{core}/pods/nope/log", accept="*/*"))
    t("log-gated-pod", w.call("GET", f"{core}/pods/gated/log", {"container": "task"}, accept="*/*"))

    # -- deletes: preconditions, propagation policies ------------------------------------------------------
    uid = created.json()["metadata"]["uid"]
    t("delete-precondition-uid-mismatch", w.call("DELETE", f"{batch}/cronjobs/nightly", body={
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}}))
    t("delete-precondition-rv-mismatch", w.call("DELETE", f"{batch}/cronjobs/nightly", body={
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"resourceVersion": "1"}}))
    t("delete-precondition-uid-match", w.call("DELETE", f"{batch}/cronjobs/nightly", body={
        "apiVersion": "v1", "kind": "DeleteOptions", "preconditions": {"uid": uid}, "propagationPolicy": "Background"}))
    t("delete-missing", w.call("DELETE", f"{batch}/cronjobs/nightly"))
    t("delete-invalid-policy", w.call("DELETE", f"{batch}/cronjobs/weekly", {"propagationPolicy": "Sometimes"}))

    names = ("worker-bg", "worker-fg", "worker-orphan", "worker-default")
    for name in names:
        t(f"create-job-{name}", w.call("POST", f"{batch}/jobs", body=job(name)))
    for name in names:
        pods = b.wait(lambda name=name: w.call("GET", f"{core}/pods", {"labelSelector": f"job-name={name}"})
                      .json()["items"], f"a pod of Job {name}")
        t.normalise.alias(pods[0]["metadata"]["name"], f"{name}-<gen>")
        assert generated(pods[0]["metadata"]["name"], f"{name}-")
    for name in names:  # the Jobs' status is in the answers below: each with its pod ready
        b.wait(lambda name=name: w.call("GET", f"{batch}/jobs/{name}").json().get("status", {}).get("ready") == 1,
               f"Job {name}: its pod ready")
    t("get-job", w.call("GET", f"{batch}/jobs/worker-bg"))
    t("delete-job-dry-run", w.call("DELETE", f"{batch}/jobs/worker-bg", {"dryRun": "All",
                                                                          "propagationPolicy": "Background"}))
    t("delete-job-background", w.call("DELETE", f"{batch}/jobs/worker-bg", {"propagationPolicy": "Background"}))
    t("delete-job-foreground", w.call("DELETE", f"{batch}/jobs/worker-fg", {"propagationPolicy": "Foreground"}))
    t("delete-job-orphan", w.call("DELETE", f"{batch}/jobs/worker-orphan", {"propagationPolicy": "Orphan"}))
    t("delete-job-default", w.call("DELETE", f"{batch}/jobs/worker-default"))
    for name in names:
        wait_gone(b, f"{batch}/jobs/{name}", f"Job {name}")
    for name in ("worker-bg", "worker-fg"):
        b.wait(lambda name=name: not w.call("GET", f"{core}/pods", {"labelSelector": f"job-name={name}"})
               .json()["items"], f"the pods of Job {name} deleted")
    for name in ("worker-orphan", "worker-default"):
        b.wait(lambda name=name: all(not p["metadata"].get("ownerReferences") for p in w.call(
            "GET", f"{core}/pods", {"labelSelector": f"job-name={name}"}).json()["items"]),
            f"the pods of Job {name} orphaned")
        orphan = w.call("GET", f"{core}/pods", {"labelSelector": f"job-name={name}"}).json()["items"][0]
        t(f"orphaned-pod-metadata-{name}", _metadata_answer(orphan))
    t("delete-unscheduled-pod", w.call("DELETE", f"{core}/pods/gated"))
    t("delete-running-pod", w.call("DELETE", f"{core}/pods/talker"))
    wait_gone(b, f"{core}/pods/talker", "pod talker (after its grace period, or once its containers stopped)")
    t("delete-namespace", w.call("DELETE", f"/api/v1/namespaces/{ns}"))


def _metadata_answer(obj: dict[str, Any]) -> Answer:
    """The parts of an object's metadata that an Orphan deletion changes, as a pseudo-answer."""
    meta = obj["metadata"]
    return Answer(200, "application/json", [], {"ownerReferences": meta.get("ownerReferences"),
                                                "finalizers": meta.get("finalizers"),
                                                "deletionTimestamp": meta.get("deletionTimestamp")})


# ------------------------------------------------------------------------------------------------ fixtures


def _run(backend: Backend, tmp: Path) -> Transcript:
    transcript = Transcript(backend)
    try:
        script(backend, transcript, tmp)
    finally:
        backend.close()
    transcript.finish()
    return transcript


@pytest.fixture(scope="module")
def transcripts(api_client: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Transcript]:
    from kubernetes import config

    done: dict[str, Transcript] = {}
    done["real"] = _run(RealBackend(api_client), tmp_path_factory.mktemp("real"))
    with Sandbox(seed=None, bookmark_interval=60.0) as sandbox:
        kubeconfig = sandbox.write_kubeconfig(tmp_path_factory.mktemp("sandbox") / "kubeconfig")
        client = config.new_client_from_config(config_file=str(kubeconfig))
        try:
            done["sandbox"] = _run(SandboxBackend(sandbox, client), tmp_path_factory.mktemp("sandbox-logs"))
        finally:
            client.close()
    dump = Path(str(tmp_path_factory.getbasetemp())) / "differential"
    dump.mkdir(exist_ok=True)
    for name, transcript in done.items():
        (dump / f"{name}.json").write_text(json.dumps(transcript.steps, indent=1, sort_keys=True))
    return done


# ------------------------------------------------------------------------------------------------- tests


def _diff(step: str, real: Json, sandbox: Json) -> str:
    lines = difflib.unified_diff(json.dumps(real, indent=1, sort_keys=True).splitlines(),
                                 json.dumps(sandbox, indent=1, sort_keys=True).splitlines(),
                                 f"{step} (real)", f"{step} (sandbox)", lineterm="", n=2)
    return "\n".join(lines)


def test_both_backends_ran_the_whole_script(transcripts: dict[str, Transcript]) -> None:
    assert list(transcripts["sandbox"].steps) == list(transcripts["real"].steps)


def test_periodic_bookmarks_look_alike(transcripts: dict[str, Transcript]) -> None:
    real, sandbox = transcripts["real"].bookmarks, transcripts["sandbox"].bookmarks
    moved = next(step for step in real if step.endswith("-watch-from-resource-version"))
    # the resourceVersion moved during that watch: both servers send one before timeoutSeconds
    assert real[moved] and sandbox[moved]
    shapes: dict[str, dict[str, set[str]]] = {"real": {}, "sandbox": {}}
    for name, bookmarks in (("real", real), ("sandbox", sandbox)):
        for events in bookmarks.values():
            for event in events:
                shapes[name].setdefault(event["object"]["kind"], set()).add(json.dumps(event, sort_keys=True))
    assert shapes["sandbox"] == shapes["real"]


def test_the_sandbox_answers_like_the_real_apiserver(transcripts: dict[str, Transcript]) -> None:
    real, sandbox = transcripts["real"].steps, transcripts["sandbox"].steps
    differences = [_diff(step, real[step], sandbox.get(step)) for step in real if real[step] != sandbox.get(step)]
    assert not differences, f"{len(differences)} of {len(real)} steps differ:\n\n" + "\n\n".join(differences)


