"""Waiting on state, never on the clock: a test names the condition it needs and how long it may take on a
loaded machine; a slow run waits longer, a fast one does not wait at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], *, timeout: float = 30.0, what: str = "the condition", interval: float = 0.02
) -> T:
    """Poll `condition` every `interval` seconds until it returns something truthy, and return that; fail the
    test after `timeout`. The one wait of the suite: the objects in the sandbox's store, the requests it
    received (`Sandbox.received`, `open_watches`), files on disk, a thread's output. A real API server is
    polled at a gentler `interval`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
