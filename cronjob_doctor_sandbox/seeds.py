"""Starting states for the sandbox: `incident` reproduces tofu-state/tf-state-backup as the bug report found it
(two failed Jobs whose pods are gone), plus one CronJob per other failure scenario; `containers` adds a CronJob
with two containers of different limits; `empty`; and a large generated cluster for scale benchmarks.

Seeds only create objects; they never run controllers. Timestamps of past runs are fixed (March 2026, the
incident), so job names decode to their startTime.
"""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from .containers import NODE_IP
from .cronjobs import job_for
from .events import NODE_NAME
from .podtemplate import default_pod_spec, pod_for_job
from .scenarios import CONTAINER_ANNOTATION, SCENARIO_ANNOTATION
from .store import Obj, Store

INCIDENT_SCRIPT = """set -e
apk add --no-cache curl
curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc
chmod +x /tmp/mc
curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl
chmod +x /tmp/kubectl
/tmp/mc alias set backup http://minio.minio.svc.cluster.local:9000 "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
/tmp/kubectl get secrets -n tofu-state -l tfstate=true -o yaml > /tmp/tf-state-$(date +%Y%m%d).yaml
/tmp/mc cp /tmp/tf-state-$(date +%Y%m%d).yaml backup/tf-state-backups/
echo "backup complete"
"""
INCIDENT_RUNS = ((29562240, "Complete"), (29563680, "Complete"), (29565120, "Failed"), (29566560, "Complete"),
                 (29568000, "Failed"))
_CREATED = datetime(2025, 9, 14, 10, 12, 3, tzinfo=timezone.utc)


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _meta(name: str, namespace: str = "", **extra: Any) -> Obj:
    meta: Obj = {"name": name, "uid": str(uuid.uuid4()), "creationTimestamp": _ts(_CREATED), **extra}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _base(store: Store) -> None:
    """What every cluster has: the node and the system namespaces with their default ServiceAccounts."""
    store.create(
        "nodes",
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": _meta(
                NODE_NAME,
                labels={
                    "kubernetes.io/hostname": NODE_NAME,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node-role.kubernetes.io/control-plane": "",
                },
            ),
            "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"]},
            "status": {
                "capacity": {"cpu": "4", "memory": "8039428Ki", "pods": "110", "ephemeral-storage": "61202244Ki"},
                "allocatable": {"cpu": "4", "memory": "8039428Ki", "pods": "110", "ephemeral-storage": "59536912990"},
                "conditions": [
                    {
                        "type": t,
                        "status": "False",
                        "reason": r,
                        "message": m,
                        "lastHeartbeatTime": _ts(_CREATED),
                        "lastTransitionTime": _ts(_CREATED),
                    }
                    for t, r, m in (
                        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    )
                ]
                + [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": _ts(_CREATED),
                        "lastTransitionTime": _ts(_CREATED),
                    }
                ],
                "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": NODE_NAME}],
                "nodeInfo": {
                    "kubeletVersion": "v1.31.4",
                    "kubeProxyVersion": "v1.31.4",
                    "containerRuntimeVersion": "containerd://1.7.23",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "osImage": "Ubuntu 24.04.1 LTS",
                    "kernelVersion": "6.8.0-51-generic",
                },
            },
        },
    )
    for namespace in ("default", "kube-system", "kube-public", "kube-node-lease"):
        _namespace(store, namespace)


