"""What the API server does to an object between the request body and storage: defaulting and validation.

Defaults match `kubectl get -o yaml` of a freshly created object on a 1.31 server; validation covers the rules a
diagnostic tool can trip over (names, containers, restartPolicy, schedule) and answers 422 with `details.causes`.
Nothing here reads or writes the store.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .routes import Resource
from .status import ApiError, invalid

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
# Names whose value ends up in a label (job-name) or in a generated Job name (cronjob name + 11 chars)
_NAME_LIMITS = {"jobs": 63, "cronjobs": 52}


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
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
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
        _default_job_spec(obj.setdefault("spec", {}), meta["uid"], meta.get("name"))
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
    return causes


def _job_spec_causes(spec: Obj, prefix: str) -> list[Obj]:
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    causes = _pod_spec_causes(pod_spec, f"{prefix}.template.spec")
    policy = pod_spec.get("restartPolicy", "Always")
    if policy not in ("OnFailure", "Never"):
        causes.append(_cause("FieldValueNotSupported", f"{prefix}.template.spec.restartPolicy",
                             f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"'))
    elif spec.get("podFailurePolicy") and policy != "Never":
        causes.append(_cause("FieldValueInvalid", f"{prefix}.template.spec.restartPolicy",
                             f'Invalid value: "{policy}": only "Never" is supported when podFailurePolicy '
                             "is specified"))
    for field in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "parallelism",
                  "completions"):
        value = spec.get(field)
        if isinstance(value, int) and value < (1 if field == "activeDeadlineSeconds" else 0):
            causes.append(_cause("FieldValueInvalid", f"{prefix}.{field}",
                                 f"Invalid value: {value}: must be greater than or equal to "
                                 f"{1 if field == 'activeDeadlineSeconds' else 0}"))
    return causes


def _schedule_causes(schedule: Any) -> list[Obj]:
    if not schedule:
        return [_cause("FieldValueRequired", "spec.schedule", "Required value")]
    text = str(schedule)
    body = re.sub(r"^(CRON_)?TZ=\S+\s+", "", text)
    if body in _MACROS or body.startswith("@every ") or len(body.split()) == 5:
        return []
    return [_cause("FieldValueInvalid", "spec.schedule",
                   f'Invalid value: "{text}": expected exactly 5 fields, found {len(body.split())}: {body}')]


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


def validate(resource: Resource, obj: Obj) -> None:
    """Raise 422 Invalid listing every problem found, as the real server collects them all."""
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
    spec = obj.get("spec") or {}
    if resource.group == "batch" and resource.plural == "jobs":
        causes += _job_spec_causes(spec, "spec")
    elif resource.plural == "cronjobs":
        causes += _schedule_causes(spec.get("schedule"))
        causes += _job_spec_causes((spec.get("jobTemplate") or {}).get("spec") or {}, "spec.jobTemplate.spec")
        for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit", "startingDeadlineSeconds"):
            value = spec.get(field)
            if isinstance(value, int) and value < 0:
                causes.append(_cause("FieldValueInvalid", f"spec.{field}",
                                     f"Invalid value: {value}: must be greater than or equal to 0"))
        if spec.get("concurrencyPolicy") not in ("Allow", "Forbid", "Replace"):
            causes.append(_cause("FieldValueNotSupported", "spec.concurrencyPolicy",
                                 f'Unsupported value: "{spec.get("concurrencyPolicy")}": supported values: '
                                 '"Allow", "Forbid", "Replace"'))
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
