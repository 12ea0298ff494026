"""Dict builders for Kubernetes objects as the API returns them (camelCase, like `kubectl get -o json`): the one
place the tests build API objects.

`pod(container("backup", terminated(reason="OOMKilled", exit_code=137)))` reads like the fact it states. The
defaults are the incident's: the `tf-state-backup` CronJob in `tofu-state`, its 128Mi Job and pod. Every field
has a keyword, and None leaves it out, so a test states only what it is about. Builders only build data; tests
and the corpus generator decide what it means. `python -m tests.make_corpus` builds tests/corpus/ from these
defaults: changing one changes the corpus.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

Obj = dict[str, Any]

NS = "tofu-state"
CRONJOB = "tf-state-backup"
CRONJOB_UID = "cj-uid-1"
"""The uid `scheduled_job` puts in its owner reference: give the CronJob the same (`cronjob(uid=CRONJOB_UID)`)."""
T0 = "2026-03-20T02:00:00Z"
T1 = "2026-03-20T02:01:30Z"
SCRIPT = ("set -e\napk add --no-cache curl\n"
          "curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n"
          "curl -sSLo /tmp/kubectl https://dl.k8s.io/release/$(curl -L -s https://dl.k8s.io/release/stable.txt)"
          "/bin/linux/amd64/kubectl\nchmod +x /tmp/mc /tmp/kubectl\n/tmp/kubectl get secrets -n tofu-state -o json "
          "> /tmp/state.json\n/tmp/mc cp /tmp/state.json backup/tf-state-backups/\n")
REQUESTS = {"memory": "64Mi", "cpu": "50m"}
SCENARIO = "sandbox.cronjob-doctor.io/scenario"
"""The pod-template annotation that picks what the sandbox's kubelet plays (cronjob_doctor_sandbox/scenarios.py)."""


