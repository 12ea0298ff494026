"""`record`: watch CronJobs' Jobs and capture every run into `<root>/<ns>/<cronjob>/<job>/` while it happens,
so the next failure arrives with its pods, logs, status changes, events and verdict even after cleanup.

One loop owns the decisions (which Job to follow, catch up or skip); watches feed it from threads that retry
forever, and each followed Job runs a JobFollower on its own thread. It never writes to the cluster, never reads
os.environ or prints: lines go through `emit`, diagnostics through `log`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cronjob_doctor.errors import ClusterError, DoctorError
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s.objects import created_time, labels_of, uid_of
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.managed import is_managed
from cronjob_doctor.record import job_capture as runjob
from cronjob_doctor.record import retention
from cronjob_doctor.record.metrics import RecorderMetrics
from cronjob_doctor.record.model import RecordedRun
from cronjob_doctor.record.settings import RecordOutcome, RecordSettings
from cronjob_doctor.record.store import BundleStore

__all__ = ["RecordOutcome", "RecordSettings", "RecordedRun", "run"]

Obj = dict[str, Any]
Emit = Callable[[RecordedRun], None]
Log = Callable[[str], None]


@dataclass
class _Open:
    """A Job being followed or caught up on its own thread."""

    thread: threading.Thread
    stop: threading.Event


def run(
    settings: RecordSettings,
    *,
    kube: Kube,
    emit: Emit,
    log: Log,
    stop: threading.Event,
    environ: Mapping[str, str] | None = None,
    metrics: RecorderMetrics | None = None,
) -> RecordOutcome:
    """Record until `stop` is set (interrupted), --once is satisfied or --duration passes.

    Raises ClusterError when the cluster cannot be used at start; later failures are retried forever."""
    recorder = _Recorder(settings, kube=kube, emit=emit, log=log, stop=stop, environ=environ or {},
                         metrics=metrics or RecorderMetrics())
    return recorder.run()


class _Recorder:
    def __init__(self, settings: RecordSettings, *, kube: Kube, emit: Emit, log: Log, stop: threading.Event,
                 environ: Mapping[str, str], metrics: RecorderMetrics) -> None:
        self.settings = settings
        self.kube = kube
        self.emit = emit
        self.log = log
        self.stop = stop
        self.environ = environ
        self.metrics = metrics
        self.store = BundleStore(settings.root)
        self.outcome = RecordOutcome(once=settings.once)
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._halt = threading.Event()
        """Ends the watch threads (set when the recorder stops, whatever the reason)."""
        self._cronjobs: dict[str, Obj] = {}
        self._ignored_owners: set[str] = set()
        self._open: dict[str, _Open] = {}
        self._done: set[str] = set()
        self._preexisting: set[str] = set()
        """With --once: the uids of the Jobs that existed when record started."""
        self._lock = threading.Lock()
        self._since = datetime.now(timezone.utc)
        self._started = datetime.now(timezone.utc)
        self._context = runjob.RunContext(settings=settings, kube=kube, store=self.store, metrics=metrics, log=log,
                                          environ=environ, halt=self._halt, retention=self._retention)

    # -- the loop ------------------------------------------------------------------------------------------

    def run(self) -> RecordOutcome:
        settings = self.settings
        self._load_cronjobs()  # raises when the cluster is unreachable at start: exit 3
        last_alive = self.store.open()
        self._since = last_alive or self._started
        self.store.heartbeat()
        self._retention()
        if settings.once:
            # --once means the next run: Jobs that exist now may be caught up, but they do not end the wait.
            self._preexisting = {uid_of(job) for job in self.kube.list_jobs(settings.namespace)}
        if settings.metrics_port is not None:
            port = self.metrics.serve(settings.metrics_port, settings.metrics_addr)
            self.log(f"metrics on http://{settings.metrics_addr}:{port}/metrics")
        self.log(f"recording {settings.scope} into {settings.root}")
        watches = [
            self._spawn_watch("cronjobs", settings.namespace, *self._cronjob_selectors()),
            self._spawn_watch("jobs", settings.namespace, None, None),
        ]
        deadline = None if settings.duration_seconds is None else time.monotonic() + settings.duration_seconds
        next_resync = time.monotonic() + settings.resync_seconds
        next_beat = time.monotonic() + settings.heartbeat_seconds
        try:
            while True:
                if self.stop.is_set():
                    self.outcome.interrupted = True
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if settings.once and self.outcome.fresh:
                    break
                now = time.monotonic()
                if now >= next_resync:
                    next_resync = now + settings.resync_seconds
                    self._resync()
                if now >= next_beat:
                    next_beat = now + settings.heartbeat_seconds
                    self._safely("heartbeat", self.store.heartbeat)
                try:
                    kind, payload = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._handle(kind, payload)
        except KeyboardInterrupt:
            self.outcome.interrupted = True
            raise
        finally:
            self._shutdown(watches)
        return self.outcome

    def _shutdown(self, watches: list[threading.Thread]) -> None:
        """Close every open bundle (as partial, resumable), stop the watches, write the last heartbeat."""
        self._halt.set()
        with self._lock:
            opened = list(self._open.values())
        for item in opened:
            item.stop.set()
        for item in opened:
            item.thread.join(timeout=30)
        for thread in watches:
            thread.join(timeout=10)
        while not self._queue.empty():  # results of runs that ended while we were stopping
            kind, payload = self._queue.get_nowait()
            if kind == "result":
                self._handle(kind, payload)
        self._safely("heartbeat", self.store.heartbeat)
        self.metrics.close()

    def _handle(self, kind: str, payload: Any) -> None:
        if kind == "cronjobs":
            event_type, obj = payload
            uid = str(obj["metadata"].get("uid"))
            with self._lock:
                if event_type == "DELETED":
                    self._cronjobs.pop(uid, None)
                else:
                    self._cronjobs[uid] = obj
                    self._ignored_owners.discard(uid)
        elif kind == "jobs":
            event_type, obj = payload
            self._on_job(event_type, obj)
        elif kind == "result":
            uid, result = payload
            self.outcome.results.append(result)
            if uid in self._preexisting:
                self.log(f"caught up {result.namespace}/{result.job}, a run that started before record did"
                         + ("; --once waits for a run that starts after" if self.settings.once else ""))
            else:
                self.outcome.fresh.append(result)
            self.emit(result)

    def _safely(self, what: str, fn: Callable[[], object]) -> None:
        try:
            fn()
        except DoctorError as exc:
            self.metrics.error(what)
            self.log(f"{what}: {exc}")

    # -- watches -------------------------------------------------------------------------------------------

    def _cronjob_selectors(self) -> tuple[str | None, str | None]:
        """(label selector, field selector) for the CronJob watch."""
        if self.settings.cronjob:
            return None, f"metadata.name={self.settings.cronjob}"
        return self.settings.selector, None

    def _load_cronjobs(self, namespace: str | None = None) -> None:
        """List the CronJobs in scope (or in one namespace) into the uid map."""
        settings = self.settings
        if settings.cronjob:
            assert settings.namespace is not None
            found = [self.kube.get_cronjob(settings.namespace, settings.cronjob)]
        else:
            found = self.kube.list_cronjobs(namespace or settings.namespace, label_selector=settings.selector)
        with self._lock:
            for cronjob in found:
                uid = str(cronjob["metadata"].get("uid"))
                self._cronjobs[uid] = cronjob
                self._ignored_owners.discard(uid)

    def _spawn_watch(self, kind: str, namespace: str | None, label_selector: str | None,
                     field_selector: str | None) -> threading.Thread:
        thread = threading.Thread(target=self._watch_forever, args=(kind, namespace, label_selector, field_selector),
                                  name=f"record-watch-{kind}", daemon=True)
        thread.start()
        return thread

    def _watch_forever(self, kind: str, namespace: str | None, label_selector: str | None,
                       field_selector: str | None) -> None:
        """List then watch; after a lasting failure (API server down, 5xx beyond the retries) start over with
        a fresh list, waiting longer each time. 410 and dropped streams are handled inside watch()."""
        from cronjob_doctor.kube.watch import watch

        pause = self.settings.retry_initial
        while not self._halt.is_set():
            try:
                for event_type, obj in watch(self.kube, kind, namespace, label_selector=label_selector,
                                             field_selector=field_selector, stop=self._halt):
                    self._queue.put((kind, (event_type, obj)))
                    pause = self.settings.retry_initial
                return
            except ClusterError as exc:
                self.metrics.error(f"watch-{kind}")
                self.log(f"watch {kind}: {exc.message}; retrying in {pause:.0f}s")
            except Exception as exc:  # noqa: BLE001 - a watch thread must never die silently
                self.metrics.error(f"watch-{kind}")
                self.log(f"watch {kind}: {type(exc).__name__}: {exc}; retrying in {pause:.0f}s")
            if self._halt.wait(pause):
                return
            pause = min(pause * 2, self.settings.retry_max)

    def _resync(self) -> None:
        """List the Jobs in scope: start what a broken watch missed, close followers of deleted Jobs."""
        try:
            jobs = self.kube.list_jobs(self.settings.namespace)
        except DoctorError as exc:
            self.metrics.error("resync")
            self.log(f"resync: {exc}")
            return
        present = {str(j["metadata"].get("uid")) for j in jobs}
        with self._lock:
            vanished = [(uid, item) for uid, item in self._open.items() if uid not in present]
        for _uid, item in vanished:
            item.stop.set()  # the Job is gone: the follower closes the bundle with what it has
        for job in jobs:
            self._on_job("ADDED", job)

    # -- deciding what to do with a Job --------------------------------------------------------------------

    def _owner(self, job: Obj) -> Obj | None:
        """The CronJob in scope that owns this Job, or None (not a CronJob's Job, or out of scope)."""
        meta = job.get("metadata") or {}
        if is_managed(labels_of(job)):
            return None  # our own debug Jobs (diagnose) are not runs of the CronJob
        refs = [r for r in meta.get("ownerReferences") or [] if r.get("kind") == "CronJob"]
        if not refs:
            return None
        uid = str(refs[0].get("uid"))
        with self._lock:
            if uid in self._cronjobs:
                return self._cronjobs[uid]
            if uid in self._ignored_owners:
                return None
        if self.settings.cronjob and refs[0].get("name") != self.settings.cronjob:
            with self._lock:
                self._ignored_owners.add(uid)
            return None
        # An owner not seen yet: a CronJob created after our list, or one out of scope. Ask once.
        try:
            self._load_cronjobs(str(meta.get("namespace", "")) if not self.settings.cronjob else None)
        except DoctorError as exc:
            self.metrics.error("cronjobs")
            self.log(f"cronjob of job {meta.get('namespace')}/{meta.get('name')}: {exc}")
            return None
        with self._lock:
            if uid in self._cronjobs:
                return self._cronjobs[uid]
            self._ignored_owners.add(uid)
        return None

    def _on_job(self, event_type: str, job: Obj) -> None:
        uid = str(job["metadata"].get("uid"))
        with self._lock:
            opened = self._open.get(uid)
            known = uid in self._done
        if opened is not None:
            if event_type == "DELETED" and not joblib.finished(job):
                opened.stop.set()  # deleted before it ended: close the bundle with what was captured
            return
        if known:
            return
        cronjob = self._owner(job)
        if cronjob is None:
            return
        name = str(cronjob["metadata"]["name"])
        directory = self.store.directory(job, name)
        state = self.store.state(directory)
        if state is not None and state.final:
            with self._lock:
                self._done.add(uid)
            return
        ended = joblib.finished(job)
        if not ended and event_type != "DELETED":
            self._start(uid, job, cronjob, directory, resume=state is not None, catch_up=False)
            return
        if state is None and not self._ended_since_watched(job):
            with self._lock:
                self._done.add(uid)  # ended before this root was ever watched: not a run we owe a bundle
            return
        self._start(uid, job, cronjob, directory, resume=state is not None, catch_up=True)

    def _ended_since_watched(self, job: Obj) -> bool:
        """Whether the Job ended after the recorder last watched this root (minus a margin for clock skew and
        the heartbeat interval): a run we owe a bundle, captured late."""
        ended = joblib.end_time(job) or created_time(job)
        if ended is None:
            return True
        return ended >= self._since - timedelta(seconds=self.settings.catchup_margin_seconds)

    def _start(self, uid: str, job: Obj, cronjob: Obj, directory: Path, *, resume: bool, catch_up: bool) -> None:
        job_stop = threading.Event()
        thread = threading.Thread(
            target=self._record_job, name=f"record-{job['metadata']['name']}", daemon=True,
            kwargs={"uid": uid, "job": job, "cronjob": cronjob, "directory": directory, "resume": resume,
                    "catch_up": catch_up, "job_stop": job_stop},
        )
        with self._lock:
            self._open[uid] = _Open(thread, job_stop)
            self.metrics.following.set(len(self._open))
        if self._halt.is_set():
            job_stop.set()
        thread.start()

    # -- one Job, on its own thread ------------------------------------------------------------------------

    def _record_job(self, *, uid: str, job: Obj, cronjob: Obj, directory: Path, resume: bool, catch_up: bool,
                    job_stop: threading.Event) -> None:
        try:
            result = runjob.capture_run(self._context, job=job, cronjob=cronjob, directory=directory,
                                        resume=resume, catch_up=catch_up, job_stop=job_stop)
        except Exception as exc:  # noqa: BLE001 - one Job's failure must not stop the recorder
            self.metrics.error("capture")
            self.log(f"capture of job {job['metadata'].get('namespace')}/{job['metadata']['name']} failed: "
                     f"{type(exc).__name__}: {exc}")
            result = None
        with self._lock:
            self._open.pop(uid, None)
            self.metrics.following.set(len(self._open))
            if result is not None or not self._halt.is_set():
                self._done.add(uid)
        if result is not None:
            self._queue.put(("result", (uid, result)))

    def _retention(self) -> None:
        settings = self.settings
        try:
            removed = retention.enforce(self.store, keep_last=settings.keep_last, max_bytes=settings.max_bytes)
        except OSError as exc:
            self.metrics.error("retention")
            self.log(f"retention: {exc}")
            return
        for path in removed:
            self.log(f"retention: removed {path}")
