"""What the API server does to an object between the request body and storage: defaulting and validation.

Defaults match what a real v1.37 apiserver answers for a freshly created object (tests/controlplane/
test_differential.py compares them); validation covers the rules a diagnostic tool can trip over (names,
containers, restartPolicy, schedule) and answers 422 with `details.causes`. `served` and `zero_object` give the
fields Go's encoder always writes. Nothing here reads or writes the store.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from . import podtemplate
from .containers import qos_class
from .routes import Resource
from .status import ApiError, invalid
from .store import now_rfc3339

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# A CronJob's name ends up in the names of its Jobs (name + 11 characters); a Job's in its job-name labels,
# checked as label values (_label_causes)
_NAME_LIMITS = {"cronjobs": 52}
_MAX_INT32 = 2**31 - 1


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_container(container: Obj) -> None:
    container.setdefault("resources", {})
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image", "")))
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and its containers, applied to pods and to every pod template."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        _default_container(container)


def _default_job_spec(spec: Obj, uid: str | None, job_name: str | None) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", _MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    spec.setdefault("manualSelector", False)
    template = spec.setdefault("template", {})
    default_pod_spec(template.setdefault("spec", {}))
    if uid is not None and job_name is not None and not spec.get("manualSelector"):
        # The Job controller finds its pods by these labels; the server writes them, not the client
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": job_name,
                       "controller-uid": uid, "job-name": job_name})


def apply_defaults(resource: Resource, obj: Obj) -> None:
    """Fill server-side defaults in place (the uid too, since Job labels carry it)."""
    meta = obj.setdefault("metadata", {})
    meta.setdefault("uid", str(uuid.uuid4()))
    obj["apiVersion"], obj["kind"] = resource.api_version, resource.kind
    spec = obj.get("spec")
    if resource.plural == "jobs" and resource.group == "batch":
        job_spec = obj.setdefault("spec", {})
        template_labels = (job_spec.get("template") or {}).get("metadata", {}).get("labels")
        _default_job_spec(job_spec, meta["uid"], meta.get("name"))
        if template_labels and not meta.get("labels"):
            # SetDefaults_Job gives a Job without labels its template's labels: the same Go map, so they include
            # the controller-uid and job-name labels the strategy adds to the template right after
            meta["labels"] = dict(job_spec["template"]["metadata"]["labels"])
    elif resource.plural == "cronjobs":
        spec = obj.setdefault("spec", {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        template = spec.setdefault("jobTemplate", {}).setdefault("spec", {}).setdefault("template", {})
        default_pod_spec(template.setdefault("spec", {}))
    elif resource.plural == "pods" and resource.group == "":
        spec = obj.setdefault("spec", {})
        default_pod_spec(spec)
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        obj.setdefault("status", {}).setdefault("phase", "Pending")
    elif resource.plural == "namespaces":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj.setdefault("status", {"phase": "Active"})
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
    elif resource.plural == "secrets":
        obj.setdefault("type", "Opaque")
    elif spec is None and resource.plural == "networkpolicies":
        obj["spec"] = {"podSelector": {}, "policyTypes": ["Ingress"]}


def admit(resource: Resource, obj: Obj) -> None:
    """What a create adds beyond defaulting: the default admission plugins' changes and the strategy's
    PrepareForCreate. Pods: the ServiceAccount plugin (serviceAccount, the kube-api-access-xxxxx projected token
    volume and its mounts), DefaultTolerationSeconds (not-ready and unreachable, 300 s), status.qosClass, and the
    PodScheduled=False condition of a pod held by scheduling gates."""
    if resource.plural != "pods" or resource.group != "":
        return
    spec = obj["spec"]
    podtemplate.default_pod_spec(spec)
    status: Obj = {"phase": "Pending", "qosClass": qos_class(spec)}
    if spec.get("schedulingGates"):
        status["conditions"] = [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                                 "lastTransitionTime": now_rfc3339(), "reason": "SchedulingGated",
                                 "message": "Scheduling is blocked due to non-empty scheduling gates"}]
    obj["status"] = status


_ALWAYS: dict[tuple[str, str], Obj] = {
    # Fields Go's encoder writes even when empty (struct-typed, or without omitempty), by (group, plural)
    ("batch", "jobs"): {"status": {}},
    ("batch", "cronjobs"): {"status": {}},
    ("", "pods"): {"status": {}},
    ("", "namespaces"): {"spec": {}, "status": {}},
    ("", "events"): {"involvedObject": {}, "source": {}, "firstTimestamp": None, "lastTimestamp": None,
                     "eventTime": None, "reportingComponent": "", "reportingInstance": ""},
}


def served(resource: Resource, obj: Obj) -> Obj:
    """OBJ with the fields a real server always sends, as its typed round trip writes them (in place for the top
    level, copying what it adds to below it: list pages share nested parts with the store)."""
    for key, value in _ALWAYS.get((resource.group, resource.plural), {}).items():
        if key not in obj:
            obj[key] = copy.deepcopy(value)
    spec = obj.get("spec")
    template = spec.get("jobTemplate") if resource.plural == "cronjobs" and isinstance(spec, dict) else None
    if isinstance(spec, dict) and isinstance(template, dict):
        job_spec: Obj = template["spec"] if isinstance(template.get("spec"), dict) else {}
        fixed = {**template, "metadata": template.get("metadata", {})}
        inner = job_spec.get("template")
        if isinstance(inner, dict) and "metadata" not in inner:
            fixed["spec"] = {**job_spec, "template": {**inner, "metadata": {}}}
        obj["spec"] = {**spec, "jobTemplate": fixed}
    return obj


_POD_TEMPLATE_ZERO = {"metadata": {}, "spec": {"containers": None}}
_ZERO: dict[tuple[str, str], Obj] = {
    # An empty Go object of each kind as JSON (what a BOOKMARK carries besides its resourceVersion), as a
    # v1.37 apiserver sends them
    ("", "namespaces"): {"spec": {}, "status": {}},
    ("", "nodes"): {"spec": {}, "status": {
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "", "osImage": "",
                     "containerRuntimeVersion": "", "kubeletVersion": "", "kubeProxyVersion": "",
                     "operatingSystem": "", "architecture": ""}}},
    ("", "pods"): {"spec": {"containers": None}, "status": {}},
    ("", "events"): _ALWAYS[("", "events")],
    ("batch", "cronjobs"): {"spec": {"schedule": "", "jobTemplate": {"metadata": {}, "spec": {
        "template": _POD_TEMPLATE_ZERO}}}, "status": {}},
    ("batch", "jobs"): {"spec": {"template": _POD_TEMPLATE_ZERO}, "status": {}},
    ("events.k8s.io", "events"): {"eventTime": None, "regarding": {}, "deprecatedSource": {},
                                  "deprecatedFirstTimestamp": None, "deprecatedLastTimestamp": None},
    ("networking.k8s.io", "networkpolicies"): {"spec": {"podSelector": {}}},
}


def zero_object(resource: Resource, metadata: Obj) -> Obj:
    """An empty object of RESOURCE's kind with METADATA, as a BOOKMARK event carries it."""
    return {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": metadata,
            **copy.deepcopy(_ZERO.get((resource.group, resource.plural), {}))}