def edited(base: Obj, changes: Mapping[str, Any] | None) -> Obj:
    """A deep copy of `base` with `changes` applied field by field: a value replaces the field, None removes it."""
    out = copy.deepcopy(base)
    for key, value in (changes or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


# -- time --------------------------------------------------------------------------------------------------------


def ts(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second, as the API writes metadata and status times."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def at_minutes(minutes: int) -> datetime:
    """The moment `minutes` minutes after the epoch: the suffix the CronJob controller gives a Job's name."""
    return datetime.fromtimestamp(minutes * 60, timezone.utc)


# -- namespaces ----------------------------------------------------------------------------------------------------


def namespace(name: str = NS, *, labels: Mapping[str, str] | None = None) -> Obj:
    """A v1 Namespace, Active."""
    meta: Obj = {"name": name, "labels": dict(labels)} if labels else {"name": name}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta, "status": {"phase": "Active"}}


# -- container states and statuses -------------------------------------------------------------------------------


def present(**fields: Any) -> Obj:
    """The fields given a value, in the order given: a builder leaves out what a test did not set, as the API
    leaves out unset fields."""
    return {key: value for key, value in fields.items() if value is not None}


def terminated(*, reason: str | None = "Error", exit_code: int = 1, message: str | None = None,
               started: str | None = T0, finished: str | None = T1,
               container_id: str | None = "containerd://1f2e3d") -> Obj:
    """A terminated container state (None leaves a field out)."""
    return {"terminated": {"exitCode": exit_code, **present(startedAt=started, finishedAt=finished,
                                                            containerID=container_id, reason=reason,
                                                            message=message)}}


def waiting(reason: str, message: str = "") -> Obj:
    """A waiting container state: ContainerCreating, ImagePullBackOff, CrashLoopBackOff..."""
    out: Obj = {"waiting": {"reason": reason}}
    if message:
        out["waiting"]["message"] = message
    return out


def running(started: str | None = T0) -> Obj:
    """A running container state (started=None: the empty state some runtimes report)."""
    return {"running": {"startedAt": started} if started is not None else {}}


def container(name: str, state: Obj | None = None, *, last: Obj | None = None, restarts: int = 0,
              image: str = "alpine:3.20", init: bool = False, container_id: str | None = None) -> Obj:
    """A container status (state, lastState); `init=True` puts it under initContainerStatuses. `container_id` is
    the current instance's containerID, beside the state as the kubelet writes it. For `pod()`."""
    status: Obj = {"name": name, "image": image, "imageID": "", "ready": False, "restartCount": restarts,
                   "started": False, "state": state or running(), "lastState": last or {}}
    if container_id is not None:
        status["containerID"] = container_id
    return {"_init": init, "status": status}


def condition(type_: str, status: str = "True", reason: str | None = None, message: str | None = None,
              at: str = T1) -> Obj:
    """A status condition of a Job or a Pod."""
    out: Obj = {"type": type_, "status": status, "lastTransitionTime": at}
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


# -- pod specs ----------------------------------------------------------------------------------------------------


def container_spec(name: str = "backup", *, image: str = "alpine:3.20", script: str | None = SCRIPT,
                   memory_limit: str | None = "128Mi", requests: Mapping[str, str] | None = REQUESTS,
                   **fields: Any) -> Obj:
    """A container of a pod spec running `script` with /bin/sh -c (None: no command), with limits.memory and
    requests (None: none). `fields` edit the result (`edited`): `env=[...]`, `command=[...]`, `resources=None`."""
    out: Obj = {"name": name, "image": image}
    if script is not None:
        out["command"] = ["/bin/sh", "-c", script]
    resources: Obj = {}
    if memory_limit is not None:
        resources["limits"] = {"memory": memory_limit}
    if requests is not None:
        resources["requests"] = dict(requests)
    if resources:
        out["resources"] = resources
    return edited(out, fields)


def pod_template(*containers: Obj, restart: str = "OnFailure", service_account: str | None = "tf-backup",
                 labels: Mapping[str, str] | None = None, annotations: Mapping[str, str] | None = None,
                 **spec: Any) -> Obj:
    """A Job's pod template: containers (default: one `container_spec()`), restartPolicy and service account;
    labels (default: app=tf-state-backup, {} for none) and annotations. `spec` edits the pod spec
    (`volumes=[...]`, `nodeSelector={...}`)."""
    metadata: Obj = {}
    chosen = {"app": CRONJOB} if labels is None else dict(labels)
    if chosen:
        metadata["labels"] = chosen
    if annotations:
        metadata["annotations"] = dict(annotations)
    pod_spec: Obj = {"restartPolicy": restart}
    if service_account is not None:
        pod_spec["serviceAccountName"] = service_account
    pod_spec["containers"] = list(containers) or [container_spec()]
    out: Obj = {"metadata": metadata} if metadata else {}
    out["spec"] = edited(pod_spec, spec)
    return out


# -- pods ---------------------------------------------------------------------------------------------------------


def pod(
    *containers: Obj,
    name: str | None = None,
    job: str = "tf-state-backup-29565120",
    phase: str | None = "Failed",
    reason: str | None = None,
    message: str | None = None,
    conditions: list[Obj] | None = None,
    memory_limit: str | None = "128Mi",
    labels: dict[str, str] | None = None,
    deleted: bool = False,
    namespace: str = NS,
    script: str = SCRIPT,
    service_account: str = "tf-backup",
    of: Obj | None = None,
    controller_uid: str | None = "5a1d",
    created: str | None = T0,
    started: str | None = T0,
    node: str | None = "node-2",
    restart: str = "Never",
    reported: bool = True,
) -> Obj:
    """A v1 Pod of a CronJob's Job with the given container statuses (default: one running `backup`).

    `of` is the Job the pod belongs to (a `job()` dict): its name, namespace, uid and creation time are the pod's
    labels, owner and creation time, and the pod is named `<job>-x7k2p` unless `name` says otherwise.
    `controller_uid=None` leaves the controller-uid labels out, as on pods of old Job controllers;
    `reported=False` leaves the container statuses out: the containers are in the spec only, none reported yet."""
    if of is not None:
        job_meta = of["metadata"]
        job, namespace = job_meta["name"], job_meta.get("namespace", namespace)
        controller_uid = job_meta.get("uid", controller_uid) if controller_uid is not None else None
        created = job_meta.get("creationTimestamp", created)
    specs, inits, statuses, init_statuses = [], [], [], []
    for c in containers or (container("backup"),):
        st = c["status"]
        spec = container_spec(st["name"], image=st["image"], script=script, memory_limit=memory_limit or None,
                              requests=REQUESTS if memory_limit else None)
        (inits if c["_init"] else specs).append(spec)
        (init_statuses if c["_init"] else statuses).append(st)
    all_labels = {"batch.kubernetes.io/job-name": job, "job-name": job, "app": CRONJOB}
    if controller_uid is not None:
        all_labels.update({"batch.kubernetes.io/controller-uid": controller_uid, "controller-uid": controller_uid})
    all_labels.update(labels or {})
    owner: Obj = {"apiVersion": "batch/v1", "kind": "Job", "name": job, "controller": True}
    if controller_uid is not None:
        owner["uid"] = controller_uid
    meta: Obj = {"name": name or (f"{job}-x7k2p" if of is not None else "tf-state-backup-29565120-x7k2p"),
                 "namespace": namespace, "labels": all_labels, "ownerReferences": [owner]}
    if created is not None:
        meta["creationTimestamp"] = created
    if deleted:
        meta["deletionTimestamp"] = T1
        meta["deletionGracePeriodSeconds"] = 30
    status: Obj = {}
    if phase is not None:
        status["phase"] = phase
    status["conditions"] = conditions or []
    if reported:
        status["containerStatuses"] = statuses
    if started is not None:
        status["startTime"] = started
    if init_statuses and reported:
        status["initContainerStatuses"] = init_statuses
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    spec_out: Obj = {"containers": specs, "restartPolicy": restart, "serviceAccountName": service_account}
    if node is not None:
        spec_out["nodeName"] = node
    if inits:
        spec_out["initContainers"] = inits
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec_out, "status": status}


