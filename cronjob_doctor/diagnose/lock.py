"""The lock a running diagnose holds on its CronJob: a coordination.k8s.io/v1 Lease, created-or-failed at the
start, renewed on a thread while the run lasts (its heartbeat) and deleted at the end.

Two diagnoses started in the same second both try to create the Lease; the API server lets one create win
and answers 409 to the other, which then reads the Lease and says who holds it. A Lease whose holder is gone
(not renewed within its duration, or its pid gone on this host) is taken over by an update that carries the
resourceVersion it was read at, so two takers cannot both win either. Talks to the cluster only through Kube.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from cronjob_doctor.capture import heartbeat
from cronjob_doctor.capture.heartbeat import OwnerState, Session
from cronjob_doctor.errors import Conflict, DoctorError, NotFound
from cronjob_doctor.k8s.objects import meta, spec
from cronjob_doctor.scan.orphans import pid_alive as process_exists

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

Obj = dict[str, Any]


@dataclass(frozen=True)
class Host:
    """Who this process is and how it tells a live process from a dead one (tests pass their own)."""

    name: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    pid_alive: Callable[[int], bool] = process_exists
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)


class LeaseLock:
    """The Lease `cronjob-doctor-<cronjob>` held by one diagnose session."""

    def __init__(
        self,
        kube: Kube,
        *,
        namespace: str,
        cronjob: str,
        session: Session,
        clock: Callable[[], datetime],
        pid_alive: Callable[[int], bool],
        renew_seconds: float = heartbeat.RENEW_SECONDS,
        duration_seconds: int = heartbeat.LEASE_DURATION_SECONDS,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.cronjob = cronjob
        self.session = session
        self.clock = clock
        self.pid_alive = pid_alive
        self.renew_seconds = renew_seconds
        self.duration_seconds = duration_seconds
        self.name = heartbeat.lease_name(cronjob)
        self.lease: Obj | None = None
        """The Lease as the API last returned it to us (None: not held)."""
        self.notes: list[str] = []
        """What the reader should know: a lock taken over from a run that is gone, renewals that failed."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self.lease is not None

    # -- taking it -----------------------------------------------------------------------------------------

    def acquire(self, *, force: bool = False) -> None:
        """Hold the Lease, or raise Conflict naming the diagnose that holds it (with --force: run beside it,
        unlocked, and say so)."""
        manifest = heartbeat.lease_manifest(namespace=self.namespace, cronjob=self.cronjob, session=self.session,
                                            now=self.clock(), duration_seconds=self.duration_seconds)
        for _attempt in range(3):
            try:
                self.lease = self.kube.create_lease(self.namespace, manifest)
                return
            except Conflict:
                pass
            try:
                current = self.kube.get_lease(self.namespace, self.name)
            except NotFound:
                continue  # released between our create and our read: create again
            if heartbeat.holder_session(current) == self.session.id:
                self.lease = current  # our own create, whose answer was lost
                return
            state = heartbeat.owner_state(current, now=self.clock(), host=self.session.host,
                                          pid_alive=self.pid_alive)
            if state.alive:
                if force:
                    self.notes.append(f"another diagnose of this CronJob is running ({state.why}); ran beside it "
                                      "without the lock (--force)")
                    return
                raise self._busy(current, state)
            if self._take_over(current, state):
                return
        raise Conflict(
            f"could not take the lock {self.namespace}/{self.name}: it changed hands three times meanwhile",
            hint="another diagnose of this CronJob is starting; try again in a minute",
        )

    def _take_over(self, current: Obj, state: OwnerState) -> bool:
        """Take a Lease whose holder is gone; False when someone else changed it first (read it again)."""
        transitions = spec(current).get("leaseTransitions")
        manifest = heartbeat.lease_manifest(
            namespace=self.namespace, cronjob=self.cronjob, session=self.session, now=self.clock(),
            transitions=(transitions if isinstance(transitions, int) else 0) + 1, existing=current,
            duration_seconds=self.duration_seconds,
        )
        try:
            self.lease = self.kube.replace_lease(self.namespace, manifest)
        except (Conflict, NotFound):
            return False
        if state.session is not None:
            self.notes.append(f"took over the lock of a diagnose that is gone: {state.why}")
        return True

    def _busy(self, current: Obj, state: OwnerState) -> Conflict:
        left = heartbeat.expires_in(current, now=self.clock())
        expiry = f"; if that process is gone, its lease expires in {max(0, int(left))}s" if left is not None else ""
        return Conflict(
            f"another diagnose of cronjob {self.namespace}/{self.cronjob} is running: {state.why} "
            f"(lease {self.namespace}/{self.name})",
            hint=f"wait for it to finish{expiry}; or run beside it with --force",
        )

    # -- the heartbeat -------------------------------------------------------------------------------------

    def start_heartbeat(self) -> None:
        """Renew the Lease every `renew_seconds` on a daemon thread until `release`."""
        if self.lease is None or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self.name}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.renew_seconds):
            self.renew()

    def renew(self) -> None:
        """One heartbeat: PUT the Lease with a new renewTime; notice when someone else took it."""
        with self._lock:
            if self.lease is None:
                return
            try:
                self.lease = self.kube.replace_lease(self.namespace, heartbeat.renewed(self.lease, now=self.clock()))
            except (Conflict, NotFound):
                self._check_still_ours()
            except DoctorError as exc:
                note = f"the lock's heartbeat failed ({exc}); it is retried every {self.renew_seconds:.0f}s"
                if note not in self.notes:
                    self.notes.append(note)

    def _check_still_ours(self) -> None:
        try:
            current = self.kube.get_lease(self.namespace, self.name)
        except DoctorError as exc:
            self.notes.append(f"the lock {self.namespace}/{self.name} could not be read after a failed renewal: {exc}")
            return
        if heartbeat.holder_session(current) == self.session.id:
            self.lease = current
            return
        self.lease = None
        holder = meta(current).get("annotations") or {}
        self.notes.append(
            f"lost the lock {self.namespace}/{self.name} to another diagnose (pid "
            f"{holder.get(heartbeat.PID_ANNOTATION, '?')} on {holder.get(heartbeat.HOST_ANNOTATION, '?')}): "
            "this run's heartbeat lapsed (the API was unreachable longer than the lease lasts)"
        )

    # -- letting go ----------------------------------------------------------------------------------------

    def release(self) -> None:
        """Stop the heartbeat and delete the Lease if it is still ours (as last read: never someone else's)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            lease, self.lease = self.lease, None
        if lease is None:
            return
        try:
            self.kube.delete_lease(self.namespace, self.name,
                                   resource_version=str(meta(lease).get("resourceVersion") or ""))
        except Conflict:
            pass  # someone took it after our last renewal: theirs now
        except DoctorError as exc:
            self.notes.append(f"the lock {self.namespace}/{self.name} was not released ({exc}); it expires "
                              f"{self.duration_seconds}s after its last heartbeat")
