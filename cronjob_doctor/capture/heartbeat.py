"""Who runs a diagnose, and whether it still does: the session identity, the Lease it holds while it runs
(`cronjob-doctor-<cronjob>`, coordination.k8s.io/v1, renewed as a heartbeat) and how to read one.

A Lease is the lock (create-or-fail: two diagnoses of a CronJob never run side by side by accident) and the
heartbeat (`renewTime` + `leaseDurationSeconds`: a diagnose killed with -9 stops renewing, and its Lease
expires). A holder on this very host whose pid is gone is known dead at once, without waiting for expiry.
Pure: callers pass the clock, the host name and a pid check; nothing here talks to the cluster.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cronjob_doctor.k8s.objects import annotations_of, labels_of, meta, spec
from cronjob_doctor.k8s.time import parse_time
from cronjob_doctor.managed import ANNOTATION_PREFIX, MANAGED_BY, MANAGED_BY_KEY, SOURCE_LABEL

Obj = dict[str, Any]

SESSION_ANNOTATION = ANNOTATION_PREFIX + "session"
"""On a debug Job and on the Lease: the diagnose session that created / holds it."""
HOST_ANNOTATION = ANNOTATION_PREFIX + "host"
PID_ANNOTATION = ANNOTATION_PREFIX + "pid"
STARTED_ANNOTATION = ANNOTATION_PREFIX + "started"
KEEP_ANNOTATION = ANNOTATION_PREFIX + "keep"
"""On a debug Job created with --keep: left in the cluster on purpose, never an orphan."""
LEASE_DURATION_SECONDS = 60
"""A Lease not renewed for this long belongs to a diagnose that is gone (killed, lost its laptop, lost the
cluster for a minute). Long enough to ride out an API server restart; an orphan is known at once anyway when
its diagnose ran on this host."""
RENEW_SECONDS = 10.0
"""How often a running diagnose renews its Lease: six chances before it expires."""


@dataclass(frozen=True)
class Session:
    """One diagnose process: a random id, the host and pid it runs as, and when it started."""

    id: str
    host: str
    pid: int
    started: datetime

    @classmethod
    def new(cls, *, host: str, pid: int, now: datetime) -> Session:
        alphabet = string.ascii_lowercase + string.digits
        return cls("".join(secrets.choice(alphabet) for _ in range(8)), host, pid, now)

    @property
    def identity(self) -> str:
        """The Lease's holderIdentity: `<session>@<host>`."""
        return f"{self.id}@{self.host}"

    def annotations(self) -> dict[str, str]:
        return {
            SESSION_ANNOTATION: self.id,
            HOST_ANNOTATION: self.host,
            PID_ANNOTATION: str(self.pid),
            STARTED_ANNOTATION: micro_time(self.started),
        }

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started.strftime('%Y-%m-%d %H:%M:%SZ')}"


def micro_time(moment: datetime) -> str:
    """metav1.MicroTime as the API server parses it: RFC 3339 with exactly six fraction digits, UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lease_name(cronjob: str) -> str:
    """`cronjob-doctor-<cronjob>`: one per CronJob, so diagnoses of the same CronJob meet on it."""
    return f"cronjob-doctor-{cronjob}"


def lease_manifest(
    *, namespace: str, cronjob: str, session: Session, now: datetime, transitions: int = 0,
    existing: Obj | None = None, duration_seconds: int = LEASE_DURATION_SECONDS,
) -> Obj:
    """The Lease held by `session`; `existing` (a Lease read from the API) is taken over, keeping its
    resourceVersion so the write fails if anyone else wrote it since."""
    metadata: Obj = {
        "name": lease_name(cronjob),
        "namespace": namespace,
        "labels": {MANAGED_BY_KEY: MANAGED_BY, SOURCE_LABEL: cronjob[:63]},
        "annotations": session.annotations(),
    }
    if existing is not None:
        metadata["resourceVersion"] = meta(existing).get("resourceVersion")
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": metadata,
        "spec": {
            "holderIdentity": session.identity,
            "leaseDurationSeconds": duration_seconds,
            "acquireTime": micro_time(now),
            "renewTime": micro_time(now),
            "leaseTransitions": transitions,
        },
    }


def renewed(lease: Obj, *, now: datetime) -> Obj:
    """The same Lease with renewTime set to `now` (its resourceVersion kept: a stale renew is refused)."""
    out = {**lease, "spec": {**spec(lease), "renewTime": micro_time(now)}}
    return out


def holder_session(lease: Obj) -> str | None:
    """The session id holding the Lease, None when it is released or not ours to read."""
    identity = spec(lease).get("holderIdentity")
    if not identity:
        return None
    return annotations_of(lease).get(SESSION_ANNOTATION) or str(identity).split("@", 1)[0]


def is_ours(lease: Obj) -> bool:
    return labels_of(lease).get(MANAGED_BY_KEY) == MANAGED_BY


@dataclass(frozen=True)
class OwnerState:
    """Whether the diagnose that holds a Lease (or created a debug Job) still runs, and why we think so."""

    alive: bool
    why: str
    session: str | None = None


def owner_state(
    lease: Obj | None, *, now: datetime, host: str, pid_alive: Callable[[int], bool]
) -> OwnerState:
    """Alive while the Lease is held, renewed within its duration, and (on this host) its pid exists."""
    if lease is None:
        return OwnerState(False, "no lease: its diagnose ended without cleaning up, or never took one")
    session = holder_session(lease)
    if session is None:
        return OwnerState(False, "the lease was released")
    notes = annotations_of(lease)
    where = f"pid {notes.get(PID_ANNOTATION, '?')} on {notes.get(HOST_ANNOTATION, '?')}"
    renewed_at = parse_time(spec(lease).get("renewTime"))
    duration = spec(lease).get("leaseDurationSeconds")
    if renewed_at is None or not isinstance(duration, int):
        return OwnerState(False, f"the lease of {where} has no heartbeat", session)
    age = (now - renewed_at).total_seconds()
    if age > duration:
        return OwnerState(False, f"its diagnose ({where}) stopped renewing its lease {_ago(age)}", session)
    pid = notes.get(PID_ANNOTATION, "")
    if notes.get(HOST_ANNOTATION) == host and pid.isdigit() and not pid_alive(int(pid)):
        return OwnerState(False, f"its diagnose ({where}) is no longer running (last heartbeat {_ago(age)})",
                          session)
    return OwnerState(True, f"diagnose {where} renewed its lease {_ago(age)}", session)


def expires_in(lease: Obj, *, now: datetime) -> float | None:
    """Seconds until the Lease expires unless renewed (negative: expired); None without a heartbeat."""
    renewed_at = parse_time(spec(lease).get("renewTime"))
    duration = spec(lease).get("leaseDurationSeconds")
    if renewed_at is None or not isinstance(duration, int):
        return None
    return (renewed_at + timedelta(seconds=duration) - now).total_seconds()


def _ago(seconds: float) -> str:
    whole = max(0, int(seconds))
    if whole < 120:
        return f"{whole}s ago"
    if whole < 7200:
        return f"{whole // 60}m ago"
    return f"{whole // 3600}h ago"