# -- jobs ---------------------------------------------------------------------------------------------------------


def job(
    name: str = "tf-state-backup-29565120",
    *,
    failed: int = 0,
    succeeded: int = 0,
    conditions: list[Obj] | None = None,
    start: str | None = T0,
    end: str | None = T1,
    active_deadline: int | None = None,
    backoff_limit: int | None = 2,
    memory_limit: str = "128Mi",
    namespace: str | None = NS,
    cronjob: str | None = CRONJOB,
    labels: dict[str, str] | None = None,
    template: Obj | None = None,
    job_labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    uid: str | None = None,
    owner_uid: str = "c0",
    created: str | None = None,
    active: int = 0,
    suspend: bool | None = None,
    ttl: int | None = None,
    spec: Mapping[str, Any] | None = None,
    restart: str = "OnFailure",
) -> Obj:
    """A batch/v1 Job owned by the CronJob `cronjob` (None: by nothing).

    The pod `template` defaults to the incident's container with `memory_limit` and `restart`, its pods labelled
    app=tf-state-backup plus `labels`; `job_labels` and `annotations` are the Job's own. It was created and
    started at `start` (`created` says otherwise; start=None: not started, no status unless counts or conditions
    say so); completionTime is `end` when a Complete condition says so. `spec` edits the spec (`edited`)."""
    job_spec: Obj = {"backoffLimit": backoff_limit} if backoff_limit is not None else {}
    job_spec["template"] = template if template is not None else pod_template(
        container_spec(memory_limit=memory_limit), restart=restart, labels={"app": CRONJOB, **(labels or {})})
    job_spec.update(present(activeDeadlineSeconds=active_deadline, ttlSecondsAfterFinished=ttl, suspend=suspend))
    status: Obj = present(startTime=start)
    if start is not None or conditions:
        status["conditions"] = conditions or []
    if active:
        status["active"] = active
    if failed:
        status["failed"] = failed
    if succeeded:
        status["succeeded"] = succeeded
    if end and any(c.get("type") == "Complete" for c in conditions or []):
        status["completionTime"] = end
    meta: Obj = {"name": name, **present(namespace=namespace, uid=uid)}
    if created or start:
        meta["creationTimestamp"] = created or start
    if job_labels:
        meta["labels"] = dict(job_labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    if cronjob is not None:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "CronJob", "name": cronjob,
                                    "controller": True, "uid": owner_uid}]
    out: Obj = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": edited(job_spec, spec)}
    if status:
        out["status"] = status
    return out


def job_failed(reason: str = "BackoffLimitExceeded", message: str = "Job has reached the specified backoff limit",
               at: str = T1) -> list[Obj]:
    """The conditions of a failed Job (FailureTarget, then Failed, as Kubernetes 1.31+ writes them)."""
    return [condition("FailureTarget", reason=reason, message=message, at=at),
            condition("Failed", reason=reason, message=message, at=at)]


