"""Fixtures for `record`: a sandbox client with fast retries, a recorder driven on a thread with a stop Event,
and a tap on the sandbox's kubelet logs that keeps every line a pod wrote, even after the pod is deleted."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor.record import flow as record
from cronjob_doctor.record.metrics import RecorderMetrics
from cronjob_doctor.record.model import RecordedRun
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

FAST_RETRY = RetryPolicy(attempts=3, max_seconds=2.0, wait_initial=0.05, wait_max=0.2)


@pytest.fixture
def kube(kubeconfig: str) -> Kube:
    """The real client against the sandbox, retrying quickly so outages surface within a test's time."""
    return Kube.connect(kubeconfig=kubeconfig, retry=FAST_RETRY)


def fast_settings(root: Path, **overrides: Any) -> record.RecordSettings:
    """Settings for tests: every loop interval short, so deletions and outages are noticed within a second."""
    values: dict[str, Any] = {"namespace": None, "root": root, "retry_initial": 0.2, "retry_max": 0.5,
                              "resync_seconds": 1.0, "heartbeat_seconds": 0.5, "grace_seconds": 5.0}
    values.update(overrides)
    return record.RecordSettings(**values)


def wait_for_watches(sandbox: Sandbox, since: int, *, alive: Callable[[], bool] = lambda: True) -> None:
    """Wait until a recorder started after request number `since` watches Jobs and CronJobs: it has listed
    them, and every later change reaches it. Stops waiting if `alive()` turns false (the recorder died)."""
    def watching() -> bool:
        arrived = sandbox.received[since:]
        return all(any(sandbox.watched(r) == resource for r in arrived) for resource in ("jobs", "cronjobs"))

    wait_until(lambda: watching() or not alive(), what="the recorder's watches of Jobs and CronJobs")


@dataclass
class Running:
    """A recorder on a thread: what it emitted and logged, and how to stop it."""

    stop: threading.Event
    thread: threading.Thread
    sandbox: Sandbox
    results: list[RecordedRun] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    outcome: list[record.RecordOutcome] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    metrics: RecorderMetrics = field(default_factory=RecorderMetrics)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[RecordedRun]:
        """Wait until `count` runs were emitted (generous deadline: CI machines are slow)."""
        with contextlib.suppress(AssertionError):  # said below, with what the recorder did
            wait_until(lambda: len(self.results) >= count or not self.thread.is_alive(), timeout=timeout,
                       what=f"{count} recorded run(s)")
        assert len(self.results) >= count, (self.results, self.logs, self.errors)
        return self.results

    def wait_for_resyncs(self, count: int = 2) -> None:
        """Wait until the recorder has listed the Jobs `count` more times from now (every `resync_seconds`). Its
        loop handles one resync before it starts the next, so at the second every Job in scope was looked at."""
        def listed() -> int:
            return len([r for r in self.sandbox.received[since:]
                        if r.method == "GET" and r.path.endswith("/jobs") and self.sandbox.watched(r) is None])

        since = len(self.sandbox.received)
        wait_until(lambda: listed() >= count or not self.thread.is_alive(), what=f"{count} resyncs of the Jobs")

    def finish(self, timeout: float = 30.0) -> record.RecordOutcome:
        self.stop.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive()
        assert not self.errors, self.errors
        return self.outcome[0]


@pytest.fixture
def start_recorder() -> Iterator[Callable[..., Running]]:
    """Start `record.run` on a thread; every recorder started is stopped at the end of the test."""
    started: list[Running] = []

    def start(settings: record.RecordSettings, kube: Kube, sandbox: Sandbox, *,
              environ: dict[str, str] | None = None) -> Running:
        """Start a recorder with `kube` on `sandbox`; return once it watches (a run triggered now is seen)."""
        stop = threading.Event()
        running = Running(stop=stop, thread=threading.Thread(), sandbox=sandbox)
        since = len(sandbox.received)

        def body() -> None:
            try:
                running.outcome.append(record.run(settings, kube=kube, emit=running.results.append,
                                                  log=running.logs.append, stop=stop, environ=environ or {},
                                                  metrics=running.metrics))
            except BaseException as exc:  # noqa: BLE001 - surfaced by finish()
                running.errors.append(exc)

        running.thread = threading.Thread(target=body, daemon=True)
        running.thread.start()
        started.append(running)
        wait_for_watches(sandbox, since, alive=running.thread.is_alive)
        return running

    yield start
    for running in started:
        running.stop.set()
        running.thread.join(30)


class LogTap:
    """Every line each container instance wrote, kept when the kubelet forgets a deleted pod's logs.

    Instances are keyed by restartCount; each pod event takes a snapshot of the current and previous logs (the
    listener runs before the garbage collector removes a deleted pod's logs)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.lines: dict[tuple[str, str, str], dict[int, list[str]]] = {}
        sandbox.store.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        if event.resource != "pods":
            return
        pod = event.object
        namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            container, restarts = status["name"], int(status.get("restartCount") or 0)
            per = self.lines.setdefault((namespace, name, container), {})
            current = self.sandbox.logs.written(namespace, name, container)
            previous = self.sandbox.logs.written(namespace, name, container, previous=True)
            for index, lines in ((restarts, current), (restarts - 1, previous)):
                if index >= 0 and len(lines) > len(per.get(index, [])):
                    per[index] = list(lines)

    def all_lines(self, namespace: str, pod: str, container: str) -> list[str]:
        """Every instance's lines, oldest instance first."""
        per = self.lines.get((namespace, pod, container), {})
        return [line for index in sorted(per) for line in per[index]]