def _namespace(store: Store, name: str, **labels: str) -> None:
    store.create("namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": _meta(name, labels={"kubernetes.io/metadata.name": name, **labels}),
        "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
    })
    store.create("serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("default", name)})


def _cronjob(name: str, namespace: str, *, schedule: str, script: str, image: str = "alpine:3.20",
             scenario: str | None = None, sa: str = "default", env: list[Obj] | None = None,
             limits: Obj | None = None, requests: Obj | None = None, restart: str = "OnFailure",
             backoff: int = 2, deadline: int | None = None, labels: Obj | None = None) -> Obj:
    annotations = {SCENARIO_ANNOTATION: scenario} if scenario else {}
    container: Obj = {"name": "backup" if name == "tf-state-backup" else name,
                      "image": image, "command": ["/bin/sh", "-c", script],
                      "resources": {k: v for k, v in (("limits", limits), ("requests", requests)) if v}}
    if env:
        container["env"] = env
    pod_spec = default_pod_spec({"restartPolicy": restart, "serviceAccountName": sa, "serviceAccount": sa,
                                 "containers": [container]}, with_token_volume=False)
    job_spec: Obj = {"backoffLimit": backoff, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed",
                     "suspend": False, "podReplacementPolicy": "TerminatingOrFailed",
                     "template": {"metadata": {"creationTimestamp": None, "labels": {"app": name, **(labels or {})},
                                               **({"annotations": annotations} if annotations else {})},
                                  "spec": pod_spec}}
    if deadline is not None:
        job_spec["activeDeadlineSeconds"] = deadline
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(
            name, namespace, labels={"app": name}, **({"annotations": annotations} if annotations else {})
        ),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "suspend": False,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {"metadata": {"creationTimestamp": None, "labels": {"app": name}}, "spec": job_spec},
        },
        "status": {},
    }


def _secret(name: str, namespace: str, data: dict[str, str], **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": _meta(name, namespace, labels=labels),
            "data": {k: _b64(v) for k, v in data.items()}}


def _past_job(cronjob: Obj, minutes: int, outcome: str, *, ended_after: timedelta) -> Obj:
    """A finished Job as the controllers left it; failed ones have no pods left (BackoffLimitExceeded deleted
    the only pod of an OnFailure Job)."""
    scheduled = datetime.fromtimestamp(minutes * 60, timezone.utc)
    job = job_for(cronjob, scheduled)
    start, end = scheduled + timedelta(seconds=1), scheduled + ended_after
    job["metadata"]["creationTimestamp"] = _ts(scheduled)
    status: Obj = {"startTime": _ts(start), "ready": 0, "terminating": 0, "uncountedTerminatedPods": {}}
    if outcome == "Complete":
        reason, message, kinds = (
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            ("SuccessCriteriaMet", "Complete"),
        )
        status.update(succeeded=1, completionTime=_ts(end))
    else:
        reason, message, kinds = (
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            ("FailureTarget", "Failed"),
        )
        status["failed"] = 1
    status["conditions"] = [{"type": k, "status": "True", "lastProbeTime": _ts(end), "lastTransitionTime": _ts(end),
                             "reason": reason, "message": message} for k in kinds]
    job["status"] = status
    return job