def job_complete(at: str = T1) -> list[Obj]:
    """The conditions of a Job that succeeded (SuccessCriteriaMet, then Complete)."""
    return [condition("SuccessCriteriaMet", reason="CompletionsReached", message="Reached expected number of "
                      "succeeded pods", at=at),
            condition("Complete", reason="CompletionsReached", message="Reached expected number of succeeded "
                      "pods", at=at)]


def scheduled_job(
    minutes: int | None = None,
    outcome: str = "Complete",
    *,
    name: str | None = None,
    cronjob_name: str = CRONJOB,
    namespace: str = NS,
    owner_uid: str | None = CRONJOB_UID,
    uid: str | None = None,
    took: float = 74,
    failed: int = 0,
    reason: str = "BackoffLimitExceeded",
    annotations: Mapping[str, str] | None = None,
    start: datetime | None = None,
    active: int = 0,
    suspend: bool = False,
) -> Obj:
    """A `job()` the CronJob controller made for the fire time `minutes` (since the epoch, the suffix of its name;
    None: a Job called `name`, fired 2026-03-20 12:00 UTC): created then, started 1 s later (or at `start`), and
    after `took` seconds ended by `outcome`: Complete, Failed (with `reason`) or Running. Owned by the CronJob
    `cronjob_name` with uid `owner_uid` (None: by nothing, an orphan); its own uid is `uid-<name>`."""
    job_name = name or f"{cronjob_name}-{minutes}"
    fired = at_minutes(minutes) if minutes is not None else datetime(2026, 3, 20, 12, tzinfo=timezone.utc)
    begin = start or fired + timedelta(seconds=1)
    end = ts(begin + timedelta(seconds=took))
    conditions: list[Obj] = []
    succeeded = 0
    if outcome == "Complete":
        succeeded, conditions = 1, [condition("Complete", at=end)]
    elif outcome == "Failed":
        failed = failed or 1
        conditions = [condition("Failed", reason=reason, message="Job has reached the specified backoff limit",
                                at=end)]
    elif outcome == "Running":
        active = active or 1
    return job(job_name, namespace=namespace, uid=uid or f"uid-{job_name}", created=ts(fired), start=ts(begin),
               end=end, conditions=conditions, failed=failed, succeeded=succeeded, active=active,
               suspend=True if suspend else None, annotations=annotations,
               cronjob=None if owner_uid is None else cronjob_name, owner_uid=owner_uid or "")


def job_from(cronjob: Obj, *, uid: str, name: str) -> Obj:
    """The Job `kubectl create job --from=cronjob/NAME` makes: the jobTemplate, owned by the CronJob (uid `uid`)."""
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    metadata = template.get("metadata") or {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "labels": dict(metadata.get("labels") or {}),
            "annotations": {**(metadata.get("annotations") or {}), "cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": cronjob["metadata"]["name"],
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }


# -- cronjobs -----------------------------------------------------------------------------------------------------


def cronjob(
    name: str = CRONJOB,
    *,
    namespace: str | None = NS,
    memory_limit: str = "128Mi",
    schedule: str | None = "0 2 * * *",
    active_deadline: int | None = None,
    uid: str | None = None,
    created: str | None = None,
    labels: Mapping[str, str] | None = None,
    time_zone: str | None = None,
    suspend: bool | None = None,
    concurrency: str | None = "Forbid",
    starting_deadline: int | None = None,
    failed_limit: int | None = 1,
    successful_limit: int | None = 3,
    backoff_limit: int | None = 2,
    ttl: int | None = None,
    template: Obj | None = None,
    job_metadata: Mapping[str, Any] | None = None,
    status: Obj | None = None,
    spec: Mapping[str, Any] | None = None,
    job_spec: Mapping[str, Any] | None = None,
    restart: str = "OnFailure",
) -> Obj:
    """A batch/v1 CronJob like the incident's: its jobTemplate is a `job()` spec with `memory_limit`, `restart`,
    `active_deadline`, `backoff_limit`, `ttl` and the pod `template` (`pod_template()`); `job_metadata` is the
    jobTemplate's metadata. `spec` and `job_spec` edit the CronJob's and the jobTemplate's spec (`edited`)."""
    template_spec = job(memory_limit=memory_limit, active_deadline=active_deadline, backoff_limit=backoff_limit,
                        ttl=ttl, template=template, restart=restart)["spec"]
    job_template: Obj = {"metadata": dict(job_metadata)} if job_metadata else {}
    job_template["spec"] = edited(template_spec, job_spec)
    cron_spec: Obj = present(schedule=schedule, timeZone=time_zone, suspend=suspend, concurrencyPolicy=concurrency,
                             startingDeadlineSeconds=starting_deadline, failedJobsHistoryLimit=failed_limit,
                             successfulJobsHistoryLimit=successful_limit)
    cron_spec["jobTemplate"] = job_template
    meta: Obj = {"name": name, **present(namespace=namespace, uid=uid, creationTimestamp=created)}
    if labels:
        meta["labels"] = dict(labels)
    out: Obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta, "spec": edited(cron_spec, spec)}
    if status is not None:
        out["status"] = status
    return out