def _cause(reason: str, field: str, message: str) -> Obj:
    return {"reason": reason, "message": message, "field": field}


def _too_long(field: str, value: str, limit: int) -> Obj:
    return _cause("FieldValueTooLong", field, f'Too long: may not be more than {limit} bytes')


def _pod_spec_causes(spec: Obj, prefix: str) -> list[Obj]:
    causes = []
    containers = spec.get("containers") or []
    if not containers:
        causes.append(_cause("FieldValueRequired", f"{prefix}.containers", "Required value"))
    names: set[str] = set()
    for index, container in enumerate(containers):
        at = f"{prefix}.containers[{index}]"
        name = container.get("name") or ""
        if not name:
            causes.append(_cause("FieldValueRequired", f"{at}.name", "Required value"))
        elif not _LABEL_NAME.match(name) or len(name) > 63:
            causes.append(_cause("FieldValueInvalid", f"{at}.name", f'Invalid value: "{name}": a lowercase '
                                 "RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
                                 "must start and end with an alphanumeric character"))
        elif name in names:
            causes.append(_cause("FieldValueDuplicate", f"{at}.name", f'Duplicate value: "{name}"'))
        names.add(name)
        if not container.get("image"):
            causes.append(_cause("FieldValueRequired", f"{at}.image", "Required value"))
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(_cause("FieldValueNotSupported", f"{prefix}.restartPolicy", f'Unsupported value: "{policy}": '
                             'supported values: "Always", "OnFailure", "Never"'))
    return causes


