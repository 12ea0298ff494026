"""Capture a Job that ended while nobody was following it: the Job, whatever pods, logs (current and previous)
and events still exist, merged into the bundle already on disk (a run the recorder was following when it died
keeps every line and pod status it had; log files get only the lines after their last one).

Read-only against the cluster. The caller marks the bundle partial: what was deleted meanwhile is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.errors import DoctorError, InputError, NotFound
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.kube.logs import LogCursor, read_log, split_line

Obj = dict[str, Any]


def capture_finished(
    kube: Kube, *, job: Obj, root: Path, redact: Callable[[str], str] | None = None
) -> list[str]:
    """Write what still exists of `job` into `root`; return notes on what could not be read."""
    namespace = str(job["metadata"].get("namespace", ""))
    name = str(job["metadata"]["name"])
    notes: list[str] = []
    bundle_io.make_private_dir(root)
    try:
        existing = bundle_io.read(root)
    except InputError as exc:
        notes.append(f"earlier capture unreadable, starting afresh: {exc}")
        existing = bundle_io.Bundle(path=root)
    try:
        job = kube.get_job(namespace, name)
    except NotFound:
        notes.append(f"job {name} is gone: its last known state is kept")
    bundle_io.write_json(root, "job.json", job)
    pods = _job_pods(kube, namespace, name)
    merged = {str(p["metadata"]["name"]): p for p in existing.pods}
    merged.update({str(p["metadata"]["name"]): p for p in pods})
    bundle_io.write_json(root, "pods.json", {"apiVersion": "v1", "kind": "List", "items": list(merged.values())})
    if not pods:
        notes.append(f"the pods of job {name} were already deleted: no new logs or pod statuses")
    for pod in pods:
        notes += _pod_logs(kube, namespace, pod, root, redact)
    events = {_event_key(e): e for e in existing.events}
    names = set(merged) | {name}
    try:
        for event in kube.list_events(namespace):
            about = event.get("involvedObject") or event.get("regarding") or {}
            if about.get("name") in names:
                events[_event_key(event)] = event
    except DoctorError as exc:
        notes.append(f"events unavailable: {exc}")
    items = sorted(events.values(), key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    bundle_io.write_json(root, "events.json", {"apiVersion": "v1", "kind": "EventList", "items": items})
    return notes


def _job_pods(kube: Kube, namespace: str, job: str) -> list[Obj]:
    """Pods carry `batch.kubernetes.io/job-name` (1.27+) and the legacy `job-name`."""
    pods = kube.list_pods(namespace, label_selector=f"batch.kubernetes.io/job-name={job}")
    return pods or kube.list_pods(namespace, label_selector=f"job-name={job}")


def _pod_logs(kube: Kube, namespace: str, pod: Obj, root: Path, redact: Callable[[str], str] | None) -> list[str]:
    """Read each started container's log, and the previous instance's after a restart, into the bundle."""
    notes = []
    pod_name = str(pod["metadata"]["name"])
    status = pod.get("status") or {}
    for item in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        container = str(item.get("name", ""))
        state = item.get("state") or {}
        wanted = []
        if (item.get("lastState") or {}).get("terminated") or int(item.get("restartCount") or 0) > 0:
            wanted.append(True)  # the previous instance first: its lines are older
        if "running" in state or "terminated" in state:
            wanted.append(False)
        for previous in wanted:
            try:
                text = read_log(kube, namespace, pod_name, container, previous=previous)
            except NotFound:
                continue  # deleted between the list and the read
            except DoctorError as exc:
                notes.append(f"log of {pod_name}/{container}{' (previous)' if previous else ''} unavailable: {exc}")
                continue
            if redact is not None:
                text = "\n".join(redact(line) for line in text.split("\n"))
            append_new_lines(bundle_io.log_path(root, pod_name, container, previous=previous), text)
    return notes


def append_new_lines(path: Path, text: str) -> int:
    """Append the lines of `text` that come after the last line already in `path`; return how many."""
    cursor = LogCursor()
    if path.is_file():
        for line in bundle_io.LogFile(pod="", container="", path=path).lines():
            if line.timestamp:
                cursor.admit(line.timestamp)
        cursor.reopen()
    fresh = []
    for raw in text.splitlines():
        chunk = split_line(raw.encode("utf-8"))
        if chunk.timestamp and not cursor.admit(chunk.timestamp):
            continue
        fresh.append(raw)
    if not fresh:
        return 0
    bundle_io.make_private_dir(path.parent)
    with bundle_io.open_log(path.parents[2], path.parent.name, _container_of(path),
                            previous=path.name.endswith(".previous.log")) as handle:
        handle.write("".join(line + "\n" for line in fresh))
    return len(fresh)


def _container_of(path: Path) -> str:
    name = path.name
    return name[: -len(".previous.log")] if name.endswith(".previous.log") else name[: -len(".log")]


def _event_key(event: Obj) -> str:
    meta = event.get("metadata") or {}
    return str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")
