"""cronjob-doctor against a real kube-apiserver, controller-manager and scheduler (kwok plays the nodes).

The CLI runs as a subprocess (`python -m cronjob_doctor`) with the admin kubeconfig (or a ServiceAccount's),
as an operator runs it: exit codes, stdout/stderr and cleanup are the real ones. Pods live the kwok Stage
their template's label picks (controlplane/README.md). Everything waits on state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.controlplane import helpers
from tests.controlplane.helpers import ControlPlane, audited, wait_for

pytestmark = pytest.mark.controlplane

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = [
    "+ apk add --no-cache curl",
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
    "+ curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl",
]


def cli(*args: str, kubeconfig: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """cronjob-doctor with this kubeconfig; never colour, 100 columns."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("KUBECONFIG", None)
    return subprocess.run([sys.executable, "-m", "cronjob_doctor", *args, "--kubeconfig", kubeconfig],
                          env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)


def jobs(api_client: Any, namespace: str) -> list[Any]:
    from kubernetes import client

    return list(client.BatchV1Api(api_client).list_namespaced_job(namespace).items)


def pods(api_client: Any, namespace: str) -> list[Any]:
    from kubernetes import client

    return list(client.CoreV1Api(api_client).list_namespaced_pod(namespace).items)


def cronjob_version(api_client: Any, namespace: str, name: str) -> str:
    from kubernetes import client

    return str(client.BatchV1Api(api_client).read_namespaced_cron_job(name, namespace).metadata.resource_version)


def debug_jobs_gone(api_client: Any, namespace: str) -> bool:
    """No Job and no pod of a debug Job is left (the real garbage collector removes the pods)."""
    labelled = [j for j in jobs(api_client, namespace)
                if (j.metadata.labels or {}).get("app.kubernetes.io/managed-by") == "cronjob-doctor"]
    debug_pods = [p for p in pods(api_client, namespace) if "-doctor-" in p.metadata.name]
    return not labelled and not debug_pods


@pytest.fixture
def oom_cronjob(api_client: Any, namespace: str, serve_logs: Callable[..., Path]) -> str:
    """A CronJob OOMKilled below 256Mi, at a 128Mi limit, whose pods log the incident's download trace."""
    helpers.create_cronjob(api_client, namespace, "backup", "oom-below-threshold", memory_limit="128Mi",
                           oom_below="256Mi", run_duration="1s")
    serve_logs(namespace, SCRIPT)
    return "backup"


def test_diagnose_gives_oom_from_both_variants_and_leaves_nothing(
    api_client: Any, namespace: str, oom_cronjob: str, controlplane: ControlPlane
) -> None:
    before = cronjob_version(api_client, namespace, oom_cronjob)
    result = cli("diagnose", f"{namespace}/{oom_cronjob}", "--memory", "original,512Mi", "-o", "json", "-q",
                 "--bundle", str(Path(controlplane.logs_dir).parent / f"bundle-{namespace}"),
                 kubeconfig=controlplane.kubeconfig)
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "oom"
    assert [(r["memory_limit"], r["outcome"], r["reason"]) for r in verdict["runs"]] == [
        ("128Mi", "failed", "OOMKilled"), ("512Mi", "succeeded", None)]
    # deleted with their pods by the real garbage collector, with the propagation policy the product sends
    wait_for(lambda: debug_jobs_gone(api_client, namespace), timeout=60, what="the debug Jobs and pods gone")
    assert cronjob_version(api_client, namespace, oom_cronjob) == before, "the CronJob is only ever read"


def test_the_debug_job_the_apiserver_accepts_has_no_owner_and_keeps_the_pod_template(
    api_client: Any, namespace: str, oom_cronjob: str, controlplane: ControlPlane, tmp_path: Path
) -> None:
    result = cli("diagnose", f"{namespace}/{oom_cronjob}", "--keep", "-o", "json", "-q", "--bundle",
                 str(tmp_path / "b"), kubeconfig=controlplane.kubeconfig)
    assert result.returncode == 0, result.stderr  # 512Mi by default: the run succeeds
    [job] = [j for j in jobs(api_client, namespace) if "-doctor-" in j.metadata.name]
    assert job.metadata.owner_references is None
    assert job.metadata.labels["app.kubernetes.io/managed-by"] == "cronjob-doctor"
    assert job.spec.template.metadata.labels[helpers.BEHAVIOUR_LABEL] == "oom-below-threshold"
    assert job.spec.template.spec.containers[0].resources.limits["memory"] == "512Mi"
    assert "kubectl delete job" in json.loads(result.stdout)["context"]["cleanup"]


