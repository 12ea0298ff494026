"""The simulated cluster's control plane and node: one event loop that runs the Job and CronJob controllers,
the kubelet and the garbage collector against the Store, with timers scaled by `time_scale`.

Store listeners only enqueue work (they run under the store lock); every change is made on the loop thread,
so controllers never race each other. It never serves HTTP: the server calls `trigger_cronjob`, `pod_metrics`
and `gc.collect`.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from . import gc
from .cronjobs import CronJobController
from .jobs import JobController
from .kubelet import Kubelet
from .logstore import LogStore
from .store import Store, StoreError, WatchEvent

log = logging.getLogger(__name__)


class Timer:
    """A pending call on the loop; `cancel()` makes it a no-op."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _Loop:
    """A single worker thread with a run queue, coalesced keyed work and a timer heap."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[Callable[[], None]] = []
        self._keys: set[Hashable] = set()
        self._timers: list[tuple[float, int, Timer, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._stopped = False
        self.thread: threading.Thread | None = None

    def post(self, fn: Callable[[], None], key: Hashable | None = None) -> None:
        with self._cond:
            if key is not None:
                if key in self._keys:
                    return  # already queued: one sync sees the latest state anyway
                self._keys.add(key)
                fn = self._keyed(key, fn)
            self._queue.append(fn)
            self._cond.notify()

    def _keyed(self, key: Hashable, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            with self._cond:
                self._keys.discard(key)
            fn()

        return run

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        timer = Timer()
        with self._cond:
            heapq.heappush(self._timers, (time.monotonic() + max(0.0, delay), next(self._seq), timer, fn))
            self._cond.notify()
        return timer

    def run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    now = time.monotonic()
                    if self._queue:
                        fn = self._queue.pop(0)
                        break
                    if self._timers and self._timers[0][0] <= now:
                        _, _, timer, fn = heapq.heappop(self._timers)
                        if timer.cancelled:
                            continue
                        break
                    timeout = self._timers[0][0] - now if self._timers else None
                    self._cond.wait(timeout)
            try:
                fn()
            except StoreError as error:  # a racing delete or update: the next event resyncs
                log.debug("sandbox controller: %s", error)
            except Exception:  # a controller bug must not stop the cluster
                log.exception("sandbox controller failed")

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


class Cluster:
    """Controllers and a one-node kubelet acting on `store`; `time_scale` real seconds per simulated second."""

    def __init__(self, store: Store, logs: LogStore, *, time_scale: float = 1.0) -> None:
        self.store = store
        self.logs = logs
        self.time_scale = time_scale
        self._loop = _Loop()
        self._running = False
        self.kubelet = Kubelet(self)
        self.jobs = JobController(self)
        self.cronjobs = CronJobController(self)
        store.subscribe(self._on_event)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop and resync every existing object, as informers list before they watch."""
        if self._running:
            return
        self._running = True
        self._loop.thread = threading.Thread(target=self._loop.run, name="sandbox-cluster", daemon=True)
        self._loop.thread.start()
        self._loop.post(self._resync)
        self._loop.call_later(2.0, self._sweep)

    def stop(self) -> None:
        self._running = False
        self._loop.stop()
        if self._loop.thread is not None and self._loop.thread is not threading.current_thread():
            self._loop.thread.join(timeout=5)

    # -- scheduling helpers for the controllers ------------------------------------------------------------

    def after(self, seconds: float, fn: Callable[[], None]) -> Timer:
        """Run `fn` on the loop after `seconds` simulated seconds."""
        return self._loop.call_later(seconds * self.time_scale, fn)

    def post(self, fn: Callable[[], None], key: Hashable | None = None) -> None:
        self._loop.post(fn, key)

    def sim_elapsed(self, since: float) -> float:
        """Simulated seconds since the monotonic instant `since`."""
        return (time.monotonic() - since) / self.time_scale if self.time_scale else float("inf")

    # -- the server's entry points -------------------------------------------------------------------------

    def pod_metrics(self, namespace: str, pod_name: str) -> dict[str, Any] | None:
        """metrics.k8s.io/v1beta1 PodMetrics for a running pod, else None."""
        return self.kubelet.metrics(namespace, pod_name)

    def trigger_cronjob(self, namespace: str, name: str, *, scheduled: datetime | None = None) -> str:
        """Create the CronJob's Job for now (or `scheduled`), as the controller does at a schedule time."""
        return self._on_loop(lambda: self.cronjobs.trigger(namespace, name, scheduled=scheduled))

    def _on_loop(self, fn: Callable[[], str]) -> str:
        if not self._running or threading.current_thread() is self._loop.thread:
            return fn()
        future: Future[str] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as error:  # noqa: BLE001  handed to the caller's future, raised there
                future.set_exception(error)

        self._loop.post(run)
        return future.result(timeout=30)

    # -- dispatch ------------------------------------------------------------------------------------------

    def _on_event(self, event: WatchEvent) -> None:
        if self._running:
            self._loop.post(lambda: self._dispatch(event))

    def _dispatch(self, event: WatchEvent) -> None:
        if event.resource == "pods":
            self.kubelet.on_pod(event)
            self.jobs.on_pod(event)
        elif event.resource == "jobs":
            self.jobs.on_job(event)
            self.cronjobs.on_job(event)
        elif event.resource == "cronjobs":
            self.cronjobs.on_cronjob(event)
        if event.type == "DELETED" and event.resource in ("cronjobs", "jobs", "pods", "namespaces"):
            gc.collect(self.store, self.logs, event.resource, event.object)

    def _resync(self) -> None:
        for pod in self.store.list("pods")[0]:
            self.kubelet.on_pod(WatchEvent("pods", "ADDED", pod, 0))
        for job in self.store.list("jobs")[0]:
            self.jobs.on_job(WatchEvent("jobs", "ADDED", job, 0))
        for cronjob in self.store.list("cronjobs")[0]:
            self.cronjobs.on_cronjob(WatchEvent("cronjobs", "ADDED", cronjob, 0))

    def _sweep(self) -> None:
        try:
            gc.sweep(self.store, self.logs)
        finally:
            if self._running:
                self._loop.call_later(5.0, self._sweep)
