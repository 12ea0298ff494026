"""Job and CronJob controllers, kubelet and GC, driven through the Store as the API server would."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from cronjob_doctor.k8s.quantity import parse_bytes
from cronjob_doctor_sandbox import gc, seeds
from cronjob_doctor_sandbox.cluster import Cluster
from tests.waiting import wait_until

from ._cluster import condition, finished, job, pods_of, reasons

TRACED = "set -x\n" + seeds.INCIDENT_SCRIPT


def test_incident_script_succeeds_at_512mi_with_trace_lines(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("big", script=TRACED))
    done = wait_until(lambda: finished(cluster.store, "big"), what="job big to finish")
    assert condition(done, "Complete")["reason"] == "CompletionsReached"
    assert condition(done, "SuccessCriteriaMet") and done["status"]["succeeded"] == 1
    assert done["status"]["completionTime"]
    pod = pods_of(cluster.store, "big")[0]
    assert pod["status"]["phase"] == "Succeeded"
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("Completed", 0)
    lines = cluster.logs.written("ns", pod["metadata"]["name"], "backup")
    assert "+ apk add --no-cache curl" in lines
    assert "+ /tmp/mc alias set backup http://minio.minio.svc.cluster.local:9000 tf-backup Vq3n8sLk" in lines
    assert any(line.startswith("(10/10) Installing curl") for line in lines)
    assert any(line.startswith("OK: ") and "packages" in line for line in lines)


def test_128mi_is_oomkilled_with_exit_137_and_no_pod_event_for_it(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("small", memory="128Mi"))
    done = wait_until(lambda: finished(cluster.store, "small"), what="job small to finish")
    assert condition(done, "Failed")["reason"] == "BackoffLimitExceeded"
    assert "completionTime" not in done["status"] and done["status"]["failed"] == 1
    pod = pods_of(cluster.store, "small")[0]  # restartPolicy Never: the failed pod stays
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert terminated["containerID"].startswith("containerd://") and len(terminated["containerID"]) == 13 + 64
    assert "OOMKilling" not in reasons(cluster.store, pod["metadata"]["name"])
    assert "SystemOOM" in reasons(cluster.store, "sandbox-node-1")
    lines = cluster.logs.written("ns", pod["metadata"]["name"], "backup")
    assert lines[-1].startswith("OK: ")  # killed during the downloads, after apk


def test_on_failure_restarts_in_place_then_backoff_limit_deletes_the_pod(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("retry", memory="128Mi", restart="OnFailure", backoff=2))
    done = wait_until(lambda: finished(cluster.store, "retry"), what="job retry to finish")
    assert [c["type"] for c in done["status"]["conditions"]] == ["FailureTarget", "Failed"]
    assert condition(done, "Failed")["message"] == "Job has reached the specified backoff limit"
    assert wait_until(lambda: not pods_of(cluster.store, "retry"), what="its pod deleted")  # the evidence is gone
    history = [e.object for e in cluster.store.events_since("pods", "ns", 0)]
    assert len({p["metadata"]["uid"] for p in history}) == 1  # one pod, restarted in place
    last_states = [s.get("lastState", {}).get("terminated", {}) for p in history
                   for s in (p.get("status") or {}).get("containerStatuses") or []]
    assert any(t.get("reason") == "OOMKilled" and t.get("exitCode") == 137 for t in last_states)
    waiting = [s["state"].get("waiting", {}).get("reason") for p in history
               for s in (p.get("status") or {}).get("containerStatuses") or []]
    assert "CrashLoopBackOff" in waiting
    assert {"BackOff", "Killing"} <= set(reasons(cluster.store, "retry-"))
    assert {"SuccessfulCreate", "SuccessfulDelete", "BackoffLimitExceeded"} <= set(reasons(cluster.store, "retry"))


def test_active_deadline_kills_the_pod_with_137_error(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("slow", annotations={"sandbox.cronjob-doctor.io/scenario": "hang"}))

    def running() -> bool:
        return any("running" in s["state"] for p in pods_of(cluster.store, "slow")
                   for s in (p.get("status") or {}).get("containerStatuses") or [])

    # Once the container runs, the Job gets a deadline it has already passed (as `kubectl patch` may set one):
    # the controller fails it at once and kills the running container. A deadline given at creation could run
    # out on a loaded machine before the container even started (20 simulated seconds are 0.2 s here).
    wait_until(running, what="the container of job slow running")
    cluster.store.mutate("jobs", "ns", "slow", lambda j: j["spec"].update(activeDeadlineSeconds=1))
    done = wait_until(lambda: finished(cluster.store, "slow"), what="job slow to finish")
    failed = condition(done, "Failed")
    assert (failed["reason"], failed["message"]) == (
        "DeadlineExceeded",
        "Job was active longer than specified deadline",
    )
    history = [e.object for e in cluster.store.events_since("pods", "ns", 0)]
    ends = [
        s["state"].get("terminated") for p in history for s in (p.get("status") or {}).get("containerStatuses") or []
    ]
    assert any(t and (t["exitCode"], t["reason"]) == (137, "Error") for t in ends)
    assert "Killing" in reasons(cluster.store, "slow-")


def test_ttl_after_finished_deletes_job_and_pods(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("short", script="echo hi", ttlSecondsAfterFinished=5))
    wait_until(lambda: pods_of(cluster.store, "short"), what="a pod of job short")
    wait_until(lambda: cluster.store.find("jobs", "ns", "short") is None, what="the TTL to delete the job")
    wait_until(lambda: not pods_of(cluster.store, "short"), what="its pods deleted")


def test_pods_carry_the_job_labels_and_controller_reference(cluster: Cluster) -> None:
    created = cluster.store.create("jobs", job("labels", script="echo hi"))
    pod = wait_until(lambda: (pods_of(cluster.store, "labels") or [None])[0], what="a pod of job labels")
    labels, uid = pod["metadata"]["labels"], created["metadata"]["uid"]
    assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "labels"
    assert labels["controller-uid"] == labels["batch.kubernetes.io/controller-uid"] == uid
    assert pod["metadata"]["name"].startswith("labels-") and len(pod["metadata"]["name"]) == len("labels-") + 5
    ref = pod["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["uid"], ref["controller"], ref["blockOwnerDeletion"]) == ("Job", uid, True, True)


def test_pod_metrics_report_memory_of_a_running_pod(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("metrics", annotations={"sandbox.cronjob-doctor.io/scenario": "hang"}))
    pod = wait_until(
        lambda: next((p for p in pods_of(cluster.store, "metrics") if p["status"].get("phase") == "Running"), None),
        what="a running pod",
    )
    metrics = wait_until(lambda: cluster.pod_metrics("ns", pod["metadata"]["name"]), what="pod metrics")
    assert metrics["kind"] == "PodMetrics" and metrics["apiVersion"] == "metrics.k8s.io/v1beta1"
    usage = metrics["containers"][0]["usage"]
    assert usage["memory"].endswith("Ki") and parse_bytes(usage["memory"]) > 0
    assert cluster.pod_metrics("ns", "no-such-pod") is None


def test_trigger_cronjob_and_history_limits(incident_cluster: Cluster) -> None:
    cluster = incident_cluster
    store = cluster.store
    name = cluster.trigger_cronjob("ok", "log-rotate")
    created = store.get("jobs", "ok", name)
    minutes = int(name.rsplit("-", 1)[1])
    stamp = created["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() == minutes * 60
    ref = created["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"]) == ("CronJob", "log-rotate", True)
    assert store.get("cronjobs", "ok", "log-rotate")["status"]["active"][0]["name"] == name
    base = datetime(2026, 3, 22, 3, 30, tzinfo=timezone.utc)
    names = [name] + [cluster.trigger_cronjob("ok", "log-rotate", scheduled=base + timedelta(days=d)) for d in range(4)]
    wait_until(lambda: all(store.find("jobs", "ok", n) is None or finished(store, n, "ok") for n in names),
               what="every run to finish")
    remaining = wait_until(lambda: (lambda j: j if len(j) == 3 else None)(store.list("jobs", "ok")[0]),
                           what="the history limit to leave three jobs")
    assert {j["metadata"]["name"] for j in remaining} == set(sorted(names, key=lambda n: int(n.rsplit("-", 1)[1]))[-3:])
    status = wait_until(
        lambda: (lambda s: s if "active" not in s else None)(store.get("cronjobs", "ok", "log-rotate")["status"]),
        what="no active run in the CronJob's status",
    )
    assert status["lastSuccessfulTime"] and status["lastScheduleTime"]
    assert {"SuccessfulCreate", "SawCompletedJob", "SuccessfulDelete"} <= set(reasons(store, "log-rotate"))


def test_gc_collect_removes_dependents_of_a_deleted_owner(incident_cluster: Cluster) -> None:
    cluster = incident_cluster
    store = cluster.store
    deleted = store.delete("cronjobs", "tofu-state", "tf-state-backup")
    gc.collect(store, cluster.logs, "cronjobs", deleted)
    assert store.list("jobs", "tofu-state")[0] == []
    assert store.find("secrets", "tofu-state", "tf-backup-s3-creds") is not None
