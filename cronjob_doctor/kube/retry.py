"""The one retry layer for API calls (tenacity): 429, 500/502/503/504 and connection errors, bounded by attempts
and total time. urllib3's own retries are off (see config.py), so nothing retries twice. A connection refused
(or a server name that does not resolve) before the cluster ever answered is not retried: it is reported at
once, as kubectl does; once the cluster has answered, the same failure is an outage worth riding out.

Only idempotent calls go through here (get, list, watch/log start, delete, SSAR, and a Job create made
idempotent by its run-id label); the policy does not map errors, callers do that after it gives up.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity
import urllib3.exceptions

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


def is_refused_connect(exc: BaseException) -> bool:
    """No connection could be made at all: refused, or the server's name does not resolve. Before the cluster
    ever answered, that is a wrong context or a cluster that is down, not a blip: kubectl says so at once."""
    inner: BaseException | None = exc
    while isinstance(inner, urllib3.exceptions.MaxRetryError):
        inner = inner.reason
    if isinstance(inner, urllib3.exceptions.NameResolutionError):
        return True
    if isinstance(inner, urllib3.exceptions.NewConnectionError):
        cause: BaseException | None = inner
        while cause is not None:
            if isinstance(cause, (ConnectionRefusedError, socket.gaierror)):
                return True
            cause = cause.__cause__ or cause.__context__
        return "refused" in str(inner).lower()
    return isinstance(inner, ConnectionRefusedError)


def describe_retry(retry_state: tenacity.RetryCallState, policy: RetryPolicy) -> str:
    """`503 Service Unavailable; attempt 2 of 5 in 0.4s`: what failed and when the next try is."""
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    status = api_status(exc) if exc is not None else None
    if status is not None:
        what = f"{status} {getattr(exc, 'reason', '') or ''}".strip()
    else:
        what = "connection failed" if exc is not None else "failed"
    wait = retry_state.next_action.sleep if retry_state.next_action is not None else 0.0
    return f"{what}; attempt {retry_state.attempt_number + 1} of {policy.attempts} in {wait:.1f}s"


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


def retrying(
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    give_up: Callable[[BaseException], bool] | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity Retrying for one call; re-raises the last client exception when it gives up. `give_up`: a
    failure not to retry although it would be (a refused first connect); `on_retry`: told before each wait."""

    def retryable(exc: BaseException) -> bool:
        return is_retryable(exc) and not (give_up is not None and give_up(exc))

    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        if on_retry is not None:
            on_retry(describe_retry(retry_state, policy))

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(retryable),
        stop=tenacity.stop_after_attempt(max(1, policy.attempts))
        | tenacity.stop_before_delay(policy.max_seconds),
        wait=_Wait(policy),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


def call(
    policy: RetryPolicy,
    fn: Callable[[], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
    give_up: Callable[[BaseException], bool] | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> T:
    """Run `fn` under the policy."""
    return retrying(policy, sleep=sleep, give_up=give_up, on_retry=on_retry)(fn)
