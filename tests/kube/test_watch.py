"""Watches over real HTTP against the sandbox: list then watch, resume after cuts and timeouts, relist on 410."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

from cronjob_doctor.errors import Unreachable
from cronjob_doctor.kube import watch as watch_module
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.kube.watch import watch
from cronjob_doctor_sandbox import Sandbox
from tests.builders import NS, job, pod
from tests.waiting import wait_until

Event = tuple[str, str]


class Collector:
    """Runs a watch in a thread and hands its events over a queue."""

    def __init__(self, kube: Kube, kind: str = "jobs", **kwargs: Any) -> None:
        self.stop = threading.Event()
        self.events: queue.Queue[Event] = queue.Queue()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(kube, kind, kwargs), daemon=True)
        self._thread.start()

    def _run(self, kube: Kube, kind: str, kwargs: dict[str, Any]) -> None:
        try:
            for kind_of_event, obj in watch(kube, kind, NS, stop=self.stop, **kwargs):
                self.events.put((kind_of_event, obj["metadata"]["name"]))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def take(self, n: int, timeout: float = 10) -> list[Event]:
        return [self.events.get(timeout=timeout) for _ in range(n)]

    def finish(self, timeout: float = 3) -> float:
        started = time.monotonic()
        self.stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive()
        return time.monotonic() - started


@pytest.fixture
def short_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """One-second watch requests, so resumes after a server-side timeout happen within the test."""
    monkeypatch.setattr(watch_module, "WATCH_WINDOW_SECONDS", 1)


def test_lists_first_then_streams_changes(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("a"))
    bare.store.create("jobs", job("b"))
    listed_at = str(bare.store.resource_version)
    collector = Collector(kube)
    assert sorted(collector.take(2)) == [("ADDED", "a"), ("ADDED", "b")]
    bare.store.create("jobs", job("c"))
    bare.store.mutate("jobs", NS, "a", lambda obj: obj.setdefault("status", {}).update(active=1))
    bare.store.delete("jobs", NS, "b")
    assert collector.take(3) == [("ADDED", "c"), ("MODIFIED", "a"), ("DELETED", "b")]
    collector.finish()
    assert collector.error is None
    watches = [r for r in bare.requests if r.query.get("watch") == "true"]
    assert watches[0].query["resourceVersion"] == listed_at  # the list's version
    assert watches[0].query["allowWatchBookmarks"] == "true"


def watching(sandbox: Sandbox, resource: str = "jobs") -> None:
    """Wait until a watch of `resource` is open: from then on every change reaches the collector by the watch."""
    wait_until(lambda: sandbox.open_watches(resource), timeout=10, what=f"a watch of {resource}")


def test_stop_is_honoured_within_a_second(kube: Kube, bare: Sandbox) -> None:
    collector = Collector(kube)
    watching(bare)  # the watch request is open and idle
    assert collector.finish() < 1.0
    assert collector.error is None


def test_cut_streams_resume_without_loss_or_duplicates(kube: Kube, bare: Sandbox) -> None:
    bare.faults.cut_watches_after(2)  # every watch stream is cut after two events
    collector = Collector(kube)
    watching(bare)  # the jobs come by the watch, not by its list
    for index in range(7):
        bare.store.create("jobs", job(f"j{index}"))
    assert collector.take(7) == [("ADDED", f"j{index}") for index in range(7)]
    # A resume from a stale version would resend some of them before the next change: the next one comes first.
    bare.store.create("jobs", job("last"))
    assert collector.take(1) == [("ADDED", "last")]
    collector.finish()
    assert collector.error is None
    assert bare.faults.cuts >= 2


def test_server_side_timeout_resumes_from_the_last_version(
    kube: Kube, bare: Sandbox, short_windows: None
) -> None:
    collector = Collector(kube)
    wait_until(lambda: len([r for r in bare.received if r.query.get("watch") == "true"]) >= 3, timeout=15,
               what="two one-second watch requests ended cleanly and a third opened")
    bare.store.create("jobs", job("late"))
    assert collector.take(1) == [("ADDED", "late")]
    collector.finish()
    watches = [r for r in bare.requests if r.query.get("watch") == "true"]
    assert len(watches) >= 3 and all(w.query["timeoutSeconds"] == "1" for w in watches)


def test_bookmarks_advance_the_version_without_events(
    kube: Kube, bare: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a real apiserver sends a BOOKMARK about 2 s before timeoutSeconds, once the resourceVersion moved
    monkeypatch.setattr(watch_module, "WATCH_WINDOW_SECONDS", 3)
    collector = Collector(kube)
    watching(bare)
    bare.store.create("pods", pod(name="p"))

    def versions() -> list[int]:
        return [int(r.query["resourceVersion"]) for r in bare.received if r.query.get("watch") == "true"]

    # A bookmark carries the pod's version to the job watch; the next request (after 3 s) resumes from it.
    wait_until(lambda: versions()[-1] == 2, timeout=15, what="a job watch resumed from the pod's version")
    collector.finish()
    assert collector.events.empty()
    assert versions()[0] == 1


def test_410_error_event_relists_and_reports_what_changed(kube: Kube, bare: Sandbox) -> None:
    for name in ("a", "b", "c"):
        bare.store.create("jobs", job(name))
    events = watch(kube, "jobs", NS, stop=threading.Event())
    assert [next(events)[0] for _ in range(3)] == ["ADDED"] * 3  # from the initial list, before any watch
    bare.faults.gone_once()  # the coming watch request gets an ERROR event with code 410
    bare.store.delete("jobs", NS, "b")
    bare.store.mutate("jobs", NS, "a", lambda obj: obj.setdefault("status", {}).update(failed=1))
    bare.store.create("jobs", job("d"))
    relisted = sorted((kind, obj["metadata"]["name"]) for kind, obj in (next(events) for _ in range(3)))
    assert relisted == [("ADDED", "d"), ("DELETED", "b"), ("MODIFIED", "a")]
    events.close()
    lists = [r for r in bare.requests if r.path.endswith("/jobs") and r.query.get("watch") != "true"]
    assert len(lists) == 2


def test_http_410_on_watch_start_relists(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("a"))
    events = watch(kube, "jobs", NS, stop=threading.Event())
    assert next(events)[0] == "ADDED"
    bare.faults.fail_next(1, status=410)
    bare.store.delete("jobs", NS, "a")
    kind, obj = next(events)
    assert (kind, obj["metadata"]["name"]) == ("DELETED", "a")
    events.close()


def test_resource_version_given_skips_the_list(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("old"))
    version = str(bare.store.resource_version)
    events = watch(kube, "jobs", NS, resource_version=version, stop=threading.Event())
    bare.store.create("jobs", job("new"))
    kind, obj = next(events)
    assert (kind, obj["metadata"]["name"]) == ("ADDED", "new")
    events.close()
    assert not [r for r in bare.requests if r.query.get("watch") != "true" and r.path.endswith("/jobs")]


def test_timeout_seconds_ends_the_watch(kube: Kube, bare: Sandbox) -> None:
    started = time.monotonic()
    assert list(watch(kube, "jobs", NS, timeout_seconds=1.2)) == []
    assert time.monotonic() - started < 3


def test_label_selector_filters(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("jobs", job("mine", job_labels={"job-name": "x"}))
    bare.store.create("jobs", job("other"))
    events: Generator[tuple[str, dict[str, Any]], None, None] = watch(
        kube, "jobs", NS, label_selector="job-name=x", stop=threading.Event()
    )
    assert next(events)[1]["metadata"]["name"] == "mine"
    bare.store.create("jobs", job("mine-too", job_labels={"job-name": "x"}))
    bare.store.create("jobs", job("not-mine"))
    assert next(events)[1]["metadata"]["name"] == "mine-too"
    events.close()


def test_a_cluster_that_stays_down_raises_unreachable(kube: Kube, bare: Sandbox) -> None:
    collector = Collector(kube)
    watching(bare)
    bare.faults.down()
    wait_until(lambda: collector.error is not None, what="the watch to give up")
    assert isinstance(collector.error, Unreachable)
    assert "cannot reach the cluster" in str(collector.error)


def test_a_short_outage_is_survived(kube: Kube, bare: Sandbox) -> None:
    collector = Collector(kube)
    watching(bare)
    bare.faults.down()
    bare.faults.up()
    bare.store.create("jobs", job("after"))
    assert collector.take(1) == [("ADDED", "after")]
    collector.finish()
    assert collector.error is None
