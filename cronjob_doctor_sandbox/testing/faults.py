"""Fault injection for the sandbox's API server: failing responses, cut streams, expired watches, outages.

All faults are off by default and set at runtime by tests; the server asks this object at each decision point.
It never touches sockets itself, except through the `down`/`up` callbacks the server registers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Failure:
    remaining: int
    status: int
    retry_after: int | None
    path_contains: str | None
    method: str | None


class Faults:
    """Counters and switches the request handlers consult; every method is safe to call from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self.watch_cut_after: int | None = None
        self.watch_cut_once = False
        self.log_cut_after: int | None = None
        self.log_cut_once = True
        self.log_end_after: int | None = None
        self.log_end_once = True
        self._gone = False
        self._down: Callable[[], None] | None = None
        self._up: Callable[[], None] | None = None
        self.cuts = 0
        """Streams cut (dropped) by a fault so far."""
        self.ends = 0
        """Log streams ended cleanly by a fault so far."""

    def fail_next(self, n: int = 1, status: int = 500, retry_after: int | None = None,
                  path_contains: str | None = None, method: str | None = None) -> None:
        """The next `n` matching requests answer `status` (a Status body, Retry-After if given)."""
        with self._lock:
            self._failures.append(_Failure(n, status, retry_after, path_contains, method))

    def take_failure(self, method: str, path: str) -> tuple[int, int | None] | None:
        with self._lock:
            for failure in self._failures:
                if failure.path_contains is not None and failure.path_contains not in path:
                    continue
                if failure.method is not None and failure.method.upper() != method:
                    continue
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure.status, failure.retry_after
            return None

    def cut_watches_after(self, n_events: int | None, *, once: bool = False) -> None:
        """Close every watch stream (or only the next one) abruptly after it sent `n_events` events."""
        with self._lock:
            self.watch_cut_after, self.watch_cut_once = n_events, once

    def cut_logs_after(self, n_lines: int | None, *, once: bool = True) -> None:
        """Close the next log stream (or every one) abruptly after `n_lines` lines."""
        with self._lock:
            self.log_cut_after, self.log_cut_once = n_lines, once

    def end_logs_after(self, n_lines: int | None, *, once: bool = True) -> None:
        """End the next log stream (or every one) cleanly after `n_lines` lines, with the final chunk of a
        chunked body, while the container may still run: what a proxy's or load balancer's idle timeout, or an
        API server shutting down gracefully, does. The client sees a normal end of the body, not an error."""
        with self._lock:
            self.log_end_after, self.log_end_once = n_lines, once

    def watch_cut_point(self) -> int | None:
        with self._lock:
            limit = self.watch_cut_after
            if limit is not None and self.watch_cut_once:
                self.watch_cut_after = None
            return limit

    def log_cut_point(self) -> int | None:
        with self._lock:
            limit = self.log_cut_after
            if limit is not None and self.log_cut_once:
                self.log_cut_after = None
            return limit

    def log_end_point(self) -> int | None:
        with self._lock:
            limit = self.log_end_after
            if limit is not None and self.log_end_once:
                self.log_end_after = None
            return limit

    def gone_once(self) -> None:
        """The next watch that names a resourceVersion gets a 410 Expired ERROR event, then ends."""
        with self._lock:
            self._gone = True

    def take_gone(self) -> bool:
        with self._lock:
            gone, self._gone = self._gone, False
            return gone

    def register(self, down: Callable[[], None], up: Callable[[], None]) -> None:
        self._down, self._up = down, up

    def down(self) -> None:
        """Stop listening and reset open connections: clients see connection refused."""
        if self._down is not None:
            self._down()

    def up(self) -> None:
        """Listen again on the same port."""
        if self._up is not None:
            self._up()

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self.watch_cut_after = self.log_cut_after = self.log_end_after = None
            self._gone = False
