"""Kube reads, lists, writes and retries over real HTTP against the sandbox; the retry policy with plain data."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException
from pytest_mock import MockerFixture

from cronjob_doctor.errors import ApiFailure, ClusterError, Conflict, Gone
from cronjob_doctor.kube import retry
from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor.managed import MANAGED_BY_LABEL, RUN_ID_LABEL
from cronjob_doctor_sandbox import Sandbox
from tests.builders import NS, container, job, namespace, pod, pod_metrics, running, secret, terminated

MANAGED = {MANAGED_BY_LABEL[0]: MANAGED_BY_LABEL[1]}


def _gets(sandbox: Sandbox, path_end: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method == "GET" and r.path.endswith(path_end)]


# --- reads --------------------------------------------------------------------------------------------------


def test_get_returns_the_api_json_as_plain_dicts(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("backup-1", job_labels={"team": "infra"}, backoff_limit=0))
    got = kube.get_job(NS, "backup-1")
    assert type(got) is dict
    assert got["kind"] == "Job" and got["apiVersion"] == "batch/v1"
    assert got["metadata"]["labels"] == {"team": "infra"}
    assert got["spec"]["backoffLimit"] == 0  # camelCase, as the API sends it


def test_get_secret_keeps_base64_data(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("secrets", secret("minio", {"key": "c2VjcmV0"}))
    assert kube.get_secret(NS, "minio")["data"] == {"key": "c2VjcmV0"}


def test_list_paginates_with_limit_and_continue(kube: Kube, bare: Sandbox) -> None:
    for index in range(5):
        bare.store.create("jobs", job(f"backup-{index}"))
    kube.page_size = 2
    items, version = kube.list_with_version("jobs", NS)
    assert [item["metadata"]["name"] for item in items] == [f"backup-{i}" for i in range(5)]
    assert version == str(bare.store.resource_version)
    pages = _gets(bare, "/jobs")
    assert len(pages) == 3
    assert all(page.query.get("limit") == "2" for page in pages)
    assert "continue" not in pages[0].query and all(page.query.get("continue") for page in pages[1:])


def test_list_trims_each_item_of_every_page(kube: Kube, bare: Sandbox) -> None:
    for index in range(5):
        bare.store.create("jobs", job(f"backup-{index}"))
    kube.page_size = 2
    seen: list[str] = []

    def trim(item: dict[str, Any]) -> dict[str, Any]:
        seen.append(item["metadata"]["name"])
        assert item["kind"] == "Job"  # kind and apiVersion are filled in before the trim sees the item
        return {"metadata": {"name": item["metadata"]["name"]}}

    items = kube.list_jobs(NS, trim=trim)
    assert items == [{"metadata": {"name": f"backup-{i}"}} for i in range(5)]
    assert seen == [f"backup-{i}" for i in range(5)]


def test_list_items_carry_kind_and_api_version(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("pods", pod(container("backup", running(None)), name="p1", phase="Running"))
    (item,) = kube.list_pods(NS)
    assert (item["kind"], item["apiVersion"]) == ("Pod", "v1")


def test_list_all_namespaces_and_selectors(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("namespaces", namespace("other"))
    bare.store.create("jobs", job("a", job_labels={"app": "x"}))
    bare.store.create("jobs", job("b", namespace="other", job_labels={"app": "x"}))
    bare.store.create("jobs", job("c", namespace="other", job_labels={"app": "y"}))
    assert [j["metadata"]["name"] for j in kube.list_jobs(None, label_selector="app=x")] == ["b", "a"]
    assert [j["metadata"]["name"] for j in kube.list_jobs(None, field_selector="metadata.name=c")] == ["c"]
    assert (
        kube.list_cronjobs(None) == [] and kube.list_networkpolicies(NS) == [] and kube.list_events(NS) == []
    )
    assert _gets(bare, "/apis/batch/v1/jobs")[0].query["labelSelector"] == "app=x"


def test_410_on_a_continue_token_relists_from_the_start(
    kube: Kube, bare: Sandbox, mocker: MockerFixture
) -> None:
    for index in range(4):
        bare.store.create("jobs", job(f"backup-{index}"))
    kube.page_size = 2
    real = kube.send_json
    calls = {"n": 0}

    def first_page_then_expire(*args: Any, **kwargs: Any) -> Any:
        # the sandbox keeps continue tokens valid forever; expire the next one as a compacting etcd would
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 1:
            bare.faults.fail_next(1, status=410)
        return result

    mocker.patch.object(kube, "send_json", side_effect=first_page_then_expire)
    items = kube.list_jobs(NS)
    assert [item["metadata"]["name"] for item in items] == [f"backup-{i}" for i in range(4)]
    statuses = [(r.status, bool(r.query.get("continue"))) for r in _gets(bare, "/jobs")]
    assert statuses == [(200, False), (410, True), (200, False), (200, True)]


def test_410_on_the_first_page_is_gone(kube: Kube, bare: Sandbox) -> None:
    bare.faults.fail_next(1, status=410)
    with pytest.raises(Gone):
        kube.list_jobs(NS)


# --- retries ------------------------------------------------------------------------------------------------


def test_transient_503_is_retried(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("backup-1"))
    bare.faults.fail_next(2, status=503)
    assert kube.get_job(NS, "backup-1")["metadata"]["name"] == "backup-1"
    assert [r.status for r in bare.requests] == [503, 503, 200]


@pytest.mark.parametrize("status", [429, 500, 502, 504])
def test_retryable_statuses(kube: Kube, bare: Sandbox, status: int) -> None:
    bare.faults.fail_next(1, status=status)
    assert kube.list_pods(NS) == []
    assert [r.status for r in bare.requests] == [status, 200]


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
def test_client_errors_are_not_retried(kube: Kube, bare: Sandbox, status: int) -> None:
    bare.faults.fail_next(1, status=status)
    with pytest.raises(ClusterError):
        kube.list_pods(NS)
    assert len(bare.requests) == 1


def test_retry_stops_after_the_time_budget(bare: Sandbox, tmp_path: Any) -> None:
    policy = RetryPolicy(attempts=100, max_seconds=0.3, wait_initial=0.1, wait_max=0.1)
    kube = Kube.connect(str(bare.write_kubeconfig(tmp_path / "kc")), retry=policy)
    bare.faults.fail_next(100, status=500)
    with pytest.raises(ApiFailure):
        kube.list_pods(NS)
    assert 2 <= len(bare.requests) <= 5


def _throttled(retry_after: str | None, status: int = 429) -> ApiException:
    exc = ApiException(status=status, reason="Too Many Requests")
    exc.headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return exc


def test_retry_after_is_honoured_and_capped_by_the_policy() -> None:
    slept: list[float] = []
    answers = iter([_throttled("2"), _throttled("60"), None])

    def call() -> str:
        exc = next(answers)
        if exc is not None:
            raise exc
        return "ok"

    policy = RetryPolicy(attempts=5, max_seconds=600, wait_initial=0.2, wait_max=5)
    assert retry.call(policy, call, sleep=slept.append) == "ok"
    assert slept == [2.0, 5.0]


def test_backoff_without_retry_after_grows_up_to_wait_max() -> None:
    slept: list[float] = []
    policy = RetryPolicy(attempts=6, max_seconds=600, wait_initial=1, wait_max=3)
    with pytest.raises(ApiException):
        retry.call(policy, lambda: (_ for _ in ()).throw(_throttled(None, status=503)), sleep=slept.append)
    assert len(slept) == 5
    assert 1 <= slept[0] <= 2 and slept[-1] == 3


def test_retry_after_as_http_date() -> None:
    assert retry.retry_after_seconds(_throttled("Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0
    assert retry.retry_after_seconds(_throttled("3")) == 3.0
    assert retry.retry_after_seconds(_throttled(None)) is None
    assert retry.retry_after_seconds(ApiException(status=500)) is None


# --- create ---------------------------------------------------------------------------------------------------


def _manifest(name: str, run_id: str = "r-1") -> dict[str, Any]:
    return job(name, job_labels={**MANAGED, RUN_ID_LABEL: run_id})


def test_create_job_returns_the_created_object(kube: Kube, bare: Sandbox) -> None:
    created = kube.create_job(NS, _manifest("backup-doctor-1"))
    assert created["metadata"]["uid"] == bare.store.get("jobs", NS, "backup-doctor-1")["metadata"]["uid"]
    post = [r for r in bare.requests if r.method == "POST"]
    assert len(post) == 1 and post[0].body["metadata"]["labels"][RUN_ID_LABEL] == "r-1"


def test_create_retry_that_finds_our_own_job_returns_it(kube: Kube, bare: Sandbox) -> None:
    # an earlier attempt landed but its answer was lost (here: it exists, then a 503 on the first try)
    earlier = bare.store.create("jobs", _manifest("backup-doctor-1"))
    bare.faults.fail_next(1, status=503, method="POST")
    adopted = kube.create_job(NS, _manifest("backup-doctor-1"))
    assert adopted["metadata"]["uid"] == earlier["metadata"]["uid"]
    assert [(r.method, r.status) for r in bare.requests] == [("POST", 503), ("POST", 409), ("GET", 200)]


def test_create_conflict_with_someone_elses_job_raises(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", _manifest("backup-doctor-1", run_id="another-run"))
    with pytest.raises(Conflict, match="job tofu-state/backup-doctor-1 already exists"):
        kube.create_job(NS, _manifest("backup-doctor-1"))


def test_create_conflict_without_run_id_raises(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("plain"))
    with pytest.raises(Conflict):
        kube.create_job(NS, job("plain"))


def test_create_rejected_as_invalid_is_not_retried(kube: Kube, bare: Sandbox) -> None:
    bare.faults.fail_next(1, status=422, method="POST")
    with pytest.raises(ApiFailure):
        kube.create_job(NS, _manifest("backup-doctor-1"))
    assert len(bare.requests) == 1


# --- delete ---------------------------------------------------------------------------------------------------


def test_delete_job_we_created(kube: Kube, bare: Sandbox) -> None:
    created = bare.store.create("jobs", _manifest("backup-doctor-1"))
    assert kube.delete_job(NS, "backup-doctor-1") is True
    assert bare.store.find("jobs", NS, "backup-doctor-1") is None
    (delete,) = [r for r in bare.requests if r.method == "DELETE"]
    assert delete.body["propagationPolicy"] == "Background"
    assert delete.body["preconditions"]["uid"] == created["metadata"]["uid"]


def test_delete_refuses_a_job_we_did_not_create(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("tf-state-backup-29565120"))
    with pytest.raises(ClusterError, match="refusing to delete job tofu-state/tf-state-backup-29565120"):
        kube.delete_job(NS, "tf-state-backup-29565120")
    assert bare.store.find("jobs", NS, "tf-state-backup-29565120") is not None
    assert not [r for r in bare.requests if r.method == "DELETE"]


def test_delete_of_a_missing_job_is_false(kube: Kube) -> None:
    assert kube.delete_job(NS, "gone") is False


def test_delete_retried_after_a_lost_answer_is_true(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", _manifest("backup-doctor-1"))
    bare.faults.fail_next(1, status=503, method="DELETE")
    assert kube.delete_job(NS, "backup-doctor-1") is True
    assert bare.store.find("jobs", NS, "backup-doctor-1") is None


# --- metrics and access reviews ----------------------------------------------------------------------------------


def test_pod_metrics_absent_api_is_none(kube: Kube, bare: Sandbox) -> None:
    assert kube.pod_metrics(NS, "p1") is None
    bare.faults.fail_next(1, status=503, path_contains="metrics.k8s.io")
    assert kube.pod_metrics(NS, "p1") is None
    assert len(bare.requests) == 2  # neither 404 nor 503 is retried here


def test_pod_metrics_present(kube: Kube, bare: Sandbox) -> None:
    sample = pod_metrics("p1")
    # a stand-in for the sandbox kubelet's metrics source (this sandbox runs without controllers)
    bare.cluster = SimpleNamespace(
        pod_metrics=lambda ns, name: sample if name == "p1" else None, stop=lambda: None
    )
    assert kube.pod_metrics(NS, "p1") == sample
    assert kube.pod_metrics(NS, "p2") is None


def test_can_i_asks_a_self_subject_access_review(kube: Kube, bare: Sandbox) -> None:
    assert kube.can_i(NS, "create", "jobs", group="batch") is True
    bare.deny("create", "jobs")
    assert kube.can_i(NS, "create", "jobs", group="batch") is False
    assert kube.can_i(NS, "get", "pods", subresource="log") is True
    review = [r for r in bare.requests if r.method == "POST"][-1].body
    assert review["spec"]["resourceAttributes"] == {
        "verb": "get",
        "resource": "pods",
        "group": "",
        "namespace": NS,
        "subresource": "log",
    }


def test_reads_survive_json_roundtrip(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("pods", pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), name="p1"))
    fetched = kube.get_pod(NS, "p1")
    assert json.loads(json.dumps(fetched)) == fetched
    assert fetched["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"
