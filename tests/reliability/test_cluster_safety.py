"""Safety in the user's cluster, read from the sandbox's request log: no write of any kind to an object the
tool did not create, every delete guarded by a read of the managed-by label, nothing created before the
permission preflight passed, and debug Job names that never collide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_mock import MockerFixture
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import RecordedRequest, Sandbox
from tests.builders import job

from .conftest import MANAGED, debug_jobs, run_diagnose

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def writes(sandbox: Sandbox) -> list[RecordedRequest]:
    return [r for r in sandbox.requests if r.method != "GET"]


LEASES = "/apis/coordination.k8s.io/v1/namespaces/"


def assert_only_own_writes(sandbox: Sandbox) -> set[str]:
    """Every write is an access review, a create of a labelled debug Job, or a delete of one of those after a
    GET of it, or the run's own Lease (created labelled, renewed and deleted only as last read); returns the
    names of the Jobs created."""
    created: set[str] = set()
    leases: set[str] = set()
    for index, request in enumerate(sandbox.requests):
        if request.method == "GET":
            continue
        if request.method == "POST" and request.path == SSAR:
            continue
        if request.path.startswith(LEASES) and "/leases" in request.path:
            if request.method == "POST":
                assert request.body["metadata"]["labels"][MANAGED[0]] == MANAGED[1], request
                assert request.body["metadata"]["name"].startswith("cronjob-doctor-"), request
                leases.add(request.body["metadata"]["name"])
            elif request.method == "PUT":
                assert request.path.rsplit("/", 1)[1] in leases, request
                assert request.body["metadata"]["resourceVersion"], "a renewal is pinned to the version it read"
            else:
                assert request.method == "DELETE" and request.path.rsplit("/", 1)[1] in leases, request
                assert request.body["preconditions"]["resourceVersion"], "never someone else's lease"
            continue
        if request.method == "POST" and request.path.endswith("/jobs"):
            labels = request.body["metadata"]["labels"]
            assert labels[MANAGED[0]] == MANAGED[1], request
            if request.status == 201:
                created.add(request.body["metadata"]["name"])
            continue
        assert request.method == "DELETE", f"unexpected write {request.method} {request.path}"
        name = request.path.rsplit("/", 1)[1]
        assert request.path.split("/")[-2] == "jobs" and name in created, request
        guard = [r for r in sandbox.requests[:index] if r.method == "GET" and r.path == request.path]
        assert guard, f"delete of {name} without reading its labels first"
        assert request.body["preconditions"]["uid"], "the delete is pinned to the object that was checked"
    return created


def test_a_full_run_writes_only_to_what_it_created(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    cronjob = sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")
    result = CliRunner().invoke(
        app, ["diagnose", "tofu-state/tf-state-backup", "--memory", "original,512Mi", "--kubeconfig", kubeconfig,
              "--bundle", str(tmp_path / "b"), "-q"], catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    created = assert_only_own_writes(sandbox)
    assert len(created) == 2
    deleted = {r.path.rsplit("/", 1)[1] for r in writes(sandbox) if r.method == "DELETE" and "/jobs/" in r.path}
    assert deleted == created
    assert sandbox.store.list("leases", "tofu-state")[0] == [], "the lock is released at the end"
    assert sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")["spec"] == cronjob["spec"]
    # the preflight's access reviews all come before the first create
    first_create = next(i for i, r in enumerate(sandbox.requests) if r.method == "POST" and r.path.endswith("/jobs"))
    reviews = [i for i, r in enumerate(sandbox.requests) if r.path == SSAR]
    assert len(reviews) >= len(diagnose.preflight.DIAGNOSE) and max(reviews) < first_create


def test_retried_creates_and_deletes_under_500s_still_touch_only_our_job(
    sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    sandbox.faults.fail_next(2, 500, method="POST", path_contains="/jobs")
    sandbox.faults.fail_next(2, 503, method="DELETE")
    run_diagnose(kube, "ok/log-rotate", tmp_path / "b")
    assert len(assert_only_own_writes(sandbox)) == 1
    assert debug_jobs(sandbox) == []


def test_a_taken_name_gets_a_fresh_one_and_the_namesake_is_untouched(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, mocker: MockerFixture
) -> None:
    # Someone else's Job (not ours: no managed-by label) already has the name of our first pick.
    foreign = job("log-rotate-doctor-aaaaa", namespace="ok", job_labels={"team": "ops"}, cronjob=None, start=None,
                  suspend=True)
    sandbox.store.create("jobs", foreign)
    mocker.patch.object(diagnose, "_run_id", side_effect=["aaaaa", "bbbbb"])
    outcome = run_diagnose(kube, "ok/log-rotate", tmp_path / "b")
    assert outcome.verdict is not None and outcome.verdict.verdict == "success"
    assert [r.job for r in outcome.verdict.runs] == ["log-rotate-doctor-bbbbb"]
    assert sandbox.store.get("jobs", "ok", "log-rotate-doctor-aaaaa")["metadata"]["labels"] == {"team": "ops"}
    assert not [r for r in writes(sandbox) if r.path.endswith("/log-rotate-doctor-aaaaa")]


def test_planned_names_are_distinct_even_when_ids_repeat(sandbox: Sandbox, mocker: MockerFixture) -> None:
    cronjob = sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")
    settings = DiagnoseSettings.from_flags(target="tofu-state/tf-state-backup", memory="original,512Mi,1Gi", runs=20)
    names = [item.debug.name for item in diagnose.plan(settings, cronjob, Path("."))]
    assert len(names) == 60 == len(set(names)) and all(len(n) <= 63 for n in names)
    mocker.patch.object(diagnose, "_run_id", side_effect=["aaaaa", "aaaaa", "bbbbb"])
    settings = DiagnoseSettings.from_flags(target="tofu-state/tf-state-backup", runs=2)
    assert [i.debug.name for i in diagnose.plan(settings, cronjob, Path("."))] == [
        "tf-state-backup-doctor-aaaaa", "tf-state-backup-doctor-bbbbb"
    ]


def running_debug_job(namespace: str, name: str, source: str) -> dict[str, Any]:
    """A debug Job of another diagnose that has not finished (suspended, so it stays that way)."""
    return job(name, namespace=namespace, job_labels={MANAGED[0]: MANAGED[1], "cronjob-doctor/source": source},
               cronjob=None, start=None, suspend=True)


def test_force_runs_beside_a_running_diagnose_without_touching_its_job(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    sandbox.store.create("jobs", running_debug_job("ok", "log-rotate-doctor-zzzzz", "log-rotate"))
    refused = CliRunner().invoke(app, ["diagnose", "ok/log-rotate", "--kubeconfig", kubeconfig,
                                       "--bundle", str(tmp_path / "a")])
    assert refused.exit_code == 3 and "log-rotate-doctor-zzzzz" in refused.stderr and "--force" in refused.stderr
    assert not (tmp_path / "a").exists()
    forced = CliRunner().invoke(app, ["diagnose", "ok/log-rotate", "--force", "-o", "json", "-q",
                                      "--kubeconfig", kubeconfig, "--bundle", str(tmp_path / "b")])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["runs"][0]["job"] != "log-rotate-doctor-zzzzz"
    assert [j["metadata"]["name"] for j in debug_jobs(sandbox)] == ["log-rotate-doctor-zzzzz"]
    assert not [r for r in writes(sandbox) if r.path.endswith("/log-rotate-doctor-zzzzz")]