def daily_cronjob(name: str = CRONJOB, **options: Any) -> Obj:
    """The `cronjob()` the `scheduled_job()`s belong to: uid CRONJOB_UID, firing daily at 08:00 UTC (the
    incident's fire time), created 2025-09-14, concurrencyPolicy unset (Allow). `options` are `cronjob()`'s."""
    chosen: dict[str, Any] = {"uid": CRONJOB_UID, "schedule": "0 8 * * *", "created": "2025-09-14T00:00:00Z",
                              "concurrency": None}
    return cronjob(name, **{**chosen, **options})


# -- secrets and metrics -------------------------------------------------------------------------------------------


def secret(name: str, data: Mapping[str, str], *, namespace: str = NS) -> Obj:
    """A v1 Secret; `data` values are base64, as the API holds them."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace},
            "data": dict(data)}


def pod_metrics(name: str, *, namespace: str = NS, memory: str = "100Mi", cpu: str = "5m",
                container_name: str = "backup", at: str | None = None) -> Obj:
    """A metrics.k8s.io/v1beta1 PodMetrics of a one-container pod (`at`: its timestamp, with a 15 s window)."""
    out: Obj = {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {"name": name, "namespace": namespace}}
    if at is not None:
        out.update(timestamp=at, window="15s")
    out["containers"] = [{"name": container_name, "usage": {"cpu": cpu, "memory": memory}}]
    return out


# -- events, network policies, logs --------------------------------------------------------------------------------


def event(reason: str, message: str, *, kind: str = "Pod", name: str = "tf-state-backup-29565120-x7k2p",
          type_: str = "Warning", count: int = 1, namespace: str = NS, new_api: bool = False,
          component: str = "kubelet", uid: str | None = None, first: str = T0, last: str = T1,
          host: str | None = None) -> Obj:
    """A core/v1 Event, or (new_api=True) its events.k8s.io/v1 shape (regarding/note/series)."""
    obj = {"kind": kind, "name": name, "namespace": namespace, "apiVersion": "v1" if kind == "Pod" else "batch/v1"}
    if uid is not None:
        obj["uid"] = uid
    if new_api:
        out: Obj = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "regarding": obj, "note": message,
                    "reason": reason, "type": type_, "reportingController": component,
                    "eventTime": last, "metadata": {"name": f"{name}.17f", "namespace": namespace}}
        if count > 1:
            out["series"] = {"count": count, "lastObservedTime": last}
        return out
    source = {"component": component} if host is None else {"component": component, "host": host}
    return {"apiVersion": "v1", "kind": "Event", "involvedObject": obj, "message": message, "reason": reason,
            "type": type_, "count": count, "source": source,
            "firstTimestamp": first, "lastTimestamp": last, "metadata": {"name": f"{name}.17f", "namespace": namespace}}


def netpol(name: str, *, pod_labels: dict[str, str] | None = None, egress: list[Obj] | None = None,
           types: tuple[str, ...] = ("Egress",), namespace: str = NS) -> Obj:
    """A networking.k8s.io/v1 NetworkPolicy."""
    spec: Obj = {"podSelector": {"matchLabels": pod_labels} if pod_labels else {}, "policyTypes": list(types)}
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def log(*lines: str, start: str = "2026-03-20T02:00:01", step: float = 0.5) -> str:
    """Log text with kubelet timestamps (timestamps=true), one per line."""
    base = datetime.fromisoformat(start)
    out = []
    for i, line in enumerate(lines):
        stamp = (base + timedelta(seconds=i * step)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
        out.append(f"{stamp} {line}")
    return "\n".join(out) + "\n"
