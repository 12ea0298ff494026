"""Log stream targets from pod events (pure)."""

from __future__ import annotations

from typing import Any

from cronjob_doctor.capture.targets import StreamTarget, TargetTracker
from tests import builders
from tests.builders import container, running, terminated, waiting


def pod(*containers: dict[str, Any]) -> dict[str, Any]:
    return builders.pod(*containers, name="p1", phase="Running")


def oom(container_id: str) -> dict[str, Any]:
    """The lastState of an instance the kernel killed."""
    return terminated(reason="OOMKilled", exit_code=137, container_id=container_id)


def test_waiting_container_needs_no_stream_yet() -> None:
    assert TargetTracker().update(pod(container("backup", waiting("ContainerCreating")))) == []


def test_running_container_is_streamed_once() -> None:
    tracker = TargetTracker()
    running_a = pod(container("backup", running(), container_id="containerd://a"))
    assert tracker.update(running_a) == [StreamTarget("p1", "backup", "containerd://a", previous=False)]
    assert tracker.update(running_a) == []
    ended = pod(container("backup", terminated(reason="Completed", exit_code=0, container_id="containerd://a")))
    assert tracker.update(ended) == []


def test_restart_seen_late_fetches_the_previous_log_and_follows_the_new_instance() -> None:
    tracker = TargetTracker()
    tracker.update(pod(container("backup", running(), container_id="containerd://a")))
    restarted = pod(container("backup", running(), container_id="containerd://b", last=oom("containerd://a")))
    assert tracker.update(restarted) == [StreamTarget("p1", "backup", "containerd://b", previous=False)]
    # Missed an instance entirely: it only survives as the previous log.
    again = pod(container("backup", running(), container_id="containerd://d", last=oom("containerd://c")))
    assert tracker.update(again) == [
        StreamTarget("p1", "backup", "containerd://c", previous=True),
        StreamTarget("p1", "backup", "containerd://d", previous=False),
    ]


def test_the_running_id_is_read_from_the_container_status_not_the_state() -> None:
    p = pod(container("backup", running("t"), container_id="containerd://r"))
    assert TargetTracker().update(p) == [StreamTarget("p1", "backup", "containerd://r", previous=False)]


def test_a_waiting_container_in_back_off_is_not_streamed_again() -> None:
    tracker = TargetTracker()
    tracker.update(pod(container("backup", running(), container_id="containerd://a")))
    backoff = pod(container("backup", waiting("CrashLoopBackOff"), container_id="containerd://a",
                            last=terminated(container_id="containerd://a")))
    assert tracker.update(backoff) == []


def test_init_containers_come_first_and_filter_applies() -> None:
    tracker = TargetTracker(only={"fetch"})
    p = pod(
        container("backup", running(), container_id="containerd://m"),
        container("fetch", terminated(reason="Completed", exit_code=0, container_id="containerd://i"), init=True),
    )
    assert tracker.update(p) == [StreamTarget("p1", "fetch", "containerd://i", previous=False, init=True)]
