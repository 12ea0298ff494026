"""Regenerate the labelled corpus in tests/corpus/ from the builders: `python -m tests.make_corpus`.

Each case is a bundle directory (the files `diagnose`/`record` write, or raw `kubectl get -o json` dumps) plus
`expected.json` with the verdict a careful human would give. The directories are the data of record; this script
only saves typing. Texts in the logs and events are real tool and Kubernetes messages.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.builders import (
    condition,
    container,
    cronjob,
    event,
    job,
    job_complete,
    job_failed,
    log,
    netpol,
    pod,
    running,
    terminated,
    waiting,
)

ROOT = Path(__file__).parent / "corpus"
MEM = "##cronjob-doctor-mem"
TOKEN = "k3j4h-5f0c1e2d9a8b7c6d"
"""The sampler token of the runs below: only marker lines carrying it are memory samples (meta.json records it)."""
POD = "tf-state-backup-29565120-x7k2p"
APK_OK = [
    "+ apk add --no-cache curl",
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
    "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/community/x86_64/APKINDEX.tar.gz",
    "(1/9) Installing ca-certificates (20240705-r0)",
    "(9/9) Installing curl (8.9.1-r1)",
    "OK: 13 MiB in 23 packages",
]
MC = "+ curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc"
STABLE = "++ curl -L -s https://dl.k8s.io/release/stable.txt"
KUBECTL = "+ curl -sSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/kubectl"
UPLOAD = ["+ chmod +x /tmp/mc /tmp/kubectl",
          "+ /tmp/kubectl get secrets -n tofu-state -l tfstate=true -o json",
          "+ /tmp/mc alias set backup http://minio.minio.svc.cluster.local:9000 tf-backup '****'",
          "Added `backup` successfully.",
          "+ /tmp/mc cp /tmp/state.json backup/tf-state-backups/state-20260320.json"]
Case = dict[str, Any]
CASES: dict[str, Callable[[], Case]] = {}
EXIT_137_RELABEL = {
    "from": {"verdict": "unknown"},
    "to": {"verdict": "oom", "detail": "exit-137"},
    "reason": "Issue 15 names memory in all its forms, among them 'exit 137 that no probe, deadline or deletion "
              "explains', and it wins over DESIGN.md's older 'exit 137 alone is not OOM'. Here the pod's spec has no "
              "livenessProbe, the Job failed on BackoffLimitExceeded (not DeadlineExceeded), and the pod, still "
              "present, has no deletionTimestamp, eviction or disruption: nothing but memory explains the SIGKILL. "
              "A held-out real case with the same evidence (oom-exit-137-reason-error-200mi-default) was resolved "
              "by raising the memory limit.",
}
SYNTHETIC = {
    "kind": "synthetic",
    "generator": "tests/make_corpus.py",
    "label_reason": "written together with the rules; the label is the verdict a careful human would give",
}


def case(name: str) -> Callable[[Callable[[], Case]], Callable[[], Case]]:
    def register(fn: Callable[[], Case]) -> Callable[[], Case]:
        CASES[name] = fn
        return fn
    return register


def mem(*mib: float) -> list[str]:
    return [f"{MEM} sampler={TOKEN} current={int(m * 1024 * 1024)} peak={int(m * 1024 * 1024)}" for m in mib]


def failed_job(**kw: Any) -> dict[str, Any]:
    return job(failed=kw.pop("failed", 1), conditions=kw.pop("conditions", job_failed()), **kw)


def logs(text: str, pod_name: str = POD, container_name: str = "backup", previous: bool = False) -> dict[str, str]:
    return {f"logs/{pod_name}/{container_name}{'.previous' if previous else ''}.log": text}


def err_pod(exit_code: int = 1, **kw: Any) -> dict[str, Any]:
    return pod(container("backup", terminated(reason="Error", exit_code=exit_code)), **kw)


def bundle(*, expected: dict[str, Any], pods: Any = None, job_: Any = None, events: Any = None,
           files: dict[str, Any] | None = None, **extra: Any) -> Case:
    out: Case = {"expected.json": expected, "source.json": SYNTHETIC}
    if pods is not None:
        out["pods.json"] = {"apiVersion": "v1", "kind": "List", "items": pods} if isinstance(pods, list) else pods
    if job_ is not None:
        out["job.json"] = job_
    if events is not None:
        out["events.json"] = {"apiVersion": "v1", "kind": "EventList", "items": events}
    out.update(files or {})
    out.update({k.replace("_", "."): v for k, v in extra.items()})
    return out


# ------------------------------------------------------------------------------------------------ oom

@case("incident-128mi-oomkilled-during-kubectl-download")
def _incident() -> Case:
    text = log(*APK_OK[:1], *mem(18), *APK_OK[1:], *mem(41), MC, *mem(77, 96), STABLE, KUBECTL, *mem(121, 127.9))
    return bundle(
        expected={"verdict": "oom", "detail": "container"},
        cronjob_json=cronjob(), job_=failed_job(),
        pods=[pod(container("backup", terminated(reason="OOMKilled", exit_code=137)))],
        events=[event("SuccessfulCreate", f"Created pod: {POD}", kind="Job", name="tf-state-backup-29565120",
                      type_="Normal", component="job-controller"),
                event("BackoffLimitExceeded", "Job has reached the specified backoff limit", kind="Job",
                      name="tf-state-backup-29565120", component="job-controller")],
        files={**logs(text), "meta.json": {"variant": "original", "original_limits": {"backup": "128Mi"},
                                           "sampler_token": TOKEN}},
    )


@case("oom-laststate-restart-onfailure")
def _oom_last() -> Case:
    p = pod(container("backup", waiting("CrashLoopBackOff", "back-off 10s restarting failed container=backup"),
                      last=terminated(reason="OOMKilled", exit_code=137), restarts=2), phase="Running")
    text = log(*APK_OK, MC, STABLE, KUBECTL)
    return bundle(expected={"verdict": "oom"}, pods=[p], job_=failed_job(),
                  files=logs(text, previous=True))


@case("oom-init-container")
def _oom_init() -> Case:
    p = pod(container("fetch-tools", terminated(reason="OOMKilled", exit_code=137), init=True),
            container("backup", waiting("PodInitializing")), phase="Failed")
    return bundle(expected={"verdict": "oom", "detail": "init"}, pods=[p], job_=failed_job())


@case("oom-child-killed-while-container-error")
def _oom_child() -> Case:
    text = log(*APK_OK, *mem(70), MC, *mem(118, 126), STABLE, KUBECTL, "Killed")
    return bundle(expected={"verdict": "oom", "detail": "child"}, pods=[err_pod(137)], job_=failed_job(),
                  files={**logs(text), "meta.json": {"sampler_token": TOKEN}})


@case("oom-child-killed-during-apk")
def _oom_child_apk() -> Case:
    text = log(
        "+ apk add --no-cache curl python3 py3-pip",
        "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
        "(12/31) Installing python3 (3.12.3-r1)",
        "sh: line 1:    14 Killed                  apk add --no-cache curl python3 py3-pip",
    )
    return bundle(expected={"verdict": "oom", "detail": "child"}, pods=[err_pod(137, memory_limit="96Mi")],
                  job_=failed_job(), files=logs(text))


@case("oom-beats-timeout-in-log")
def _oom_vs_timeout() -> Case:
    text = log(*APK_OK, MC, "curl: (28) Operation timed out after 300000 milliseconds with 21004288 out of "
               "26214400 bytes received", STABLE, KUBECTL)
    return bundle(expected={"verdict": "oom", "runner_up": "network"},
                  pods=[pod(container("backup", terminated(reason="OOMKilled", exit_code=137)))],
                  job_=failed_job(), files=logs(text))


@case("oom-raw-kubectl-dumps")
def _oom_raw() -> Case:
    p = pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), name="nightly-report-28911-abcde",
            job="nightly-report-28911", namespace="reports")
    return bundle(expected={"verdict": "oom"}, pods={"apiVersion": "v1", "kind": "List", "items": [p]},
                  events=[event("Started", "Started container backup", name="nightly-report-28911-abcde",
                                type_="Normal", namespace="reports")])


@case("oom-failed-job-subbundle-after-debug-success")
def _oom_sub() -> Case:
    sub = {"pods.json": pod(container("backup", terminated(reason="OOMKilled", exit_code=137)),
                            name="tf-state-backup-29568000-q2w9z", job="tf-state-backup-29568000"),
           "job.json": failed_job(name="tf-state-backup-29568000")}
    return bundle(
        expected={"verdict": "oom"},
        job_=job("tf-state-backup-doctor-a1b2c", succeeded=1, conditions=job_complete(), memory_limit="512Mi"),
        pods=[pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded",
                  name="tf-state-backup-doctor-a1b2c-xxk2p", job="tf-state-backup-doctor-a1b2c", memory_limit="512Mi")],
        files={"failed-jobs/tf-state-backup-29568000": sub},
    )


@case("oom-raised-run-succeeded-peak-above-original")
def _oom_raised() -> Case:
    text = log(*APK_OK, *mem(60), MC, *mem(101), STABLE, KUBECTL, *mem(171, 183), *UPLOAD)
    return bundle(
        expected={"verdict": "oom"},
        job_=job("tf-state-backup-doctor-k3j4h", succeeded=1, conditions=job_complete(), memory_limit="512Mi"),
        pods=[pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded",
                  name="tf-state-backup-doctor-k3j4h-p0o9i", job="tf-state-backup-doctor-k3j4h", memory_limit="512Mi")],
        files={**logs(text, pod_name="tf-state-backup-doctor-k3j4h-p0o9i"),
               "meta.json": {"variant": "512Mi", "original_limits": {"backup": "128Mi"}, "sampler_token": TOKEN}},
    )


@case("oom-raised-run-succeeded-peak-unknown")
def _oom_raised_unknown() -> Case:
    text = log(*APK_OK, MC, STABLE, KUBECTL, *UPLOAD)
    return bundle(
        expected={"verdict": "oom", "detail": "unmeasured"},
        job_=job("tf-state-backup-doctor-z9y8x", succeeded=1, conditions=job_complete(), memory_limit="512Mi"),
        pods=[pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded",
                  name="tf-state-backup-doctor-z9y8x-aaaaa", job="tf-state-backup-doctor-z9y8x", memory_limit="512Mi")],
        files={**logs(text, pod_name="tf-state-backup-doctor-z9y8x-aaaaa"),
               "meta.json": {"variant": "512Mi", "original_limits": {"backup": "128Mi"}}},
    )


# ------------------------------------------------------------------------------------------------ network

def _net(detail: str, lines: list[str], *, exit_code: int = 1, runner_up: str | None = None,
         policies: list[dict[str, Any]] | None = None, extra: dict[str, Any] | None = None) -> Case:
    expected: dict[str, Any] = {"verdict": "network", "detail": detail}
    if runner_up:
        expected["runner_up"] = runner_up
    files = logs(log(*lines))
    if policies is not None:
        files["networkpolicies.json"] = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList",
                                         "items": policies}
    files.update(extra or {})
    return bundle(expected=expected, pods=[err_pod(exit_code)], job_=failed_job(), files=files)


@case("network-dns-curl-6-dl-min-io")
def _n1() -> Case:
    return _net("dns", [*APK_OK, MC, "curl: (6) Could not resolve host: dl.min.io"], exit_code=6)


@case("network-timeout-curl-28-dl-k8s-io")
def _n2() -> Case:
    return _net("timeout", [*APK_OK, MC, STABLE, KUBECTL,
                            "curl: (28) Failed to connect to dl.k8s.io port 443 after 130417 ms: Timeout was reached"],
                exit_code=28)


@case("network-refused-minio-service")
def _n3() -> Case:
    return _net("refused", [*APK_OK, MC, STABLE, KUBECTL, "+ chmod +x /tmp/mc /tmp/kubectl",
                            "+ curl -sf http://minio.minio.svc.cluster.local:9000/minio/health/live",
                            "curl: (7) Failed to connect to minio.minio.svc.cluster.local port 9000 after 3 ms: "
                            "Couldn't connect to server: Connection refused"], exit_code=7)


@case("network-tls-x509-unknown-authority")
def _n4() -> Case:
    return _net("tls", [*APK_OK, MC, STABLE, KUBECTL, *UPLOAD,
                        "mc: <ERROR> Unable to upload. Put \"https://minio.example.internal/tf-state-backups/"
                        "state-20260320.json\": tls: failed to verify certificate: x509: certificate signed by "
                        "unknown authority"])


@case("network-http-404-kubectl-version")
def _n5() -> Case:
    return _net("http", [*APK_OK, MC, STABLE,
                         "+ curl -fsSLo /tmp/kubectl https://dl.k8s.io/release/v1.30.99/bin/linux/amd64/kubectl",
                         "curl: (22) The requested URL returned error: 404"], exit_code=22)


@case("network-apk-temporary-error")
def _n6() -> Case:
    return _net(
        "timeout",
        [
            "+ apk add --no-cache curl",
            "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
            "ERROR: https://dl-cdn.alpinelinux.org/alpine/v3.20/main: temporary error (try again later)",
            "WARNING: Ignoring https://dl-cdn.alpinelinux.org/alpine/v3.20/main: No such file or directory",
            "ERROR: unable to select packages:",
            "  curl (no such package):",
            "    required by: world[curl]",
        ],
    )


@case("network-busybox-wget-bad-address")
def _n7() -> Case:
    return _net("dns", ["+ wget -qO /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc",
                        "wget: bad address 'dl.min.io'"])


@case("network-pg-dump-refused")
def _n8() -> Case:
    return _net("refused", ["+ pg_dump -h postgres.db.svc.cluster.local -U backup -Fc app",
                            "pg_dump: error: connection to server at \"postgres.db.svc.cluster.local\" (10.43.88.2), "
                            "port 5432 failed: Connection refused",
                            "\tIs the server running on that host and accepting TCP/IP connections?"])


@case("netpol-blocks-minio-egress")
def _n9() -> Case:
    dns_only = netpol("default-deny-egress", egress=[{"to": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "kube-system"}}}], "ports": [{"protocol": "UDP", "port": 53}]}])
    other = netpol("allow-web", pod_labels={"app": "web"}, egress=[{}])
    return _net("netpol", [*APK_OK, MC, STABLE, KUBECTL, *UPLOAD[:3],
                           "mc: <ERROR> Unable to initialize new alias from the provided credentials. Get "
                           "\"http://minio.minio.svc.cluster.local:9000/probe-bsign-xxxx/?location=\": dial tcp "
                           "10.43.12.7:9000: i/o timeout."], policies=[dns_only, other])


@case("netpol-blocks-dns")
def _n10() -> Case:
    to_minio = netpol("tf-backup-egress", pod_labels={"app": "tf-state-backup"}, egress=[{"to": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "minio"}}}],
        "ports": [{"protocol": "TCP", "port": 9000}]}])
    return _net("netpol", ["+ /usr/local/bin/mc ls backup/tf-state-backups/",
                           "mc: <ERROR> Unable to list folder. Get \"http://minio.minio.svc.cluster.local:9000/"
                           "tf-state-backups/\": dial tcp: lookup minio.minio.svc.cluster.local on 10.96.0.10:53: "
                           "read udp 10.42.1.17:41234->10.96.0.10:53: i/o timeout"],
                policies=[to_minio],
                extra={})


@case("egress-blocked-to-cdn")
def _n11() -> Case:
    internal_only = netpol("internal-only", egress=[
        {"to": [{"namespaceSelector": {}}]},
        {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 443}]}])
    return _net("egress", [*APK_OK, MC,
                           "curl: (28) Failed to connect to dl.min.io port 443 after 129952 ms: Timeout was reached"],
                exit_code=28, policies=[internal_only])


@case("network-dns-events-new-api")
def _n12() -> Case:
    c = _net("dns", ["+ aws s3 cp /tmp/state.json s3://tf-state-backups/",
                     "upload failed: ../tmp/state.json to s3://tf-state-backups/state.json Could not connect to "
                     "the endpoint URL: \"https://tf-state-backups.s3.eu-west-1.amazonaws.com/state.json\"",
                     "dial tcp: lookup s3.eu-west-1.amazonaws.com on 10.96.0.10:53: no such host"])
    c["events.json"] = [event("Started", "Started container backup", type_="Normal", new_api=True)]
    return c


# ------------------------------------------------------------------------------------------------ image-pull

def _pull(reason: str, message: str, detail: str | None, events: list[dict[str, Any]],
          new_api: bool = False) -> Case:
    p = pod(container("backup", waiting(reason, message), image="registry.example.com/backup-tools:1.4"),
            phase="Pending")
    expected = {"verdict": "image-pull"} | ({"detail": detail} if detail else {})
    return bundle(expected=expected, pods=[p], job_=job(), events=events)


@case("image-pull-errimagepull-not-found")
def _i1() -> Case:
    msg = ('failed to pull and unpack image "registry.example.com/backup-tools:1.4": failed to resolve reference '
           '"registry.example.com/backup-tools:1.4": registry.example.com/backup-tools:1.4: not found')
    return _pull("ErrImagePull", msg, "not-found", [event("Failed", f"Failed to pull image \"registry.example.com/"
                                                                   f"backup-tools:1.4\": {msg}")])


@case("image-pull-backoff-unauthorized")
def _i2() -> Case:
    msg = 'Back-off pulling image "registry.example.com/backup-tools:1.4"'
    return _pull("ImagePullBackOff", msg, "auth", [
        event("Failed", 'Failed to pull image "registry.example.com/backup-tools:1.4": failed to authorize: failed '
                        'to fetch anonymous token: unexpected status from GET request: 401 Unauthorized'),
        event("BackOff", msg, count=12)])


@case("image-pull-invalid-image-name")
def _i3() -> Case:
    p = pod(container("backup", waiting("InvalidImageName", 'Failed to apply default image tag "Alpine:3.20 ": '
                                        'couldn\'t parse image name "Alpine:3.20 ": invalid reference format')),
            phase="Pending")
    return bundle(expected={"verdict": "image-pull", "detail": "invalid-name"}, pods=[p], job_=job(),
                  events=[event("InspectFailed", 'Failed to apply default image tag "Alpine:3.20 ": couldn\'t parse '
                                                 'image name "Alpine:3.20 ": invalid reference format')])


@case("image-pull-registry-timeout-new-events")
def _i4() -> Case:
    msg = ('Failed to pull image "docker.io/library/alpine:3.20": failed to do request: Head '
           '"https://registry-1.docker.io/v2/library/alpine/manifests/3.20": dial tcp 54.227.20.253:443: i/o timeout')
    return _pull("ErrImagePull", msg, "registry", [event("Failed", msg, new_api=True, count=3)])


@case("image-pull-events-only")
def _i5() -> Case:
    return bundle(expected={"verdict": "image-pull"}, job_=failed_job(),
                  events=[event("Failed", 'Failed to pull image "registry.example.com/backup-tools:1.5": rpc error: '
                                          'code = NotFound desc = failed to pull and unpack image: not found'),
                          event("BackOff", 'Back-off pulling image "registry.example.com/backup-tools:1.5"')])


@case("image-pull-then-deadline-exceeded")
def _i6() -> Case:
    # The debug Job's deadline ran out while the pod was still pulling: the pull is the cause.
    p = pod(phase="Pending")
    p["status"]["containerStatuses"] = []
    msg = 'Failed to pull image "registry.example.com/analytics/report-gen:v2.4.1-rc0": rpc error: code = NotFound'
    return bundle(expected={"verdict": "image-pull", "runner_up": "deadline"}, pods=[p],
                  job_=failed_job(conditions=job_failed("DeadlineExceeded", "Job was active longer than specified "
                                                                             "deadline"), active_deadline=60),
                  events=[event("Failed", msg), event("Failed", "Error: ErrImagePull"),
                          event("BackOff", 'Back-off pulling image "registry.example.com/analytics/report-gen:'
                                           'v2.4.1-rc0"'),
                          event("DeadlineExceeded", "Job was active longer than specified deadline", kind="Job",
                                name="tf-state-backup-29565120", component="job-controller")])


# ------------------------------------------------------------------------------------------------ deadline

@case("deadline-exceeded-137-not-oom")
def _d1() -> Case:
    text = log(*APK_OK, MC, STABLE, KUBECTL)
    return bundle(expected={"verdict": "deadline", "detail": "active-deadline"},
                  pods=[err_pod(137)], files=logs(text),
                  job_=failed_job(conditions=job_failed("DeadlineExceeded", "Job was active longer than specified "
                                                                             "deadline"), active_deadline=600))


@case("deadline-pod-status-deadline-exceeded")
def _d2() -> Case:
    p = pod(container("backup", terminated(reason="Error", exit_code=143)), reason="DeadlineExceeded",
            message="Pod was active on the node longer than the specified deadline")
    return bundle(expected={"verdict": "deadline"}, pods=[p], job_=failed_job())


@case("deadline-hang-2d6h-incident-history")
def _d3() -> Case:
    def hist(n: int, start: str, end: str, ok: bool) -> dict[str, Any]:
        return job(f"tf-state-backup-{n}", start=start, end=end, succeeded=1 if ok else 0, failed=0 if ok else 1,
                   conditions=job_complete(end) if ok else job_failed(at=end))
    jobs = [hist(29562240, "2026-03-14T02:00:00Z", "2026-03-14T02:01:41Z", True),
            hist(29563680, "2026-03-15T02:00:00Z", "2026-03-15T02:01:55Z", True),
            hist(29565120, "2026-03-16T02:00:00Z", "2026-03-18T08:00:00Z", False),
            hist(29566560, "2026-03-17T02:00:00Z", "2026-03-17T02:02:03Z", True)]
    return bundle(expected={"verdict": "deadline", "detail": "hang"}, cronjob_json=cronjob(),
                  jobs_json={"apiVersion": "batch/v1", "kind": "List", "items": jobs})


@case("deadline-hang-6h-job-only")
def _d4() -> Case:
    j = job("tf-state-backup-29568000", failed=1, conditions=job_failed(at="2026-03-20T08:00:00Z"),
            start="2026-03-20T02:00:00Z", end="2026-03-20T08:00:00Z")
    ok = job("tf-state-backup-29566560", succeeded=1, conditions=job_complete("2026-03-19T02:02:10Z"),
             start="2026-03-19T02:00:00Z", end="2026-03-19T02:02:10Z")
    return bundle(expected={"verdict": "deadline", "detail": "hang"}, job_=j,
                  jobs_json={"apiVersion": "batch/v1", "kind": "List", "items": [ok]})


@case("deadline-exceeded-job-events-new-api")
def _d5() -> Case:
    return bundle(expected={"verdict": "deadline"},
                  job_=failed_job(conditions=job_failed("DeadlineExceeded", "Job was active longer than specified "
                                                                             "deadline"), active_deadline=900),
                  events=[event("DeadlineExceeded", "Job was active longer than specified deadline", kind="Job",
                                name="tf-state-backup-29565120", new_api=True, component="job-controller")])


# ------------------------------------------------------------------------------------------------ permission

def _perm(detail: str, lines: list[str], exit_code: int = 1) -> Case:
    return bundle(expected={"verdict": "permission", "detail": detail}, pods=[err_pod(exit_code)],
                  job_=failed_job(), files=logs(log(*lines)))


@case("permission-kubectl-rbac-forbidden")
def _p1() -> Case:
    return _perm("rbac", [*APK_OK, MC, STABLE, KUBECTL, "+ chmod +x /tmp/mc /tmp/kubectl",
                          "+ /tmp/kubectl get secrets -n tofu-state -l tfstate=true -o json",
                          'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:tofu-state:'
                          'tf-backup" cannot list resource "secrets" in API group "" in the namespace "tofu-state"'])


@case("permission-mc-access-denied")
def _p2() -> Case:
    return _perm("object-store", [*UPLOAD, "mc: <ERROR> Failed to copy `/tmp/state.json`. Access Denied."])


@case("permission-mc-unknown-access-key")
def _p3() -> Case:
    return _perm("credentials", [*UPLOAD[3:],
                                 "mc: <ERROR> Unable to validate source `/tmp/state.json`. The Access Key Id you "
                                 "provided does not exist in our records."])


@case("permission-pg-password")
def _p4() -> Case:
    return _perm("database", ["+ pg_dump -h postgres.db.svc.cluster.local -U backup app",
                              'pg_dump: error: connection to server at "postgres.db.svc.cluster.local" (10.43.88.2), '
                              'port 5432 failed: FATAL:  password authentication failed for user "backup"'])


@case("permission-kubectl-unauthorized")
def _p5() -> Case:
    return _perm("credentials", ["+ kubectl get secrets -n tofu-state -o json",
                                 "error: You must be logged in to the server (Unauthorized)"])


# ------------------------------------------------------------------------------------------------ config

def _cfg_wait(reason: str, message: str, detail: str) -> Case:
    p = pod(container("backup", waiting(reason, message)), phase="Pending")
    return bundle(expected={"verdict": "config", "detail": detail}, pods=[p], job_=job(),
                  events=[event("Failed", f"Error: {message}", count=7)])


@case("config-missing-secret")
def _c1() -> Case:
    return _cfg_wait("CreateContainerConfigError", 'secret "tf-backup-s3-creds" not found', "missing-secret")


@case("config-missing-secret-key")
def _c2() -> Case:
    return _cfg_wait("CreateContainerConfigError",
                     "couldn't find key MINIO_SECRET_KEY in Secret tofu-state/tf-backup-s3-creds", "missing-key")


@case("config-missing-configmap-mount")
def _c3() -> Case:
    p = pod(container("backup", waiting("ContainerCreating")), phase="Pending")
    return bundle(expected={"verdict": "config", "detail": "missing-configmap"}, pods=[p], job_=job(),
                  events=[event("FailedMount", 'MountVolume.SetUp failed for volume "scripts" : configmap '
                                               '"tf-backup-scripts" not found', count=5)])


@case("config-start-error-not-in-path")
def _c4() -> Case:
    msg = ('failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create '
           'failed: unable to start container process: exec: "bash": executable file not found in $PATH: unknown')
    p = pod(container("backup", terminated(reason="StartError", exit_code=128, message=msg)))
    return bundle(expected={"verdict": "config", "detail": "command-not-found"}, pods=[p], job_=failed_job())


@case("config-sh-mc-not-found")
def _c5() -> Case:
    text = log("+ mc alias set backup http://minio.minio.svc.cluster.local:9000 tf-backup ****",
               "/bin/sh: mc: not found")
    return bundle(expected={"verdict": "config", "detail": "command-not-found"}, pods=[err_pod(127)],
                  job_=failed_job(), files=logs(text))


@case("config-exec-format-error")
def _c6() -> Case:
    text = log(*APK_OK, MC, "+ chmod +x /tmp/mc", "+ /tmp/mc --version",
               "/bin/sh: /tmp/mc: exec format error")
    return bundle(expected={"verdict": "config", "detail": "exec-format"}, pods=[err_pod(126)], job_=failed_job(),
                  files=logs(text))


@case("config-liveness-probe-kills-137-not-oom")
def _c7() -> Case:
    return bundle(expected={"verdict": "config", "detail": "liveness-probe"},
                  pods=[err_pod(137)], job_=failed_job(),
                  events=[event("Unhealthy", "Liveness probe failed: cat: can't open '/tmp/healthy': No such file "
                                             "or directory", count=3),
                          event("Killing", "Container backup failed liveness probe, will be restarted",
                                type_="Normal")],
                  files=logs(log(*APK_OK, MC, STABLE, KUBECTL)))


# ------------------------------------------------------------------------------------------------ script-error

def _script(detail: str | None, lines: list[str], exit_code: int = 1) -> Case:
    expected = {"verdict": "script-error"} | ({"detail": detail} if detail else {})
    return bundle(expected=expected, pods=[err_pod(exit_code)], job_=failed_job(), files=logs(log(*lines)))


@case("script-error-jq-parse")
def _s1() -> Case:
    return _script(None, [*APK_OK, MC, STABLE, KUBECTL, "+ chmod +x /tmp/mc /tmp/kubectl",
                          "+ jq -r '.items[].metadata.name' /tmp/state.json",
                          "jq: error (at /tmp/state.json:0): Cannot iterate over null (null)"], exit_code=5)


@case("script-error-no-space-left")
def _s2() -> Case:
    return _script("disk", ["+ tar czf /backup/state.tgz /tmp/state", "tar: /backup/state.tgz: Wrote only 4096 of "
                            "10240 bytes", "tar: Error is not recoverable: exiting now",
                            "gzip: write error: No space left on device"], exit_code=2)


@case("script-error-truncated-archive")
def _s3() -> Case:
    return _script("archive", ["+ tar xzf /tmp/mc.tgz -C /usr/local/bin",
                               "gzip: stdin: unexpected end of file", "tar: Unexpected EOF in archive",
                               "tar: Error is not recoverable: exiting now"], exit_code=2)


@case("script-error-apk-no-such-package")
def _s4() -> Case:
    return _script("package", ["+ apk add --no-cache minio-client",
                               "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz",
                               "ERROR: unable to select packages:", "  minio-client (no such package):",
                               "    required by: world[minio-client]"])


@case("script-error-python-traceback")
def _s5() -> Case:
    return _script(None, ["+ python3 /scripts/export.py", "Traceback (most recent call last):",
                          '  File "/scripts/export.py", line 41, in <module>', "    main()",
                          "KeyError: 'TF_STATE_BUCKET'"])


# ------------------------------------------------------------------------------------------------ scheduling

@case("scheduling-insufficient-memory")
def _sc1() -> Case:
    msg = ("0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption "
           "victims found for incoming pod.")
    p = pod(container("backup", waiting("ContainerCreating")), phase="Pending",
            conditions=[condition("PodScheduled", "False", "Unschedulable", msg)])
    p["status"]["containerStatuses"] = []
    return bundle(expected={"verdict": "scheduling", "detail": "unschedulable"}, pods=[p], job_=job(),
                  events=[event("FailedScheduling", msg, component="default-scheduler")])


@case("scheduling-quota-forbidden-not-rbac")
def _sc2() -> Case:
    msg = ('Error creating: pods "tf-state-backup-29565120-x7k2p" is forbidden: exceeded quota: compute-quota, '
           "requested: limits.memory=128Mi, used: limits.memory=1984Mi, limited: limits.memory=2Gi")
    return bundle(expected={"verdict": "scheduling", "detail": "quota"}, job_=failed_job(),
                  events=[event("FailedCreate", msg, kind="Job", name="tf-state-backup-29565120",
                                component="job-controller", count=6)])


@case("scheduling-taints-new-events")
def _sc3() -> Case:
    msg = ("0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
           "3 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/4 nodes are available: 4 Preemption is "
           "not helpful for scheduling.")
    return bundle(expected={"verdict": "scheduling"}, job_=job(),
                  events=[event("FailedScheduling", msg, new_api=True, component="default-scheduler")])


@case("scheduling-quota-must-specify")
def _sc4() -> Case:
    msg = ('Error creating: pods "tf-state-backup-29565120-x7k2p" is forbidden: failed quota: compute-quota: '
           "must specify limits.cpu for: backup")
    return bundle(expected={"verdict": "scheduling", "detail": "quota"}, job_=job(),
                  events=[event("FailedCreate", msg, kind="Job", name="tf-state-backup-29565120",
                                component="job-controller")])


@case("scheduling-node-affinity")
def _sc5() -> Case:
    msg = ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are "
           "available: 3 Preemption is not helpful for scheduling.")
    p = pod(phase="Pending", conditions=[condition("PodScheduled", "False", "Unschedulable", msg)])
    p["status"]["containerStatuses"] = []
    return bundle(expected={"verdict": "scheduling"}, pods=[p], job_=job())


# ------------------------------------------------------------------------------------------------ eviction

@case("eviction-node-memory-pressure")
def _e1() -> Case:
    p = pod(container("backup", terminated(reason="ContainerStatusUnknown", exit_code=137,
                                           message="The container could not be located when the pod was terminated")),
            reason="Evicted", message="The node was low on resource: memory. Threshold quantity: 100Mi, available: "
                                      "87608Ki. Container backup was using 112540Ki, request is 64Mi, has larger "
                                      "consumption of memory. ",
            conditions=[condition("DisruptionTarget", reason="TerminationByKubelet",
                                  message="The node was low on resource: memory.")])
    return bundle(expected={"verdict": "eviction", "detail": "node-pressure"}, pods=[p], job_=failed_job())


@case("eviction-preempted")
def _e2() -> Case:
    p = pod(container("backup", terminated(reason="Error", exit_code=143)),
            conditions=[condition("DisruptionTarget", reason="PreemptionByScheduler",
                                  message="default-scheduler: preempting to accommodate a higher priority pod")])
    return bundle(expected={"verdict": "eviction", "detail": "preemption"}, pods=[p], job_=failed_job(),
                  events=[event("Preempted", "Preempted by pod 6a1c7e0b-3d3f-4b47-9d8e-2f0e5c7b9a11 on node node-2",
                                type_="Normal", component="default-scheduler")])


@case("eviction-node-lost-taint-manager")
def _e3() -> Case:
    p = pod(container("backup", running()), phase="Running",
            conditions=[condition("DisruptionTarget", reason="DeletionByTaintManager",
                                  message="Taint manager: deleting due to NoExecute taint")], deleted=True)
    return bundle(expected={"verdict": "eviction", "detail": "node-lost"}, pods=[p], job_=failed_job(),
                  events=[event("TaintManagerEviction", "Marking for deletion Pod tofu-state/" + POD,
                                type_="Normal", component="taint-eviction-controller")])


@case("eviction-node-shutdown")
def _e4() -> Case:
    p = pod(container("backup", terminated(reason="Error", exit_code=143)), reason="Terminated",
            message="Pod was terminated in response to imminent node shutdown.")
    return bundle(expected={"verdict": "eviction", "detail": "node-shutdown"}, pods=[p], job_=failed_job())


@case("eviction-deleted-137-not-oom")
def _e5() -> Case:
    p = pod(container("backup", terminated(reason="Error", exit_code=137)), deleted=True)
    return bundle(expected={"verdict": "eviction", "detail": "deleted"}, pods=[p], job_=failed_job(),
                  events=[event("Killing", "Stopping container backup", type_="Normal")],
                  files=logs(log(*APK_OK, MC)))


# ------------------------------------------------------------------------------------------------ success

def _ok_pod(name: str = POD, **kw: Any) -> dict[str, Any]:
    return pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded", name=name, **kw)


@case("success-plain")
def _ok1() -> Case:
    return bundle(expected={"verdict": "success"}, pods=[_ok_pod()],
                  job_=job(succeeded=1, conditions=job_complete()),
                  files=logs(log(*APK_OK, MC, STABLE, KUBECTL, *UPLOAD, "...state.json: 48.20 KiB / 48.20 KiB")))


@case("success-after-retry-oom-first")
def _ok2() -> Case:
    first = pod(container("backup", terminated(reason="OOMKilled", exit_code=137)),
                name="tf-state-backup-29565120-aaaaa")
    return bundle(expected={"verdict": "success", "runner_up": "oom"},
                  pods=[first, _ok_pod("tf-state-backup-29565120-bbbbb")],
                  job_=job(succeeded=1, failed=1, conditions=job_complete()))


@case("success-raw-pod-dump")
def _ok3() -> Case:
    return bundle(expected={"verdict": "success"}, pods=_ok_pod())


@case("success-with-retried-network-warnings")
def _ok4() -> Case:
    text = log(*APK_OK, MC, "Warning: Problem : timeout. Will retry in 1 seconds. 3 retries left.",
               "curl: (28) Connection timed out after 10001 milliseconds", STABLE, KUBECTL, *UPLOAD)
    return bundle(expected={"verdict": "success"}, pods=[_ok_pod()],
                  job_=job(succeeded=1, conditions=job_complete()), files=logs(text))


@case("success-raised-run-peak-below-original")
def _ok5() -> Case:
    text = log(*APK_OK, *mem(31), MC, *mem(48), STABLE, KUBECTL, *mem(62, 71), *UPLOAD)
    return bundle(
        expected={"verdict": "success", "detail": "not-memory"},
        job_=job("tf-state-backup-doctor-m4n5b", succeeded=1, conditions=job_complete(), memory_limit="512Mi"),
        pods=[_ok_pod("tf-state-backup-doctor-m4n5b-qqqqq", job="tf-state-backup-doctor-m4n5b", memory_limit="512Mi")],
        files={**logs(text, pod_name="tf-state-backup-doctor-m4n5b-qqqqq"),
               "meta.json": {"variant": "512Mi", "original_limits": {"backup": "128Mi"}, "sampler_token": TOKEN}},
    )


@case("success-raised-run-workload-prints-a-forged-sample-line")
def _ok6() -> Case:
    # The script prints a line shaped like the sampler's, without the run's token: an ordinary log line, no peak.
    forged = f"{MEM} current=999999999999 peak=999999999999"
    text = log(*APK_OK, *mem(31), MC, forged, *mem(48), STABLE, KUBECTL, *mem(62, 71), *UPLOAD)
    return bundle(
        expected={"verdict": "success", "detail": "not-memory"},
        job_=job("tf-state-backup-doctor-m4n5b", succeeded=1, conditions=job_complete(), memory_limit="512Mi"),
        pods=[_ok_pod("tf-state-backup-doctor-m4n5b-qqqqq", job="tf-state-backup-doctor-m4n5b", memory_limit="512Mi")],
        files={**logs(text, pod_name="tf-state-backup-doctor-m4n5b-qqqqq"),
               "meta.json": {"variant": "512Mi", "original_limits": {"backup": "128Mi"}, "sampler_token": TOKEN}},
    )


# ------------------------------------------------------------------------------------------------ unknown

@case("unknown-failed-job-no-pods")
def _u1() -> Case:
    return bundle(expected={"verdict": "unknown"}, job_=failed_job(), cronjob_json=cronjob(),
                  events=[event("BackoffLimitExceeded", "Job has reached the specified backoff limit", kind="Job",
                                name="tf-state-backup-29565120", component="job-controller")])


@case("unknown-exit-137-alone")
def _u2() -> Case:
    # Named before issue 15: the pod's spec (no liveness probe) and status (no deletion, eviction or deadline)
    # leave nothing but memory to explain the SIGKILL, so the label is now oom/exit-137 (see its source.json).
    case = bundle(expected={"verdict": "oom", "detail": "exit-137"}, pods=[err_pod(137)], job_=failed_job())
    case["source.json"] = {**SYNTHETIC, "label_changed": EXIT_137_RELABEL}
    return case


@case("unknown-exit-1-without-logs")
def _u3() -> Case:
    return bundle(expected={"verdict": "unknown"}, pods=[err_pod(1)], job_=failed_job())


@case("unknown-running-job-normal-events")
def _u4() -> Case:
    return bundle(expected={"verdict": "unknown"}, pods=[pod(container("backup", running()), phase="Running")],
                  job_=job(end=None),
                  events=[event("Scheduled", f"Successfully assigned tofu-state/{POD} to node-2", type_="Normal",
                                component="default-scheduler"),
                          event("Started", "Started container backup", type_="Normal")])


@case("unknown-cronjob-only")
def _u5() -> Case:
    return bundle(expected={"verdict": "unknown"}, cronjob_json=cronjob())


# ------------------------------------------------------------------------------------------------ writing

def _write(root: Path, files: Case) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        if isinstance(content, dict) and name.startswith("failed-jobs/"):
            _write(path, content)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    # Only the generated cases are rewritten: the real cases from public threads live beside them.
    for name, build in CASES.items():
        if (ROOT / name).exists():
            shutil.rmtree(ROOT / name)
        _write(ROOT / name, build())
    print(f"wrote {len(CASES)} cases to {ROOT}")


if __name__ == "__main__":
    main()
