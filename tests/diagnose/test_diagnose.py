"""`diagnose` end to end: the real CLI, the real kubernetes client, real HTTP, against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox
from tests.builders import job

MANAGED = ("app.kubernetes.io/managed-by", "cronjob-doctor")


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def debug_jobs(sandbox: Sandbox) -> list[dict[str, Any]]:
    jobs, _ = sandbox.store.list("jobs")
    return [j for j in jobs if (j["metadata"].get("labels") or {}).get(MANAGED[0]) == MANAGED[1]]


def created_jobs(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r.body for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs") and r.status == 201]


def writes_to(sandbox: Sandbox, fragment: str) -> list[Any]:
    return [r for r in sandbox.requests if r.method not in ("GET",) and fragment in r.path]


def test_incident_is_diagnosed_as_oom_with_all_evidence_kept(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    cronjob_before = sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")
    result = invoke(
        "diagnose", "tofu-state/tf-state-backup", "--memory", "original,512Mi", "--kubeconfig", kubeconfig,
        "-o", "json", "--bundle", str(bundle),
    )
    assert result.exit_code == 1, result.output
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "oom"
    assert verdict["confidence"] >= 0.9
    runs = {run["variant"]: run for run in verdict["runs"]}
    assert runs["original (128Mi)"]["reason"] == "OOMKilled" and runs["original (128Mi)"]["exit_code"] == 137
    assert runs["512Mi"]["outcome"] == "succeeded"
    assert runs["512Mi"]["peak_memory_bytes"] > 128 * 1024**2
    assert any("Mi" in item for item in verdict["remediation"])
    # The proof comes from the failed run's own bundle, and the fix names both the limit and the downloads.
    assert any(e["source"] == "original-run1/pods.json" and "OOMKilled" in e["text"] for e in verdict["evidence"])
    assert any("+ curl -sSLo /tmp/kubectl" in e["text"] for e in verdict["evidence"])
    assert "during `curl -sSLo /tmp/kubectl" in verdict["summary"]
    assert any("FROM alpine" in item for item in verdict["remediation"])

    # What the server received: the raised limit, set -x, Never, backoffLimit 0, no ownerReference, same identity.
    bodies = {b["metadata"]["labels"]["cronjob-doctor/variant"]: b for b in created_jobs(sandbox)}
    raised = bodies["512Mi"]
    pod_spec = raised["spec"]["template"]["spec"]
    source_spec = cronjob_before["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["containers"][0]["resources"]["limits"]["memory"] == "512Mi"
    assert "; set -x; " in pod_spec["containers"][0]["command"][2]
    assert pod_spec["restartPolicy"] == "Never"
    assert raised["spec"]["backoffLimit"] == 0
    assert "ownerReferences" not in raised["metadata"]
    assert pod_spec["containers"][0]["image"] == source_spec["containers"][0]["image"]
    assert pod_spec["containers"][0]["env"] == source_spec["containers"][0]["env"]
    assert pod_spec["serviceAccountName"] == source_spec["serviceAccountName"]

    # The CronJob only read; the debug Jobs gone; nothing else deleted.
    assert writes_to(sandbox, "/cronjobs") == []
    assert sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")["spec"] == cronjob_before["spec"]
    assert debug_jobs(sandbox) == []
    deletes = [r for r in sandbox.requests if r.method == "DELETE" and "/jobs/" in r.path]
    assert sorted(r.path.rsplit("/", 1)[1] for r in deletes) == sorted(b["metadata"]["name"] for b in bodies.values())
    assert sandbox.store.list("leases", "tofu-state")[0] == [], "the lock is released at the end"

    # The bundle: per-run logs with trace lines, pods.json with the OOMKilled termination, events, verdict.
    oom_dir = Path(runs["original (128Mi)"]["bundle"])
    pods = json.loads((oom_dir / "pods.json").read_text())["items"]
    terminated = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
    log = next((oom_dir / "logs").rglob("backup.log")).read_text()
    assert "+ apk add --no-cache curl" in log
    assert json.loads((oom_dir / "events.json").read_text())["items"]
    assert json.loads((bundle / "verdict.json").read_text())["verdict"] == "oom"
    assert (bundle / "failed-jobs" / "tf-state-backup-29568000" / "job.json").exists()
    assert oct((bundle).stat().st_mode & 0o777) == "0o700"


def test_the_alerted_job_name_resolves_to_its_cronjob(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    result = invoke(
        "diagnose", "tofu-state/tf-state-backup-29565120", "--kubeconfig", kubeconfig, "-o", "json",
        "--bundle", str(tmp_path / "b"), "--quiet",
    )
    verdict = json.loads(result.stdout)
    assert verdict["context"]["target"] == "tofu-state/tf-state-backup"
    # 512Mi (the default raise) succeeds with a peak above the original 128Mi: the limit was the cause.
    assert verdict["verdict"] == "oom" and result.exit_code == 1
    assert verdict["runs"][0]["memory_limit"] == "512Mi"


def test_dry_run_prints_the_job_and_diff_and_creates_nothing(sandbox: Sandbox, kubeconfig: str) -> None:
    result = invoke("diagnose", "tofu-state/tf-state-backup", "--dry-run", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert "kind: Job" in result.stdout and "# +            memory: 512Mi" in result.stdout
    assert [r for r in sandbox.requests if r.method != "GET"] == []
    # a YAML stream kubectl apply -f - takes: every document a Job, the diff only in comments
    documents = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    assert [d["kind"] for d in documents] == ["Job"]


def test_dry_run_json_is_a_list_to_apply_and_the_diff_goes_to_stderr(sandbox: Sandbox, kubeconfig: str) -> None:
    result = invoke("diagnose", "tofu-state/tf-state-backup", "--dry-run", "--memory", "original,512Mi",
                    "-o", "json", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["kind"] == "List" and [i["kind"] for i in listed["items"]] == ["Job", "Job"]
    assert "+            memory: 512Mi" in result.stderr


def test_keep_leaves_the_debug_job(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    result = invoke(
        "diagnose", "ok/log-rotate", "--keep", "--kubeconfig", kubeconfig, "-o", "json",
        "--bundle", str(tmp_path / "b"), "--quiet",
    )
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "success"
    assert "kubectl delete job -n ok" in verdict["context"]["cleanup"]
    assert len(debug_jobs(sandbox)) == 1


def test_missing_cronjob_exits_3_with_a_clear_message(sandbox: Sandbox, kubeconfig: str) -> None:
    result = invoke("diagnose", "tofu-state/nope", "--kubeconfig", kubeconfig)
    assert result.exit_code == 3
    assert "cronjob tofu-state/nope not found" in result.stderr
    assert "Traceback" not in result.output


def test_missing_permission_stops_before_anything_is_created(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    sandbox.deny("create", "jobs", group="batch")
    sandbox.deny("get", "pods", subresource="log")
    result = invoke(
        "diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig, "--bundle", str(tmp_path / "b")
    )
    assert result.exit_code == 3
    assert "create jobs" in result.stderr and "get pods/log" in result.stderr
    assert created_jobs(sandbox) == []
    assert not (tmp_path / "b").exists()


def test_bad_input_is_exit_2_without_touching_the_cluster(sandbox: Sandbox, kubeconfig: str) -> None:
    for args in (["Bad/Name"], ["tofu-state/tf-state-backup", "--memory", "lots"], ["a/b", "--runs", "0"]):
        result = invoke("diagnose", *args, "--kubeconfig", kubeconfig)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ")
    assert sandbox.requests == []


def test_unreachable_cluster_exits_3(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    with Sandbox(seed="empty") as sandbox:
        sandbox.write_kubeconfig(config)
    result = invoke("diagnose", "tofu-state/tf-state-backup", "--kubeconfig", str(config))
    assert result.exit_code == 3
    assert "cannot reach the cluster" in result.stderr


@pytest.mark.parametrize(
    ("target", "verdict", "extra"),
    [
        ("cdn/cdn-backup", "network", []),
        ("netpol/minio-sync", "network", []),
        ("images/report-gen", "image-pull", ["--timeout", "60s"]),
        ("rbac/secret-export", "permission", []),
        ("hang/db-vacuum", "deadline", ["--timeout", "120s"]),
        ("ok/log-rotate", "success", []),
    ],
)
def test_every_scenario_gets_its_verdict(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, target: str, verdict: str, extra: list[str]
) -> None:
    result = invoke(
        "diagnose", target, "--kubeconfig", kubeconfig, "-o", "json", "--bundle", str(tmp_path / "b"), "--quiet", *extra
    )
    answer = json.loads(result.stdout)
    assert answer["verdict"] == verdict, answer["summary"]
    assert result.exit_code == (0 if verdict == "success" else 1)
    assert answer["evidence"], "every verdict names its evidence"
    assert debug_jobs(sandbox) == []


def test_non_shell_container_warns_and_runs_unchanged(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["command"] = ["/usr/sbin/logrotate", "/etc/logrotate.conf"]
    container.pop("args", None)
    sandbox.store.update("cronjobs", cronjob)
    result = invoke("diagnose", "ok/log-rotate", "--kubeconfig", kubeconfig, "--bundle", str(tmp_path / "b"), "-q")
    assert "does not run a shell script" in result.stderr
    body = created_jobs(sandbox)[0]
    assert body["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "/usr/sbin/logrotate",
        "/etc/logrotate.conf",
    ]


def test_a_second_diagnose_is_refused_while_one_runs(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    # A debug Job of an earlier diagnose that has not finished (suspended, so it stays that way).
    running = job("db-vacuum-doctor-zzzzz", namespace="hang", cronjob=None, start=None, suspend=True,
                  job_labels={MANAGED[0]: MANAGED[1], "cronjob-doctor/source": "db-vacuum"})
    sandbox.store.create("jobs", running)
    result = invoke("diagnose", "hang/db-vacuum", "--kubeconfig", kubeconfig, "--bundle", str(tmp_path / "b"))
    assert result.exit_code == 3, result.output
    assert "db-vacuum-doctor-zzzzz" in result.stderr and "--force" in result.stderr


def test_runs_and_image_make_one_job_and_bundle_per_run(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    result = invoke(
        "diagnose", "ok/log-rotate", "--runs", "2", "--memory", "original,256Mi", "--image", "busybox:1.36",
        "--kubeconfig", kubeconfig, "-o", "json", "--bundle", str(tmp_path / "b"), "-q",
    )
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.stdout)
    assert len(verdict["runs"]) == 4
    assert {run["bundle"].rsplit("/", 1)[1] for run in verdict["runs"]} == {
        "original-run1", "original-run2", "256Mi-run1", "256Mi-run2"}
    bodies = created_jobs(sandbox)
    assert len({b["metadata"]["name"] for b in bodies}) == 4
    assert {b["spec"]["template"]["spec"]["containers"][0]["image"] for b in bodies} == {"busybox:1.36"}
    for run in verdict["runs"]:
        assert (Path(run["bundle"]) / "pods.json").exists()
    assert debug_jobs(sandbox) == []


def test_init_containers_are_followed_and_logged(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    pod_spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod_spec["initContainers"] = [{"name": "fetch", "image": "alpine:3.20", "command": ["sh", "-c", "echo fetched"]}]
    sandbox.store.update("cronjobs", cronjob)
    result = invoke("diagnose", "ok/log-rotate", "--kubeconfig", kubeconfig, "-o", "json",
                    "--bundle", str(tmp_path / "b"), "-q")
    assert result.exit_code == 0, result.output
    body = created_jobs(sandbox)[0]
    assert "set -x" in body["spec"]["template"]["spec"]["initContainers"][0]["command"][2]
    logs = {p.name for p in (tmp_path / "b" / "logs").rglob("*.log")}
    assert "fetch.log" in logs