def test_dry_run_passes_the_apiservers_own_validation(
    namespace: str, oom_cronjob: str, controlplane: ControlPlane, kubectl: Callable[..., Any]
) -> None:
    for output in ("yaml", "json"):
        planned = cli("diagnose", f"{namespace}/{oom_cronjob}", "--dry-run", "--memory", "original,512Mi",
                      "-o", output, kubeconfig=controlplane.kubeconfig)
        assert planned.returncode == 0, planned.stderr
        applied = kubectl("apply", "--dry-run=server", "-f", "-", input=planned.stdout)
        assert applied.stdout.count("created (server dry run)") == 2, applied.stdout


NUMBER_LIKE_STRINGS = ["578e0", "1e3", "1_000", "0o17", "0b1", "0x1f", ".5", "+1", "-2", ".inf", "1:20", "0777"]


def test_strings_that_look_like_numbers_reach_the_apiserver_as_strings(
    namespace: str, kubectl: Callable[..., Any]
) -> None:
    # a debug Job named backup-doctor-578e0 once carried a label kubectl read as the number 578
    from cronjob_doctor.debugjob import yamltext

    values = {f"k{index}": value for index, value in enumerate(NUMBER_LIKE_STRINGS)}
    label_value = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
    labels = {key: value for key, value in values.items() if label_value.fullmatch(value)}
    manifest = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "numbers", "namespace": namespace, "labels": labels}, "data": values}
    applied = kubectl("apply", "--dry-run=server", "-o", "json", "-f", "-", input=yamltext.dump(manifest))
    answer = json.loads(applied.stdout)
    assert answer["data"] == values and answer["metadata"]["labels"] == labels and "578e0" in labels.values()


def test_the_alerts_job_name_resolves_and_a_pruned_one_falls_back_to_its_cronjob(
    api_client: Any, namespace: str, oom_cronjob: str, controlplane: ControlPlane
) -> None:
    from kubernetes import client

    cronjob = client.BatchV1Api(api_client).read_namespaced_cron_job(oom_cronjob, namespace)
    job = helpers.create_job_from_cronjob(api_client, cronjob)
    for name in (job.metadata.name, f"{oom_cronjob}-29568000"):  # the second never existed: pruned
        planned = cli("diagnose", f"{namespace}/{name}", "--dry-run", kubeconfig=controlplane.kubeconfig)
        assert planned.returncode == 0, planned.stderr
        assert f"cronjob {namespace}/{oom_cronjob}" in planned.stdout


def test_kubectl_create_job_from_prunes_the_evidence_and_the_debug_clone_does_not(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path], controlplane: ControlPlane,
    kubectl: Callable[..., Any], tmp_path: Path,
) -> None:
    """The trap that started the project: with failedJobsHistoryLimit 1, a failed Job made by `kubectl create
    job --from=cronjob/...` is owned by the CronJob, so the controller deletes the older failed Job (the
    evidence of the alert); diagnose's clone has no owner and counts for nothing."""
    from kubernetes import client

    batch = client.BatchV1Api(api_client)
    manifest = helpers.cronjob_manifest("nightly", "error", run_duration="500ms")
    manifest["spec"]["failedJobsHistoryLimit"] = 1
    cronjob = batch.create_namespaced_cron_job(namespace, manifest)
    serve_logs(namespace, ["+ /bin/task", "error: the task failed"])
    evidence = helpers.create_job_from_cronjob(api_client, cronjob, "nightly-29568000").metadata.name
    helpers.wait_for_job_condition(api_client, namespace, evidence, "Failed")

    result = cli("diagnose", f"{namespace}/nightly", "--memory", "original", "-q", "--bundle", str(tmp_path / "b"),
                 kubeconfig=controlplane.kubeconfig)
    assert result.returncode == 1, result.stderr
    # a barrier: once the controller saw a later successful run of its own, it has pruned what it would prune
    helpers.create_job_from_cronjob(api_client, cronjob, "nightly-29568001",
                                    mutate=lambda j: j["spec"]["template"]["metadata"]["labels"].update(
                                        {helpers.BEHAVIOUR_LABEL: "succeed"}))
    wait_for(lambda: batch.read_namespaced_cron_job("nightly", namespace).status.last_successful_time,
             timeout=60, what="the CronJob controller to see the successful run")
    assert evidence in [j.metadata.name for j in jobs(api_client, namespace)], "diagnose kept the evidence"

    kubectl("create", "job", "manual", "--from=cronjob/nightly", "-n", namespace)
    helpers.wait_for_job_condition(api_client, namespace, "manual", "Failed")
    wait_for(lambda: evidence not in [j.metadata.name for j in jobs(api_client, namespace)], timeout=60,
             what="the CronJob controller to prune the original failed Job")


