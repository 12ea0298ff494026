"""Debug Jobs that cronjob-doctor left in the cluster, and whether the diagnose that made each still runs.

A debug Job carries its diagnose session (annotation); that session holds the CronJob's Lease while it runs
(capture/heartbeat.py). A Job whose session holds no live Lease was left by a run that is gone: an orphan
(killed with -9, an OOM of the CLI, a lost laptop, an API outage during cleanup). Jobs made with --keep are
left on purpose. `classify` is pure; `debug_jobs_left` lists what it needs (Jobs, and the Leases, one list).
Used by diagnose (to adopt or delete orphans), scan and history (to list them). Never deletes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cronjob_doctor.capture import heartbeat
from cronjob_doctor.errors import Forbidden
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s.objects import annotations_of, created_time, labels_of, name_of, namespace_of
from cronjob_doctor.managed import MANAGED_BY, MANAGED_BY_KEY, SOURCE_LABEL, is_managed
from cronjob_doctor.scan.left import KEPT, ORPHAN, RUNNING, UNKNOWN, LeftJob

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

Obj = dict[str, Any]

def classify(
    jobs: Sequence[Obj],
    leases: Sequence[Obj] | None,
    *,
    now: datetime,
    host: str,
    pid_alive: Callable[[int], bool],
    cronjob: str | None = None,
) -> list[LeftJob]:
    """Every debug Job among `jobs` (of `cronjob` when given) with its state, oldest first. `leases`: the
    Leases of the namespaces in scope, None when they could not be read."""
    by_name = {(namespace_of(lease), name_of(lease)): lease for lease in leases or []}
    out = []
    for job in jobs:
        labels = labels_of(job)
        if not is_managed(labels):
            continue
        source = labels.get(SOURCE_LABEL, "")
        if cronjob is not None and source != cronjob[:63]:
            continue
        notes = annotations_of(job)
        base = LeftJob(
            namespace=namespace_of(job), name=name_of(job), cronjob=source, state=ORPHAN, why="",
            finished=joblib.finished(job), outcome=joblib.final_outcome(job), created=created_time(job),
            session=notes.get(heartbeat.SESSION_ANNOTATION), job=job,
        )
        if notes.get(heartbeat.KEEP_ANNOTATION) == "true":
            out.append(replace(base, state=KEPT, why="created with --keep"))
            continue
        state, why = _owner(base, by_name, leases is not None, now=now, host=host, pid_alive=pid_alive)
        out.append(replace(base, state=state, why=why))
    return sorted(out, key=lambda left: (left.created is None, left.created or now, left.name))


def _owner(
    left: LeftJob, leases: dict[tuple[str, str], Obj], readable: bool, *, now: datetime, host: str,
    pid_alive: Callable[[int], bool],
) -> tuple[str, str]:
    """(state, why) of one debug Job from its session annotations and its CronJob's Lease."""
    notes = annotations_of(left.job)
    session = left.session
    where = f"pid {notes.get(heartbeat.PID_ANNOTATION, '?')} on {notes.get(heartbeat.HOST_ANNOTATION, '?')}"
    if session is None:
        return ORPHAN, "made by a cronjob-doctor without heartbeats: nothing says its diagnose still runs"
    pid = notes.get(heartbeat.PID_ANNOTATION, "")
    if notes.get(heartbeat.HOST_ANNOTATION) == host and pid.isdigit() and not pid_alive(int(pid)):
        return ORPHAN, f"its diagnose ({where}) is no longer running"
    lease = leases.get((left.namespace, heartbeat.lease_name(left.cronjob)))
    if lease is not None and heartbeat.holder_session(lease) == session:
        state = heartbeat.owner_state(lease, now=now, host=host, pid_alive=pid_alive)
        return (RUNNING if state.alive else ORPHAN), state.why
    if not readable:
        return UNKNOWN, f"made by diagnose {where}; its lease could not be read"
    return ORPHAN, f"its diagnose ({where}) holds no lease: it stopped without cleaning up"


def read_leases(kube: Kube, namespace: str | None, notes: list[str]) -> list[Obj] | None:
    """cronjob-doctor's Leases in scope; None (and a note) when RBAC does not allow listing them."""
    try:
        return kube.list_leases(namespace, label_selector=f"{MANAGED_BY_KEY}={MANAGED_BY}")
    except Forbidden:
        notes.append("cannot list leases (coordination.k8s.io): whether a debug Job's diagnose still runs is "
                     "unknown (see README, Permissions)")
        return None


def debug_jobs_left(
    kube: Kube,
    namespace: str | None,
    *,
    now: datetime,
    host: str,
    pid_alive: Callable[[int], bool],
    cronjob: str | None = None,
    jobs: Sequence[Obj] | None = None,
    notes: list[str] | None = None,
) -> list[LeftJob]:
    """The debug Jobs in scope (of `cronjob` when given) and their state. `jobs`: the Jobs the caller already
    listed (scan, history), else they are listed here by label."""
    notes = notes if notes is not None else []
    if jobs is None:
        selector = f"{MANAGED_BY_KEY}={MANAGED_BY}" + (f",{SOURCE_LABEL}={cronjob[:63]}" if cronjob else "")
        jobs = kube.list_jobs(namespace, label_selector=selector)
    if not any(is_managed(labels_of(job)) for job in jobs):
        return []
    return classify(jobs, read_leases(kube, namespace, notes), now=now, host=host, pid_alive=pid_alive,
                    cronjob=cronjob)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 probes without signalling)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    except OSError:
        return True  # cannot tell: do not call it dead
    return True
