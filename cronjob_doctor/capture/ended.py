"""Capture what is left of a Job that ended while nobody followed it: the Job, whatever pods still exist, every
log the kubelet still holds for them (init containers, and the previous instance after a restart), and the
events about the Job and its pods (core/v1 and events.k8s.io/v1 alike).

One reading for every command: diagnose's evidence snapshot of earlier failed Jobs, record's catch-up of a run
that ended while it was down, and history's verdicts on failed runs whose pods remain. Read-only against the
cluster. Writing merges into a bundle already on disk: a run followed until the recorder died keeps every line
and pod status it had; log files get only the lines after their last one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.errors import DoctorError, InputError, NotFound
from cronjob_doctor.k8s import events as eventlib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s.objects import Obj, name_of, namespace_of

if TYPE_CHECKING:  # the kubernetes client loads only when a command talks to a cluster
    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor.kube.logs import LogCursor

Redact = Callable[[str], str]


@dataclass
class Leftovers:
    """What still exists of one Job."""

    job: Obj
    pods: list[Obj] = field(default_factory=list)
    logs: list[LogFile] = field(default_factory=list)
    events: list[Obj] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    job_gone: bool = False
    """The Job itself was deleted: `job` is the last state the caller knew."""

    def bundle(self, *, cronjob: Obj | None = None, jobs: Sequence[Obj] = ()) -> Bundle:
        """An in-memory bundle of these leftovers, for the verdict engine."""
        return Bundle(cronjob=cronjob, job=self.job, jobs=list(jobs), pods=list(self.pods),
                      events=list(self.events), logs=list(self.logs))


def job_pods(kube: Kube, namespace: str, job: str) -> list[Obj]:
    """The Job's pods by its label (`batch.kubernetes.io/job-name` on 1.27+, the legacy `job-name` before)."""
    for selector in podlib.job_selectors(job):
        found = kube.list_pods(namespace, label_selector=selector)
        if found:
            return found
    return []


def pod_logs(kube: Kube, pod: Obj, *, redact: Redact | None = None) -> tuple[list[LogFile], list[str]]:
    """Every log the kubelet still holds for the pod (see k8s.pods.log_sources), and notes on unreadable ones."""
    from cronjob_doctor.kube.logs import read_log

    namespace, pod_name = namespace_of(pod), name_of(pod)
    logs, notes = [], []
    for container, previous in podlib.log_sources(pod):
        try:
            text = read_log(kube, namespace, pod_name, container, previous=previous)
        except NotFound:
            continue  # the pod or that instance went away between the list and the read
        except DoctorError as exc:
            notes.append(f"log of {pod_name}/{container}{' (previous)' if previous else ''} unavailable: {exc}")
            continue
        if redact is not None:
            text = "\n".join(redact(line) for line in text.split("\n"))
        logs.append(LogFile(pod=pod_name, container=container, previous=previous, text=text))
    return logs, notes


def read_leftovers(
    kube: Kube,
    job: Obj,
    *,
    pods: Sequence[Obj] | None = None,
    events: Sequence[Obj] | None = None,
    refresh: bool = False,
    redact: Redact | None = None,
) -> Leftovers:
    """Read what still exists of `job`. `pods`/`events`: lists the caller already holds (a namespace's pods or
    events, read once for many Jobs); `refresh`: read the Job again for its final state."""
    namespace, name = namespace_of(job), name_of(job)
    found = Leftovers(job=job)
    if refresh:
        try:
            found.job = kube.get_job(namespace, name)
        except NotFound:
            found.job_gone = True
    found.pods = list(pods) if pods is not None else job_pods(kube, namespace, name)
    for pod in found.pods:
        logs, notes = pod_logs(kube, pod, redact=redact)
        found.logs += logs
        found.notes += notes
    if events is None:
        try:
            events = kube.list_events(namespace)
        except DoctorError as exc:
            found.notes.append(f"events unavailable: {exc}")
            events = []
    found.events = eventlib.related(events, {name, *(name_of(pod) for pod in found.pods)})
    return found


def write_leftovers(root: Path, found: Leftovers) -> list[str]:
    """Merge the leftovers into the bundle at `root` (created if needed); returns notes."""
    notes: list[str] = []
    bundle_io.make_private_dir(root)
    try:
        existing = bundle_io.read(root)
    except InputError as exc:
        notes.append(f"earlier capture unreadable, starting afresh: {exc}")
        existing = Bundle(path=root)
    bundle_io.write_json(root, "job.json", found.job)
    pods = {name_of(pod): pod for pod in existing.pods}
    pods.update({name_of(pod): pod for pod in found.pods})
    bundle_io.write_json(root, "pods.json", {"apiVersion": "v1", "kind": "List", "items": list(pods.values())})
    for log in found.logs:
        append_new_lines(bundle_io.log_path(root, log.pod, log.container, previous=log.previous), log.text or "")
    bundle_io.write_json(root, "events.json", eventlib.event_list(eventlib.merged(existing.events, found.events)))
    return notes


def cursor_after(path: Path) -> LogCursor:
    """A log cursor positioned after the last line already in `path` (none yet: at the start), so a resumed
    stream or a second read doubles nothing."""
    from cronjob_doctor.kube.logs import LogCursor

    cursor = LogCursor()
    if path.is_file():
        for line in LogFile(pod="", container="", path=path).lines():
            if line.timestamp:
                cursor.admit(line.timestamp)
        cursor.reopen()
    return cursor


def append_new_lines(path: Path, text: str) -> int:
    """Append the lines of `text` that come after the last line already in `path`; return how many."""
    from cronjob_doctor.kube.logs import split_line

    cursor = cursor_after(path)
    fresh = []
    for raw in text.splitlines():
        chunk = split_line(raw.encode("utf-8"))
        if chunk.timestamp and not cursor.admit(chunk.timestamp):
            continue
        fresh.append(raw)
    if not fresh:
        return 0
    bundle_io.make_private_dir(path.parent)
    previous = path.name.endswith(".previous.log")
    container = path.name[: -len(".previous.log")] if previous else path.name[: -len(".log")]
    with bundle_io.open_log(path.parents[2], path.parent.name, container, previous=previous) as handle:
        handle.write("".join(line + "\n" for line in fresh))
    return len(fresh)