def test_history_and_scan_read_jobs_the_cronjob_controller_created_on_schedule(
    api_client: Any, namespace: str, controlplane: ControlPlane
) -> None:
    from kubernetes import client

    helpers.create_cronjob(api_client, namespace, "every-minute", "succeed", schedule="* * * * *",
                           run_duration="200ms")
    scheduled = wait_for(lambda: [j for j in jobs(api_client, namespace) if (j.metadata.annotations or {}).get(
        helpers.SCHEDULED_TIMESTAMP_ANNOTATION)], timeout=90, what="a Job the controller scheduled")[0]
    helpers.wait_for_job_condition(api_client, namespace, scheduled.metadata.name, "Complete")
    wait_for(lambda: client.BatchV1Api(api_client).read_namespaced_cron_job(
        "every-minute", namespace).status.last_successful_time, what="lastSuccessfulTime")
    shown = cli("history", f"{namespace}/every-minute", "-o", "json", kubeconfig=controlplane.kubeconfig)
    assert shown.returncode == 0, shown.stderr
    history = json.loads(shown.stdout)
    run = {r["job"]: r for r in history["runs"]}[scheduled.metadata.name]
    stamp = scheduled.metadata.annotations[helpers.SCHEDULED_TIMESTAMP_ANNOTATION]
    assert run["outcome"] == "succeeded" and run["scheduled"].startswith(stamp[:16])
    scanned = cli("scan", "-n", namespace, "-o", "json", kubeconfig=controlplane.kubeconfig)
    assert scanned.returncode == 0, scanned.stderr
    [row] = json.loads(scanned.stdout)["cronjobs"]
    assert row["name"] == "every-minute" and row["last_outcome"] == "succeeded"


def _record_once(namespace: str, name: str, root: Path, kubeconfig: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("KUBECONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "cronjob_doctor", "record", f"{namespace}/{name}", "--once", "-o", "json",
         "--bundle", str(root), "--kubeconfig", kubeconfig],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    # the recorder announces its scope once its watches are being set up; its first list follows at once
    wait_for(lambda: (root / "recorder.json").exists() or process.poll() is not None, what="record to start")
    assert process.poll() is None, process.communicate()
    return process


def test_record_keeps_a_run_whose_pod_the_job_controller_deletes_at_backoff_limit(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path], controlplane: ControlPlane, tmp_path: Path
) -> None:
    from kubernetes import client

    cronjob = helpers.create_cronjob(api_client, namespace, "flaky", "restart-onfailure",
                                     restart_policy="OnFailure", backoff_limit=1, run_duration="500ms")
    serve_logs(namespace, ["+ /bin/task", "panic: boom"], previous=["+ /bin/task", "panic: boom (before)"])
    root = tmp_path / "rec"
    recorder = _record_once(namespace, "flaky", root, controlplane.kubeconfig)
    job = helpers.create_job_from_cronjob(api_client, cronjob, "flaky-29568000")
    out, err = recorder.communicate(timeout=240)
    assert recorder.returncode == 1, err
    line = json.loads(out.splitlines()[-1])
    assert (line["job"], line["outcome"], line["reason"]) == ("flaky-29568000", "failed", "BackoffLimitExceeded")
    wait_for(lambda: not [p for p in pods(api_client, namespace) if p.metadata.name.startswith("flaky-")],
             timeout=60, what="the Job controller to delete the pod")
    bundle = Path(line["bundle"])
    [pod] = json.loads((bundle / "pods.json").read_text())["items"]
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] >= 1 and status["lastState"]["terminated"]["exitCode"] == 1
    assert list(bundle.glob("logs/*/*.log")), "the logs were captured before the pod was deleted"
    assert client.BatchV1Api(api_client).read_namespaced_job(job.metadata.name, namespace)


