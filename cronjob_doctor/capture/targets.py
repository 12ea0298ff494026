"""Which container instances need a log stream, decided from pod events alone (pure; stern's target.go idea).

A new container ID is a new instance: stream it. An instance that already ended before we saw it running (it
restarted between two pod events) is fetched once as the `previous` log. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cronjob_doctor.k8s.pods import container_statuses


@dataclass(frozen=True)
class StreamTarget:
    """One container instance whose log must reach the bundle."""

    pod: str
    container: str
    container_id: str
    previous: bool
    """True: fetch the previous instance's log once (it already terminated); False: follow the current one."""
    init: bool = False


def _current_id(status: dict[str, Any]) -> str | None:
    """The running or terminated instance's ID. ContainerStatus.containerID names the current instance; the
    running state carries only startedAt, the terminated state repeats the ID. A waiting container (created, not
    started, or in back-off) has nothing to stream yet."""
    state = status.get("state") or {}
    if "running" in state:
        cid = status.get("containerID")
        return str(cid) if cid else None
    cid = (state.get("terminated") or {}).get("containerID") or (
        status.get("containerID") if "terminated" in state else None
    )
    return str(cid) if cid else None


@dataclass
class TargetTracker:
    """Remembers which instances already have a stream and answers, per pod event, what to start."""

    only: set[str] | None = None
    """Container names to follow (None: all)."""
    _seen: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def update(self, pod: dict[str, Any]) -> list[StreamTarget]:
        """Stream targets newly visible in this pod state (call for every ADDED/MODIFIED pod event)."""
        name = str((pod.get("metadata") or {}).get("name", ""))
        targets: list[StreamTarget] = []
        for status, init in container_statuses(pod):
            container = str(status.get("name", ""))
            if self.only is not None and container not in self.only:
                continue
            seen = self._seen.setdefault((name, container), set())
            previous_id = ((status.get("lastState") or {}).get("terminated") or {}).get("containerID")
            current_id = _current_id(status)
            # The previous instance restarted before we ever followed it: its log survives once, as `previous`.
            if previous_id and previous_id not in seen and previous_id != current_id:
                seen.add(str(previous_id))
                targets.append(StreamTarget(name, container, str(previous_id), previous=True, init=init))
            if current_id and current_id not in seen:
                seen.add(current_id)
                targets.append(StreamTarget(name, container, current_id, previous=False, init=init))
        return targets