def incident(store: Store) -> None:
    """tofu-state/tf-state-backup after the 2026-03-21 failure, and the other scenarios' CronJobs."""
    _base(store)
    _namespace(store, "tofu-state")
    _namespace(store, "minio")
    store.create(
        "serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("tf-backup", "tofu-state")}
    )
    store.create("secrets", _secret("tf-backup-s3-creds", "tofu-state",
                                    {"access-key": "tf-backup", "secret-key": "Vq3n8sLk2PzR7wYt"}))
    for workspace in ("default", "platform"):
        store.create("secrets", _secret(f"tfstate-{workspace}-state", "tofu-state",
                                        {"tfstate": '{"version": 4, "terraform_version": "1.8.0", "serial": 212}'},
                                        tfstate="true", **{"app.kubernetes.io/managed-by": "terraform"}))
    env = [
        {"name": "S3_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "tf-backup-s3-creds", "key": "access-key"}}},
        {"name": "S3_SECRET_KEY", "valueFrom": {"secretKeyRef": {"name": "tf-backup-s3-creds", "key": "secret-key"}}},
    ]
    cronjob = _cronjob("tf-state-backup", "tofu-state", schedule="0 8 * * *", script=INCIDENT_SCRIPT, sa="tf-backup",
                       env=env, limits={"memory": "128Mi"}, requests={"cpu": "50m", "memory": "64Mi"})
    cronjob = store.create("cronjobs", cronjob)
    durations = {"Complete": timedelta(minutes=1, seconds=14), "Failed": timedelta(minutes=2, seconds=41)}
    for minutes, outcome in INCIDENT_RUNS:
        store.create("jobs", _past_job(cronjob, minutes, outcome, ended_after=durations[outcome]))
    last, last_ok = INCIDENT_RUNS[-1][0], 29566560
    store.mutate("cronjobs", "tofu-state", "tf-state-backup", lambda cj: cj.__setitem__("status", {
        "lastScheduleTime": _ts(datetime.fromtimestamp(last * 60, timezone.utc)),
        "lastSuccessfulTime": _ts(datetime.fromtimestamp(last_ok * 60, timezone.utc) + durations["Complete"]),
    }))
    _other_scenarios(store)


def _other_scenarios(store: Store) -> None:
    download = ("set -e\napk add --no-cache curl\n"
                "curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\nchmod +x /tmp/mc\n"
                "/tmp/mc --version\n")
    sync = ('set -e\nmc alias set store http://minio.minio.svc.cluster.local:9000 "$ACCESS_KEY" "$SECRET_KEY"\n'
            "mc mirror --overwrite /data store/reports/\n")
    cases = (
        ("cdn", "cdn-backup", "cdn-down", download, "alpine:3.20", None),
        ("netpol", "minio-sync", "netpol-blocked", sync, "minio/mc:RELEASE.2024-11-21T17-21-54Z", None),
        (
            "images",
            "report-gen",
            "image-pull",
            "python /app/report.py",
            "registry.example.com/analytics/report-gen:v2.4.1-rc0",
            None,
        ),
        (
            "rbac",
            "secret-export",
            "forbidden",
            "set -e\nkubectl get secrets -n rbac -o yaml > /tmp/secrets.yaml\necho exported",
            "bitnami/kubectl:1.31",
            None,
        ),
        ("hang", "db-vacuum", "hang", "set -e\nvacuumdb --analyze --dbname=app\n", "postgres:16-alpine", None),
        (
            "flaky",
            "metrics-rollup",
            "flaky",
            "set -e\napk add --no-cache curl\n"
            "curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl\nchmod +x /tmp/kubectl\n"
            "echo rolled up",
            "alpine:3.20",
            None,
        ),
        (
            "ok",
            "log-rotate",
            "success",
            "set -e\nfind /var/log/app -name '*.log' -mtime +7 -delete\necho rotated",
            "alpine:3.20",
            None,
        ),
    )
    for namespace, name, scenario, script, image, deadline in cases:
        _namespace(store, namespace)
        env = None
        if namespace == "netpol":
            store.create(
                "secrets",
                _secret(
                    "minio-sync-creds", namespace, {"access-key": "minio-sync-7QX2", "secret-key": "s3cr3t-sync-Lq9w"}
                ),
            )
            env = [{"name": k, "valueFrom": {"secretKeyRef": {"name": "minio-sync-creds", "key": ref}}}
                   for k, ref in (("ACCESS_KEY", "access-key"), ("SECRET_KEY", "secret-key"))]
            store.create("networkpolicies", _egress_policy(namespace, name))
        store.create("cronjobs", _cronjob(name, namespace, schedule="30 3 * * *", script=script, image=image,
                                          scenario=scenario, env=env, limits={"memory": "256Mi"}, deadline=deadline,
                                          requests={"cpu": "50m", "memory": "64Mi"}))


def _egress_policy(namespace: str, app: str) -> Obj:
    """Default-deny egress for the app with DNS allowed, and no rule for minio:9000: the blocked path."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta("restrict-egress", namespace),
        "spec": {
            "podSelector": {"matchLabels": {"app": app}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    }


PREP_SCRIPT = "set -e\napk add --no-cache curl\n" + "".join(
    f"curl -sSLo /cache/kubectl-1.3{minor} https://dl.k8s.io/release/v1.3{minor}.0/bin/linux/amd64/kubectl\n"
    for minor in range(7)
) + "echo cache warm\n"
"""A container that fills ~550Mi of page cache (seven kubectl downloads) under its own 1Gi limit."""


def containers(store: Store) -> None:
    """The incident seed plus multi/state-export: two containers with limits of their own, `backup` (128Mi, the
    incident's script: OOMKilled at about 170Mi) and `prep` (1Gi, peaks at about 550Mi and is fine), with a failed
    Job on record. Each container's peak must be judged against its own limit, and a raise must not lower `prep`."""
    incident(store)
    _namespace(store, "multi")
    cronjob = _cronjob("state-export", "multi", schedule="0 8 * * *", script=INCIDENT_SCRIPT,
                       scenario="oom-under-limit", limits={"memory": "128Mi"},
                       requests={"cpu": "50m", "memory": "64Mi"}, restart="Never", backoff=0)
    template = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    template["metadata"]["annotations"][CONTAINER_ANNOTATION] = "backup"
    backup = template["spec"]["containers"][0]
    backup["name"] = "backup"
    prep = {**copy.deepcopy(backup), "name": "prep", "command": ["/bin/sh", "-c", PREP_SCRIPT],
            "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "50m", "memory": "256Mi"}}}
    template["spec"]["containers"].append(prep)
    cronjob = store.create("cronjobs", cronjob)
    store.create("jobs", _past_job(cronjob, INCIDENT_RUNS[-1][0], "Failed", ended_after=timedelta(minutes=2)))


def empty(store: Store) -> None:
    """A fresh cluster: the node and the system namespaces."""
    _base(store)


def generate_large(store: Store, namespaces: int = 100, cronjobs_per_ns: int = 20, jobs_per_cronjob: int = 10,
                   pods: int = 5000) -> None:
    """Many finished CronJob runs for scale benchmarks; objects are built as dicts and inserted in bulk."""
    _base(store)
    start = 29562240
    jobs: list[Obj] = []
    cronjobs: list[Obj] = []
    namespace_objs: list[Obj] = []
    job_pods: list[Obj] = []
    template = _cronjob("template", "x", schedule="0 * * * *", script="echo ok", limits={"memory": "64Mi"})
    for n in range(namespaces):
        namespace = f"team-{n:03d}"
        namespace_objs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(namespace),
                               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
        for c in range(cronjobs_per_ns):
            cronjob = copy.deepcopy(template)
            cronjob["metadata"].update(name=f"job-{c:02d}", namespace=namespace, uid=str(uuid.uuid4()))
            cronjobs.append(cronjob)
            for r in range(jobs_per_cronjob):
                outcome = "Failed" if (n + c + r) % 7 == 0 else "Complete"
                job = _past_job(cronjob, start + 60 * r, outcome, ended_after=timedelta(seconds=40))
                jobs.append(job)
                if len(job_pods) < pods and outcome == "Complete":
                    pod = pod_for_job(job)
                    pod["spec"]["nodeName"] = NODE_NAME
                    pod["status"] = {
                        "phase": "Succeeded",
                        "qosClass": "Burstable",
                        "startTime": job["status"]["startTime"],
                    }
                    job_pods.append(pod)
    for resource, objects in (
        ("namespaces", namespace_objs),
        ("cronjobs", cronjobs),
        ("jobs", jobs),
        ("pods", job_pods),
    ):
        store.insert_many(resource, objects)


SEEDS: dict[str, Callable[[Store], None]] = {"incident": incident, "containers": containers, "empty": empty,
                                             "large": generate_large}


def apply(store: Store, name: str) -> None:
    """Load the named seed into `store`."""
    if name not in SEEDS:
        raise KeyError(f"unknown seed {name!r}; known: {', '.join(sorted(SEEDS))}")
    SEEDS[name](store)