def test_record_keeps_a_run_the_ttl_controller_deletes_at_once(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path], controlplane: ControlPlane, tmp_path: Path
) -> None:
    cronjob = helpers.create_cronjob(api_client, namespace, "tidy", "succeed", run_duration="500ms",
                                     ttl_seconds_after_finished=0)
    serve_logs(namespace, ["+ /bin/task", "done"])
    root = tmp_path / "rec"
    recorder = _record_once(namespace, "tidy", root, controlplane.kubeconfig)
    helpers.create_job_from_cronjob(api_client, cronjob, "tidy-29568000")
    out, err = recorder.communicate(timeout=240)
    assert recorder.returncode == 0, err
    line = json.loads(out.splitlines()[-1])
    assert (line["job"], line["outcome"]) == ("tidy-29568000", "succeeded")
    wait_for(lambda: not jobs(api_client, namespace), timeout=60, what="the TTL controller to delete the Job")
    bundle = Path(line["bundle"])
    assert json.loads((bundle / "job.json").read_text())["metadata"]["name"] == "tidy-29568000"
    assert "done" in next(bundle.glob("logs/*/*.log")).read_text()


# ---------------------------------------------------------------------------------------------- real RBAC


def _token_kubeconfig(controlplane: ControlPlane, kubectl: Callable[..., Any], namespace: str, account: str,
                      path: Path) -> str:
    """A kubeconfig that authenticates as a ServiceAccount with a token from the TokenRequest API."""
    token = kubectl("create", "token", account, "-n", namespace, "--duration=1h").stdout.strip()
    admin = yaml.safe_load(Path(controlplane.kubeconfig).read_text())
    cluster = admin["clusters"][0]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "clusters": [cluster],
        "users": [{"name": account, "user": {"token": token}}],
        "contexts": [{"name": account, "context": {"cluster": cluster["name"], "user": account,
                                                    "namespace": namespace}}],
        "current-context": account,
    }))
    return str(path)


def _role_without(namespace: str, *, resource: str, verb: str) -> dict[str, Any]:
    """examples/rbac.yaml's Role for this namespace, minus one verb on one resource."""
    docs = [d for d in yaml.safe_load_all((ROOT / "examples" / "rbac.yaml").read_text()) if d]
    [role] = [d for d in docs if d["kind"] == "Role"]
    role["metadata"]["namespace"] = namespace
    for rule in role["rules"]:
        if resource in rule["resources"]:
            rule["verbs"] = [v for v in rule["verbs"] if v != verb]
    role["rules"] = [rule for rule in role["rules"] if rule["verbs"]]
    return role


@pytest.mark.parametrize(("resource", "verb", "named"), [("jobs", "create", "create jobs (batch)"),
                                                         ("pods/log", "get", "get pods/log")])
def test_preflight_names_what_the_real_rbac_denies_and_creates_nothing(
    api_client: Any, namespace: str, oom_cronjob: str, controlplane: ControlPlane, kubectl: Callable[..., Any],
    tmp_path: Path, resource: str, verb: str, named: str,
) -> None:
    kubectl("create", "serviceaccount", "operator", "-n", namespace)
    kubectl("apply", "-f", "-", input=yaml.safe_dump(_role_without(namespace, resource=resource, verb=verb)))
    kubectl("create", "rolebinding", "operator", "-n", namespace, "--role=cronjob-doctor",
            f"--serviceaccount={namespace}:operator")
    config = _token_kubeconfig(controlplane, kubectl, namespace, "operator", tmp_path / "operator.kubeconfig")
    result = cli("diagnose", oom_cronjob, "-q", "--bundle", str(tmp_path / "b"), kubeconfig=config)
    assert result.returncode == 3, result.stderr
    assert named in result.stderr and "nothing was created" in result.stderr
    assert not [j for j in jobs(api_client, namespace) if "-doctor-" in j.metadata.name]


def test_with_the_example_role_a_service_account_runs_diagnose_to_the_end(
    api_client: Any, namespace: str, oom_cronjob: str, controlplane: ControlPlane, kubectl: Callable[..., Any],
    tmp_path: Path,
) -> None:
    kubectl("create", "serviceaccount", "operator", "-n", namespace)
    role = _role_without(namespace, resource="none", verb="none")
    kubectl("apply", "-f", "-", input=yaml.safe_dump(role))
    kubectl("create", "rolebinding", "operator", "-n", namespace, "--role=cronjob-doctor",
            f"--serviceaccount={namespace}:operator")
    config = _token_kubeconfig(controlplane, kubectl, namespace, "operator", tmp_path / "operator.kubeconfig")
    result = cli("diagnose", oom_cronjob, "--memory", "original,512Mi", "-o", "json", "-q", "--bundle",
                 str(tmp_path / "b"), kubeconfig=config)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["verdict"] == "oom"
    wait_for(lambda: debug_jobs_gone(api_client, namespace), timeout=60, what="cleanup under the Role")


