"""meta.k8s.io/v1 Table rendering for `kubectl get`, with the columns the real server's printers produce.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the cells as given, so ages and
statuses are computed here, from the objects alone. Pure functions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, int]  # name, type, priority (1 = only with -o wide)


def _parse(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: 45s, 3m12s, 95m, 5h3m, 2d4h, 400d, 3y20d."""
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def _age(stamp: str | None) -> str:
    moment = _parse(stamp)
    if moment is None:
        return "<unknown>"
    return human_duration((datetime.now(timezone.utc) - moment).total_seconds())


def _age_of(obj: Obj) -> str:
    return _age(obj.get("metadata", {}).get("creationTimestamp"))


def _pod_status(pod: Obj) -> str:
    status = pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("initContainerStatuses") or []:
        state = cs.get("state") or {}
        if "terminated" in state and state["terminated"].get("exitCode", 0) != 0:
            return "Init:" + (state["terminated"].get("reason") or "Error")
        if "waiting" in state and state["waiting"].get("reason") not in (None, "PodInitializing"):
            return "Init:" + str(state["waiting"]["reason"])
    for cs in reversed(status.get("containerStatuses") or []):
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            terminated = state["terminated"]
            reason = terminated.get("reason") or (
                f"Signal:{terminated['signal']}" if terminated.get("signal") else
                f"ExitCode:{terminated.get('exitCode', 0)}")
    if pod.get("metadata", {}).get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_restarts(pod: Obj) -> str:
    restarts, last = 0, None
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        restarts += cs.get("restartCount", 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and (last is None or finished > last):
            last = finished
    return f"{restarts} ({_age(last)} ago)" if restarts and last else str(restarts)


def _pod_row(pod: Obj) -> list[Any]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    total = len((pod.get("spec") or {}).get("containers") or [])
    status = pod.get("status") or {}
    return [pod["metadata"]["name"], f"{ready}/{total}", _pod_status(pod), _pod_restarts(pod), _age_of(pod),
            status.get("podIP") or "<none>", (pod.get("spec") or {}).get("nodeName") or "<none>", "<none>",
            "<none>"]


def _job_status(job: Obj) -> str:
    conditions = {c.get("type"): c.get("status") for c in (job.get("status") or {}).get("conditions") or []}
    for kind in ("Complete", "Failed", "FailureTarget", "SuccessCriteriaMet", "Suspended"):
        if conditions.get(kind) == "True":
            return kind
    if job.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return "Running"


def _job_row(job: Obj) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    completions = spec.get("completions")
    succeeded = status.get("succeeded", 0)
    done = f"{succeeded}/{completions}" if completions is not None else f"{succeeded}/1 of {spec.get('parallelism', 1)}"
    start, end = _parse(status.get("startTime")), _parse(status.get("completionTime"))
    duration = human_duration(((end or datetime.now(timezone.utc)) - start).total_seconds()) if start else ""
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    containers = pod_spec.get("containers") or []
    selector = ",".join(f"{k}={v}" for k, v in ((spec.get("selector") or {}).get("matchLabels") or {}).items())
    return [job["metadata"]["name"], _job_status(job), done, duration, _age_of(job),
            ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            selector]


def _cronjob_row(cronjob: Obj) -> list[Any]:
    spec, status = cronjob.get("spec") or {}, cronjob.get("status") or {}
    containers = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers") or []
    last = status.get("lastScheduleTime")
    return [cronjob["metadata"]["name"], spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            "True" if spec.get("suspend") else "False", len(status.get("active") or []),
            _age(last) if last else "<none>", _age_of(cronjob),
            ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            "<none>"]


def _event_row(event: Obj) -> list[Any]:
    involved = event.get("involvedObject") or {}
    last = event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
    return [_age(last), event.get("type", ""), event.get("reason", ""),
            f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", event.get("message", "")]


def _generic_row(obj: Obj) -> list[Any]:
    return [obj["metadata"]["name"], _age_of(obj)]


_S, _I = "string", "integer"
TABLES: dict[str, tuple[list[Column], Callable[[Obj], list[Any]]]] = {
    "Pod": ([("Name", _S, 0), ("Ready", _S, 0), ("Status", _S, 0), ("Restarts", _S, 0), ("Age", _S, 0),
             ("IP", _S, 1), ("Node", _S, 1), ("Nominated Node", _S, 1), ("Readiness Gates", _S, 1)], _pod_row),
    "Job": ([("Name", _S, 0), ("Status", _S, 0), ("Completions", _S, 0), ("Duration", _S, 0), ("Age", _S, 0),
             ("Containers", _S, 1), ("Images", _S, 1), ("Selector", _S, 1)], _job_row),
    "CronJob": ([("Name", _S, 0), ("Schedule", _S, 0), ("Timezone", _S, 0), ("Suspend", "boolean", 0),
                 ("Active", _I, 0), ("Last Schedule", _S, 0), ("Age", _S, 0), ("Containers", _S, 1),
                 ("Images", _S, 1), ("Selector", _S, 1)], _cronjob_row),
    "Event": ([("Last Seen", _S, 0), ("Type", _S, 0), ("Reason", _S, 0), ("Object", _S, 0),
               ("Message", _S, 0)], _event_row),
    "Namespace": ([("Name", _S, 0), ("Status", _S, 0), ("Age", _S, 0)],
                  lambda ns: [ns["metadata"]["name"], (ns.get("status") or {}).get("phase", "Active"),
                              _age_of(ns)]),
}


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def table(kind: str, items: list[Obj], list_meta: Obj, *, include_object: str = "Metadata") -> Obj:
    """A Table for `items` of one kind; unknown kinds get NAME and AGE, as the server's default printer."""
    columns, row_of = TABLES.get(kind, ([("Name", _S, 0), ("Age", _S, 0)], _generic_row))
    definitions = [
        {"name": name, "type": kind_, "format": "name" if name == "Name" else "", "description": name,
         "priority": priority}
        for name, kind_, priority in columns
    ]
    rows = []
    for item in items:
        row: Obj = {"cells": row_of(item)}
        row_object = _row_object(item, include_object)
        if row_object is not None:
            row["object"] = row_object
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": definitions, "rows": rows}
