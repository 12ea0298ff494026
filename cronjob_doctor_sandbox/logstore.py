"""Container logs as the kubelet keeps them: one buffer per container instance, lines with their timestamps.

The kubelet keeps the current and the previous instance of each container (restartCount n and n-1); older
instances and the logs of deleted pods are gone, as on a real node. Readers can follow a live buffer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

Line = tuple[str, str]
"""(timestamp, text): the timestamp as the kubelet prints it, fixed-width RFC3339Nano in UTC, rendered once
when the line is written (as the runtime's log file holds it), so serving a line is only joining strings."""


@dataclass
class _Instance:
    lines: list[Line] = field(default_factory=list)
    finished: bool = False


class NoSuchLog(Exception):
    """The container (or its previous instance) has no log; the server answers 400 as the kubelet does."""


def rfc3339nano(moment: datetime) -> str:
    """The kubelet's timestamp format (RFC3339NanoFixed): RFC 3339 with nine fraction digits, always, in UTC,
    e.g. 2026-11-25T00:11:46.123456789Z. Fixed width, so these strings sort in time order."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


class LogStore:
    """Thread-safe log buffers keyed by (namespace, pod, container); index 0 = current, 1 = previous."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._logs: dict[tuple[str, str, str], list[_Instance]] = {}
        self.closed = False

    def start_instance(self, namespace: str, pod: str, container: str) -> None:
        """A container (re)started: the current log becomes the previous one; older ones are dropped."""
        with self._cond:
            instances = self._logs.setdefault((namespace, pod, container), [])
            for instance in instances:
                instance.finished = True
            instances.insert(0, _Instance())
            del instances[2:]
            self._cond.notify_all()

    def append(self, namespace: str, pod: str, container: str, line: str, when: datetime | None = None) -> None:
        with self._cond:
            instances = self._logs.get((namespace, pod, container))
            if not instances:
                raise NoSuchLog(f"container {container} in pod {pod} has not started")
            instances[0].lines.append((rfc3339nano(when or datetime.now(timezone.utc)), line))
            self._cond.notify_all()

    def finish(self, namespace: str, pod: str, container: str) -> None:
        """The current instance terminated: followers reach the end of its stream."""
        with self._cond:
            instances = self._logs.get((namespace, pod, container))
            if instances:
                instances[0].finished = True
            self._cond.notify_all()

    def forget_pod(self, namespace: str, pod: str) -> None:
        """A deleted pod's logs are gone; followers of it end."""
        with self._cond:
            for key in [k for k in self._logs if k[0] == namespace and k[1] == pod]:
                for instance in self._logs.pop(key):
                    instance.finished = True
            self._cond.notify_all()

    def has(self, namespace: str, pod: str, container: str, *, previous: bool = False) -> bool:
        with self._cond:
            instances = self._logs.get((namespace, pod, container), [])
            return len(instances) > (1 if previous else 0)

    def written(self, namespace: str, pod: str, container: str, *, previous: bool = False) -> list[str]:
        """Every line the container instance wrote, without timestamps (tests compare captures against it)."""
        with self._cond:
            instances = self._logs.get((namespace, pod, container), [])
            index = 1 if previous else 0
            return [line for _, line in instances[index].lines] if len(instances) > index else []

    def read_batches(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        previous: bool = False,
        follow: bool = False,
        since: datetime | None = None,
        tail: int | None = None,
        poll: float = 0.5,
    ) -> Iterator[list[Line]]:
        """The (timestamp, text) lines of the instance from `since` (or the last `tail`), as the non-empty lists
        available at each wake-up, so the server can send them in one chunk instead of one chunk (and one system
        call) per line; with `follow`, waits for new lines until the instance finishes. NoSuchLog is raised on
        the first next()."""
        with self._cond:
            instances = self._logs.get((namespace, pod, container))
            index = 1 if previous else 0
            if not instances or len(instances) <= index:
                raise NoSuchLog(
                    f'previous terminated container "{container}" in pod "{pod}" not found'
                    if previous
                    else f'container "{container}" in pod "{pod}" is waiting to start'
                )
            instance = instances[index]
            lines = instance.lines
            start = 0
            if since is not None:
                floor = rfc3339nano(since)
                while start < len(lines) and lines[start][0] < floor:
                    start += 1
            if tail is not None:
                start = max(start, len(lines) - tail)
        position = start
        while True:
            with self._cond:
                chunk = lines[position:]
                position += len(chunk)
                done = instance.finished or self.closed
            if chunk:
                yield chunk
            if not follow or (done and position >= len(lines)):
                return
            with self._cond:
                if position >= len(lines) and not instance.finished and not self.closed:
                    self._cond.wait(timeout=poll)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()