def _label_causes(labels: Any, field: str) -> list[Obj]:
    """Label values longer than 63 bytes, one cause per distinct value (as a v1.37 apiserver lists them)."""
    values = dict.fromkeys(str(v) for v in (labels or {}).values() if len(str(v).encode()) > 63)
    return [_cause("FieldValueInvalid", field, f'Invalid value: "{v}": must be no more than 63 bytes') for v in values]


def _nonnegative(spec: Obj, fields: tuple[str, ...], prefix: str) -> list[Obj]:
    return [_cause("FieldValueInvalid", f"{prefix}.{field}",
                   f"Invalid value: {spec[field]}: must be greater than or equal to 0")
            for field in fields if isinstance(spec.get(field), int) and spec[field] < 0]


def _job_spec_causes(spec: Obj, prefix: str) -> list[Obj]:
    """validateJobSpec's checks, in its order: the counts, the pod template, then the Job's restartPolicy rule."""
    causes = _nonnegative(spec, ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                                 "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"), prefix)
    template = spec.get("template") or {}
    causes += _label_causes((template.get("metadata") or {}).get("labels"), f"{prefix}.template.labels")
    pod_spec = template.get("spec") or {}
    causes += _pod_spec_causes(pod_spec, f"{prefix}.template.spec")
    policy = pod_spec.get("restartPolicy", "Always")
    at = f"{prefix}.template.spec.restartPolicy"
    if policy in ("Always", ""):
        causes.append(_cause("FieldValueRequired", at, 'Required value: valid values: "OnFailure", "Never"'))
    elif policy not in ("OnFailure", "Never"):
        causes.append(_cause("FieldValueNotSupported", at,
                             f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"'))
    elif spec.get("podFailurePolicy") and policy != "Never":
        causes.append(_cause("FieldValueInvalid", at, f'Invalid value: "{policy}": only "Never" is supported when '
                                                      "podFailurePolicy is specified"))
    return causes


def _schedule_causes(schedule: Any, old: str | None) -> list[Obj]:
    """validateScheduleFormat: robfig/cron's standard parser (its messages), and no TZ in a new schedule."""
    if not schedule:
        return [_cause("FieldValueRequired", "spec.schedule", "Required value")]
    text = str(schedule)
    causes = []
    body = re.sub(r"^(CRON_)?TZ=\S+\s+", "", text)
    fields = body.split()
    if not (body in _MACROS or body.startswith("@every ") or len(fields) == 5):
        found = f'found {len(fields)}: [{" ".join(fields)}]'
        causes.append(_cause("FieldValueInvalid", "spec.schedule",
                             f'Invalid value: "{text}": expected exactly 5 fields, {found}'))
    if "TZ" in text and (old is None or "TZ" not in old):
        causes.append(_cause("FieldValueInvalid", "spec.schedule", f'Invalid value: "{text}": cannot use TZ or '
                                                                   "CRON_TZ in schedule, use timeZone field instead"))
    return causes


_MICRO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})")


