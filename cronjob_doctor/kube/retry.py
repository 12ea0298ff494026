"""The one retry layer for API calls (tenacity): 429, 500/502/503/504 and connection errors, bounded by attempts
and total time. urllib3's own retries are off (see config.py), so nothing retries twice.

Only idempotent calls go through here (get, list, watch/log start, delete, SSAR, and a Job create made
idempotent by its run-id label); the policy does not map errors, callers do that after it gives up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from cronjob_doctor.kube.errors import api_status, is_connection_error

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry a failing idempotent call; tests use RetryPolicy(3, 2, 0, 0) to run without sleeping."""

    attempts: int = 5
    """Attempts in total (1 = no retry)."""
    max_seconds: float = 30.0
    """No new attempt starts once this much time has passed since the first."""
    wait_initial: float = 0.2
    """First backoff in seconds; doubles each attempt (with jitter of the same size)."""
    wait_max: float = 5.0
    """Longest single wait, also the cap on a server's Retry-After."""


def is_retryable(exc: BaseException) -> bool:
    """A transient failure: throttled (429), a 5xx that usually passes, or the connection failed."""
    status = api_status(exc)
    if status is not None:
        return status in RETRYABLE_STATUSES
    return is_connection_error(exc)


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's Retry-After (seconds or an HTTP date) on a 429/503, else None."""
    if exc is None or api_status(exc) not in (429, 503):
        return None
    headers = getattr(exc, "headers", None)
    if not headers:
        return None
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


class _Wait(tenacity.wait.wait_base):
    """Retry-After when the server sent one (capped by wait_max), else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._backoff = tenacity.wait_exponential_jitter(
            multiplier=policy.wait_initial, max=policy.wait_max, jitter=policy.wait_initial
        )

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        hinted = retry_after_seconds(outcome.exception() if outcome is not None else None)
        if hinted is not None:
            return min(hinted, self._policy.wait_max)
        return min(float(self._backoff(retry_state)), self._policy.wait_max)


def retrying(policy: RetryPolicy, *, sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
    """A tenacity Retrying for one call; re-raises the last client exception when it gives up."""
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_retryable),
        stop=tenacity.stop_after_attempt(max(1, policy.attempts))
        | tenacity.stop_before_delay(policy.max_seconds),
        wait=_Wait(policy),
        sleep=sleep,
        reraise=True,
    )


def call(policy: RetryPolicy, fn: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run `fn` under the policy."""
    return retrying(policy, sleep=sleep)(fn)
