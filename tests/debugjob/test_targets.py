"""Log stream targets from pod events (pure)."""

from __future__ import annotations

from typing import Any

from cronjob_doctor.capture.targets import StreamTarget, TargetTracker


def status(name: str, *, state: dict[str, Any] | None = None, last: str | None = None) -> dict[str, Any]:
    """A ContainerStatus as the API sends it: containerID beside the state (running carries only startedAt)."""
    out: dict[str, Any] = {"name": name, "state": state or {"waiting": {"reason": "ContainerCreating"}}}
    running = (state or {}).get("running")
    if running is not None and "containerID" in running:
        out["containerID"] = running.pop("containerID")
    if last:
        out["lastState"] = {"terminated": {"containerID": last, "reason": "OOMKilled", "exitCode": 137}}
    return out


def pod(*statuses: dict[str, Any], init: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {
        "metadata": {"name": "p1"},
        "status": {"containerStatuses": list(statuses), "initContainerStatuses": list(init)},
    }


def test_waiting_container_needs_no_stream_yet() -> None:
    assert TargetTracker().update(pod(status("backup"))) == []


def test_running_container_is_streamed_once() -> None:
    tracker = TargetTracker()
    running = pod(status("backup", state={"running": {"containerID": "containerd://a"}}))
    assert tracker.update(running) == [StreamTarget("p1", "backup", "containerd://a", previous=False)]
    assert tracker.update(running) == []
    terminated = pod(status("backup", state={"terminated": {"containerID": "containerd://a", "exitCode": 0}}))
    assert tracker.update(terminated) == []


def test_restart_seen_late_fetches_the_previous_log_and_follows_the_new_instance() -> None:
    tracker = TargetTracker()
    tracker.update(pod(status("backup", state={"running": {"containerID": "containerd://a"}})))
    restarted = pod(status("backup", state={"running": {"containerID": "containerd://b"}}, last="containerd://a"))
    assert tracker.update(restarted) == [StreamTarget("p1", "backup", "containerd://b", previous=False)]
    # Missed an instance entirely: it only survives as the previous log.
    again = pod(status("backup", state={"running": {"containerID": "containerd://d"}}, last="containerd://c"))
    assert tracker.update(again) == [
        StreamTarget("p1", "backup", "containerd://c", previous=True),
        StreamTarget("p1", "backup", "containerd://d", previous=False),
    ]


def test_the_running_id_is_read_from_the_container_status_not_the_state() -> None:
    p = pod({"name": "backup", "containerID": "containerd://r", "state": {"running": {"startedAt": "t"}}})
    assert TargetTracker().update(p) == [StreamTarget("p1", "backup", "containerd://r", previous=False)]


def test_a_waiting_container_in_back_off_is_not_streamed_again() -> None:
    tracker = TargetTracker()
    tracker.update(pod(status("backup", state={"running": {"containerID": "containerd://a"}})))
    backoff = pod(
        {
            "name": "backup",
            "containerID": "containerd://a",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"containerID": "containerd://a"}},
        }
    )
    assert tracker.update(backoff) == []


def test_init_containers_come_first_and_filter_applies() -> None:
    tracker = TargetTracker(only={"fetch"})
    p = pod(
        status("backup", state={"running": {"containerID": "containerd://m"}}),
        init=(status("fetch", state={"terminated": {"containerID": "containerd://i", "exitCode": 0}}),),
    )
    assert tracker.update(p) == [StreamTarget("p1", "fetch", "containerd://i", previous=False, init=True)]