def _lease_spec_causes(spec: Obj) -> list[Obj]:
    """ValidateLeaseSpec, and metav1.MicroTime's parser (RFC 3339 with exactly six fraction digits)."""
    causes = []
    for field in ("leaseDurationSeconds", "leaseTransitions"):
        value = spec.get(field)
        if value is None:
            continue
        if not isinstance(value, int) or value < (1 if field == "leaseDurationSeconds" else 0):
            bound = "greater than 0" if field == "leaseDurationSeconds" else "greater than or equal to 0"
            causes.append(_cause("FieldValueInvalid", f"spec.{field}", f"Invalid value: {value}: must be {bound}"))
    for field in ("acquireTime", "renewTime"):
        value = spec.get(field)
        if value is not None and not (isinstance(value, str) and _MICRO_TIME.fullmatch(value)):
            raise ApiError(400, f'Lease in version "v1" cannot be handled as a Lease: parsing time "{value}" as '
                                '"2006-01-02T15:04:05.000000Z07:00": cannot parse')
    return causes


def validate(resource: Resource, obj: Obj, *, old: Obj | None = None) -> None:
    """Raise 422 Invalid listing every problem found, as the real server collects them all; OLD is the stored
    object on an update (a CronJob may keep the TZ= its schedule already had)."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes: list[Obj] = []
    if not name:
        causes.append(_cause("FieldValueRequired", "metadata.name", "name or generateName is required"))
    elif not _SUBDOMAIN.match(name):
        causes.append(_cause("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {_SUBDOMAIN_MSG}'))
    limit = _NAME_LIMITS.get(resource.plural) if resource.group == "batch" else None
    if name and limit is not None and len(name) > limit:
        causes.append(_cause("FieldValueInvalid", "metadata.name",
                             f'Invalid value: "{name}": must be no more than {limit} characters'))
    elif name and len(name) > 253:
        causes.append(_too_long("metadata.name", name, 253))
    causes += _label_causes(meta.get("labels"), "metadata.labels")
    spec = obj.get("spec") or {}
    if resource.group == "batch" and resource.plural == "jobs":
        causes += _job_spec_causes(spec, "spec")
    elif resource.plural == "cronjobs":
        old_schedule = ((old or {}).get("spec") or {}).get("schedule") if old is not None else None
        # validateCronJobSpec's order: schedule, startingDeadlineSeconds, concurrencyPolicy, jobTemplate, limits
        causes += _schedule_causes(spec.get("schedule"), None if old is None else str(old_schedule or ""))
        causes += _nonnegative(spec, ("startingDeadlineSeconds",), "spec")
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            causes.append(_cause("FieldValueNotSupported", "spec.concurrencyPolicy",
                                 f'Unsupported value: "{spec.get("concurrencyPolicy")}": supported values: '
                                 '"Allow", "Forbid", "Replace"'))
        causes += _job_spec_causes((spec.get("jobTemplate") or {}).get("spec") or {}, "spec.jobTemplate.spec")
        causes += _nonnegative(spec, ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"), "spec")
    elif resource.plural == "pods" and resource.group == "":
        causes += _pod_spec_causes(spec, "spec")
    elif resource.plural == "leases" and resource.group == "coordination.k8s.io":
        causes += _lease_spec_causes(spec)
    if causes:
        raise invalid(resource.kind, resource.group, name, causes)


def validate_update(resource: Resource, old: Obj, new: Obj) -> None:
    """Immutable fields: a Job's selector and pod template cannot change (kubectl apply trips on this)."""
    if resource.group != "batch" or resource.plural != "jobs":
        return
    causes = []
    for field in ("selector", "template"):
        if (old.get("spec") or {}).get(field) != (new.get("spec") or {}).get(field):
            causes.append(_cause("FieldValueInvalid", f"spec.{field}", "Invalid value: field is immutable"))
    if causes:
        raise invalid(resource.kind, resource.group, new["metadata"]["name"], causes)


def check_namespace(path_namespace: str, obj: Obj) -> None:
    body_namespace = (obj.get("metadata") or {}).get("namespace")
    if body_namespace and body_namespace != path_namespace:
        raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the "
                            "request")