# ---------------------------------------------------------------------------------------------- the apiserver


def test_diagnose_goes_on_through_an_apiserver_restart(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path], controlplane: ControlPlane,
    controlplane_script: Callable[..., Any], tmp_path: Path,
) -> None:
    lines = [f"step {i}" for i in range(40)]
    helpers.create_cronjob(api_client, namespace, "slow", "succeed", run_duration="25s")
    serve_logs(namespace, lines)
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("KUBECONFIG", None)
    bundle = tmp_path / "b"
    process = subprocess.Popen(
        [sys.executable, "-m", "cronjob_doctor", "diagnose", f"{namespace}/slow", "-o", "json", "-q", "--bundle",
         str(bundle), "--kubeconfig", controlplane.kubeconfig],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    wait_for(lambda: [p for p in pods(api_client, namespace) if helpers.phase(p) == "Running"], timeout=60,
             what="the debug pod running")
    restarted = controlplane_script("restart-apiserver")
    assert restarted.returncode == 0, restarted.stderr
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert json.loads(out)["verdict"] == "success"
    [log] = list(bundle.glob("logs/*/*.log"))
    written = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    assert written == lines, "no line lost or doubled across the restart"


def test_a_watch_relists_after_compaction_makes_its_version_too_old(
    api_client: Any, namespace: str, controlplane: ControlPlane, controlplane_script: Callable[..., Any]
) -> None:
    """etcd compaction shows through the apiserver after a restart (controlplane/README.md): the product's
    watch gets 410 Expired for its old resourceVersion, relists, and still delivers every object."""
    import threading
    import urllib.request

    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor.kube.watch import watch

    kube = Kube.connect(kubeconfig=controlplane.kubeconfig)
    seen: set[str] = set()
    stop = threading.Event()

    def follow() -> None:
        for _event, obj in watch(kube, "jobs", namespace, stop=stop):
            seen.add(obj["metadata"]["name"])

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    helpers.create_job(api_client, namespace, "before", "run-forever")
    wait_for(lambda: "before" in seen, what="the watch to deliver the first Job")
    for index in range(5):  # move etcd's revision on, so the watch's version is compacted away
        helpers.create_job(api_client, namespace, f"churn-{index}", "run-forever")
    revision = json.loads(urllib.request.urlopen(urllib.request.Request(
        f"{controlplane.etcd_endpoint}/v3/kv/range", data=json.dumps({"key": "AA=="}).encode(),
        method="POST"), timeout=10).read())["header"]["revision"]
    urllib.request.urlopen(urllib.request.Request(
        f"{controlplane.etcd_endpoint}/v3/kv/compaction",
        data=json.dumps({"revision": revision, "physical": True}).encode(), method="POST"), timeout=30).read()
    assert controlplane_script("restart-apiserver").returncode == 0
    helpers.create_job(api_client, namespace, "after", "run-forever")
    wait_for(lambda: {"before", "after", *(f"churn-{i}" for i in range(5))} <= seen, timeout=120,
             what="every Job, across the 410")
    stop.set()


def test_one_diagnose_costs_a_bounded_number_of_requests(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path], controlplane: ControlPlane, tmp_path: Path
) -> None:
    """The audit log (policy level Metadata) counts the requests of one diagnose; a run ten times as long
    makes no more requests than a short one, give or take the watches' and streams' own renewals."""
    serve_logs(namespace, SCRIPT)
    counts = {}
    for name, duration in (("short", "1s"), ("long", "20s")):
        helpers.create_cronjob(api_client, namespace, name, "succeed", run_duration=duration)
        started = dt.datetime.now(dt.timezone.utc)
        result = cli("diagnose", f"{namespace}/{name}", "-q", "--bundle", str(tmp_path / name),
                     kubeconfig=controlplane.kubeconfig)
        assert result.returncode == 0, result.stderr
        counts[name] = len(wait_for(lambda since=started: audited(controlplane.logs_dir, namespace, since=since),
                                    what="the audit log to hold the run (it is written in batches)"))
    assert counts["short"] > 10, counts  # the audit log saw this diagnose's requests
    assert counts["long"] <= counts["short"] + 10, counts


