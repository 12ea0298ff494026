"""Container log streams that lose and double nothing: read with timestamps=true, and after a drop resume from
the last second seen, skipping the lines of that second already yielded (`LogCursor`, pure).

Whether a stream is finished is decided from the pod's container status, not from the stream ending. Yields
lines; never writes files or to the terminal (capture/ does).
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Generator
from itertools import repeat
from typing import Any, NamedTuple

import urllib3
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from cronjob_doctor.errors import ClusterError, DoctorError, NotFound
from cronjob_doctor.k8s.pods import container_state
from cronjob_doctor.kube.client import CONNECT_TIMEOUT, RESOURCES, Kube, closing_on_stop, iter_line_batches
from cronjob_doctor.kube.errors import (
    Call,
    ContainerWaiting,
    NoPreviousLog,
    api_status,
    is_connection_error,
    status_body,
)

Obj = dict[str, Any]

HEADER_WAIT_SECONDS = 1.0
"""How long a followed stream may stay without its first byte before `stop` is checked and it is reopened."""
IDLE_READ_TIMEOUT_SECONDS = 300.0
"""A followed stream silent this long is presumed dead and resumed (a live one costs one reopen)."""
READ_TIMEOUT_SECONDS = 60.0
"""Read timeout of one-shot (non-follow) log reads."""


class LogChunk(NamedTuple):
    """One log line without its newline, and the kubelet's RFC3339Nano timestamp split off it."""

    timestamp: str
    text: str


def split_line(raw: bytes) -> LogChunk:
    """`2026-11-25T00:11:46.123456789Z hello` -> LogChunk(timestamp, "hello")."""
    line = raw.decode("utf-8", errors="replace")
    line = line.removesuffix("\r")
    timestamp, _, text = line.partition(" ")
    return LogChunk(timestamp, text)


def split_lines(raws: list[bytes]) -> list[LogChunk]:
    """`split_line` for the lines of one read: decoded in one call (the lines are whole, so no character is
    split), then cut at the first space."""
    if not raws:
        return []
    text = b"\n".join(raws).decode("utf-8", errors="replace")
    if "\r" in text:
        return [split_line(raw) for raw in raws]
    return [LogChunk(timestamp, rest) for timestamp, _, rest in map(str.partition, text.split("\n"), repeat(" "))]


def timestamp_key(timestamp: str) -> tuple[str, int]:
    """A sortable key for RFC3339Nano: the kubelet trims trailing zeros of the fraction ("...:01Z",
    "...:01.5Z"), so plain string order is wrong; compare (seconds, nanoseconds) instead."""
    stamp = timestamp.removesuffix("Z")
    seconds, _, fraction = stamp.partition(".")
    # the kubelet's fraction is all digits: skip the per-character filter (called for every log line)
    digits = fraction[:9] if fraction.isdigit() else "".join(ch for ch in fraction if ch.isdigit())[:9]
    return seconds, int(digits.ljust(9, "0")) if digits else 0


class LogCursor:
    """The resume bookkeeping of one log stream: the last timestamp yielded and how many lines carried it.

    After a drop the stream is reopened with sinceTime = that timestamp truncated to the second (the API only
    takes seconds); `admit` then skips the lines of the reopened stream that were yielded before: any older
    than the last timestamp, and the first `count` lines carrying exactly that timestamp."""

    def __init__(self) -> None:
        self.last: str | None = None
        """The last yielded line's timestamp."""
        self.count = 0
        """How many yielded lines carried `last`."""
        self._last_key: tuple[str, int] | None = None
        self._resuming = False
        self._repeats = 0

    def since_time(self) -> str | None:
        """sinceTime for the resumed stream: the last timestamp truncated to the second, or None."""
        if self.last is None or self._last_key is None:
            return None
        return f"{self._last_key[0]}Z"

    def reopen(self) -> None:
        """A new stream begins: from now on skip what was already yielded."""
        self._resuming = self.last is not None
        self._repeats = 0

    def admit(self, timestamp: str) -> bool:
        """Whether a line with this timestamp is new; records it if so."""
        key = timestamp_key(timestamp)
        if self._resuming and self._last_key is not None:
            if key < self._last_key:
                return False
            if key == self._last_key:
                self._repeats += 1
                if self._repeats <= self.count:
                    return False
            else:
                self._resuming = False
        if key == self._last_key:
            self.count += 1
        else:
            self._last_key, self.last, self.count = key, timestamp, 1
        return True

    def admit_batch(self, chunks: list[LogChunk]) -> list[LogChunk]:
        """`admit` for the lines of one read. Outside a resume every line is new, so only the trailing lines
        that share the last timestamp are looked at: a per-line timestamp parse was the largest cost of
        capturing a log of millions of short lines."""
        if self._resuming or not chunks:
            return [chunk for chunk in chunks if self.admit(chunk.timestamp)]
        last = chunks[-1].timestamp
        key = timestamp_key(last)
        same = 1
        while same < len(chunks) and timestamp_key(chunks[-1 - same].timestamp) == key:
            same += 1
        if same == len(chunks) and key == self._last_key:
            self.count += same
        else:
            self._last_key, self.last, self.count = key, last, same
        return chunks


def _terminated(pod: Obj, container: str) -> bool:
    return "terminated" in container_state(pod, container)


def _request(
    kube: Kube, namespace: str, pod: str, container: str, params: list[tuple[str, str]], read_timeout: float,
    *, previous: bool,
) -> urllib3.BaseHTTPResponse:
    """One GET of pods/log, the kubelet's 400s mapped to ContainerWaiting / NoPreviousLog."""
    path = RESOURCES["pods"].path(namespace, pod, "log")
    try:
        return kube.send("GET", path, query=params, timeout=(CONNECT_TIMEOUT, read_timeout), accept="*/*")
    except ApiException as exc:
        refined = _log_error(exc, namespace, pod, container, previous=previous)
        if refined is None:
            raise
        raise refined from exc


def _open(
    kube: Kube,
    namespace: str,
    pod: str,
    container: str,
    *,
    previous: bool,
    follow: bool,
    since_time: str | None,
) -> urllib3.BaseHTTPResponse | None:
    """Open the log stream (retried), mapping the kubelet's 400s to ContainerWaiting / NoPreviousLog.

    None when a followed stream sent nothing within HEADER_WAIT_SECONDS: the kubelet sends the response
    headers only with the first line, so a silent container would otherwise block us past `stop`."""
    call = Call("get", "pods", namespace, pod, subresource="log")
    params = [("container", container), ("timestamps", "true")]
    if follow:
        params.append(("follow", "true"))
    if previous:
        params.append(("previous", "true"))
    if since_time:
        params.append(("sinceTime", since_time))
    read_timeout = HEADER_WAIT_SECONDS if follow else READ_TIMEOUT_SECONDS

    def attempt() -> urllib3.BaseHTTPResponse | None:
        try:
            response = _request(kube, namespace, pod, container, params, read_timeout, previous=previous)
        except DoctorError:
            raise
        except Exception as exc:
            if follow and _is_read_timeout(exc):
                return None
            raise
        if follow:
            _set_read_timeout(response, IDLE_READ_TIMEOUT_SECONDS)
        return response

    return kube.retried(attempt, call)


def _is_read_timeout(exc: BaseException) -> bool:
    inner: BaseException | None = exc
    while isinstance(inner, urllib3.exceptions.MaxRetryError):
        inner = inner.reason
    return isinstance(inner, (urllib3.exceptions.ReadTimeoutError, socket.timeout))


def _set_read_timeout(response: urllib3.BaseHTTPResponse, seconds: float) -> None:
    """Lengthen the socket timeout once the headers are in: a quiet but live stream is not a failure."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _log_error(
    exc: BaseException, namespace: str, pod: str, container: str, *, previous: bool
) -> DoctorError | None:
    """The kubelet answers 400 both for "not started yet" and "no previous instance"; name which."""
    if not isinstance(exc, ApiException) or api_status(exc) != 400:
        return None
    message = str(status_body(exc).get("message") or "")
    if previous and "previous terminated container" in message:
        return NoPreviousLog(
            f"no previous log for container {container} in pod {namespace}/{pod}: {message}",
            hint="the container has not restarted, or its earlier instance was already cleaned up",
        )
    if "waiting to start" in message or "ContainerCreating" in message or "PodInitializing" in message:
        return ContainerWaiting(
            f"container {container} in pod {namespace}/{pod} has not started: {message}",
            hint=f"see why: kubectl -n {namespace} describe pod {pod}",
        )
    return None


class StreamEnd:
    """How a followed log ended, filled in by `follow_log_batches` for its caller: `complete` (the container
    terminated and its last line is read), `stopped` (`stop` was set first) or `pod-gone` (the pod was deleted
    before the end could be confirmed: what was read is all there is). With `pod-gone`, `behind` says whether
    the log was last seen to go on past the lines read (a stream had ended early and the rest was not read),
    or may have (`cut`)."""

    def __init__(self) -> None:
        self.state = "open"
        self.last: str | None = None
        """The timestamp of the last line read."""
        self.behind = False
        self.cut = False
        """A stream ended while the container still ran. What the container wrote after the last look at the
        log's end was read only if a later stream reached it, and after a restart in place the next instance's
        lines say nothing about the last one's end: a pod deleted before the end is confirmed may take lines
        with it, and the capture says so rather than guess (when a reopened stream did read everything, it says
        "may" about a complete log: the price of never claiming more than it has)."""
        self.log_end: str | None = None
        """The timestamp of the log's last line when last looked at (while `behind`)."""


class IncompleteLog(ClusterError):
    """The container has terminated but its log could not be read to its last line: every request for the
    rest was cut or ended early. The lines read are all correct; some after them are missing."""

    reason = ""
    """What was read and what is missing, without naming the container (the message names it)."""


def follow_log_batches(
    kube: Kube,
    namespace: str,
    pod: str,
    container: str,
    *,
    previous: bool = False,
    follow: bool = True,
    since_time: str | None = None,
    stop: threading.Event | None = None,
    poll_seconds: float = 1.0,
    end: StreamEnd | None = None,
    ended: threading.Event | None = None,
) -> Generator[list[LogChunk], None, None]:
    """A container's log lines until it has terminated and its log is read (or `stop` is set), as one non-empty
    list per network read: the lines that arrived together, so a capture can write, flush and hand them on once
    per read instead of once per line (a 1 GiB log is millions of lines).

    A stream that drops, or ends (a proxy's idle timeout ends it cleanly), before the container terminated is
    reopened from the last second seen, with the duplicate lines skipped. Once the container has terminated,
    a final read from the last second seen fetches what the stream missed, and the log's own last line
    (tailLines=1) confirms nothing is missing; if that cannot be confirmed within the retry budget,
    IncompleteLog. previous=True reads the previous instance once, then confirms it the same way.

    `ended`: set by a caller that learnt (from its pod watch) that the instance followed has terminated while
    its stream stays open. A kubelet ends the stream itself; a proxy in between, or a kubelet stand-in, may
    not: the stream is then closed and the final read above decides what is missing."""
    follow = follow and not previous
    cursor = LogCursor()
    call = Call("get", "pods", namespace, pod, subresource="log")
    end = end if end is not None else StreamEnd()
    failures = 0
    read_total = 0

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def pause() -> None:
        if stop is not None:
            stop.wait(poll_seconds)
        else:
            time.sleep(poll_seconds)

    def read(*, following: bool) -> Generator[list[LogChunk], None, tuple[bool, BaseException | None]]:
        """One request from the last second seen: yields the new lines; returns (progressed, dropped)."""
        response = _open(kube, namespace, pod, container, previous=previous, follow=following,
                         since_time=cursor.since_time() or since_time)
        if response is None:
            return False, None  # nothing written yet: look at `stop`, then ask again
        cursor.reopen()
        progressed = False
        try:
            with closing_on_stop(response, stop, also=ended if following else None):
                for raws in iter_line_batches(response):
                    admitted = cursor.admit_batch(split_lines(raws))
                    if admitted:
                        nonlocal read_total
                        read_total += len(admitted)
                        progressed = True
                        end.last = cursor.last
                        if end.log_end and timestamp_key(end.last or "") >= timestamp_key(end.log_end):
                            end.behind, end.log_end = False, None  # caught up with the end last seen
                        yield admitted
        except Exception as exc:
            if stopped():
                return progressed, None
            if not is_connection_error(exc):
                raise kube.fail(exc, call) from exc
            if _is_read_timeout(exc):
                return progressed, None  # silent for IDLE_READ_TIMEOUT_SECONDS: resume, it is not a failure
            return progressed, exc
        return progressed, None

    # 1. follow (or read once) until the container has terminated
    while not stopped():
        try:
            progressed, dropped = yield from read(following=follow)
        except ContainerWaiting:
            # the container is still being created or pulled; wait while the pod says so
            if _terminated(kube.get_pod(namespace, pod), container):
                raise
            pause()
            continue
        except NotFound:
            if previous or cursor.last is None:
                raise
            end.state, end.behind = "pod-gone", end.behind or end.cut  # deleted between two reads: its log
            return                                                    # went with it
        if stopped():
            break
        failures = 0 if progressed else failures + (1 if dropped is not None else 0)
        if not follow and (dropped is None or failures >= kube.retry_policy.attempts):
            break  # read once (or cut every time): the confirmation below says whether anything is missing
        if not follow:
            continue  # a one-shot read cut short: read the rest
        try:
            current = kube.get_pod(namespace, pod)
        except NotFound:
            end.state, end.behind = "pod-gone", end.behind or end.cut  # the pod (and its log) is gone
            return
        if _terminated(current, container):
            break
        if ended is not None and ended.is_set():
            end.state = "superseded"  # the instance followed ended and restarted in place: its successor's own
            return                    # stream reads the log from here on
        if dropped is not None and failures >= kube.retry_policy.attempts:
            raise kube.fail(dropped, call) from dropped  # the container runs on, but no stream of it lasts
        if "running" in container_state(current, container):
            # The stream ended while the container runs on: a proxy's timeout, an API server restart, a cut. Note
            # whether lines were left behind, so a pod deleted before the next read is known to take some with it.
            end.cut = True
            _look_behind(kube, namespace, pod, container, cursor=cursor, end=end)
        else:
            end.behind = False  # the instance followed exited and the next one waits to start: a natural end
        if not progressed:
            pause()  # the stream ended without news (a restart, a rotation, a proxy's timeout): don't spin
    if stopped():
        end.state = "stopped"
        return
    # 2. the container has terminated: read from the last second seen until its last line is ours
    failures = 0
    confirm_first = not follow  # a one-shot read just ended: look at the log's end before reading again
    while not stopped():
        try:
            if not confirm_first:
                progressed, dropped = yield from read(following=False)
                if stopped():
                    break
                failures = 0 if progressed else failures + 1
            confirm_first = False
            last, behind = _log_end(kube, namespace, pod, container, previous=previous, cursor=cursor)
        except NotFound:
            if previous and cursor.last is None:
                raise
            end.state, end.behind = "pod-gone", end.behind or end.cut
            return
        except ClusterError:
            failures += 1
            last, behind = "?", True
        end.behind, end.log_end = behind, (last if behind and last not in ("?", "") else end.log_end)
        if not behind:
            end.state = "complete"
            return
        if failures >= kube.retry_policy.attempts:
            read_to = f"{read_total} line(s) read, up to {cursor.last}" if cursor.last else "no line read"
            goes_on = f", the log goes on to {last}" if last not in ("?", "") else ""
            reason = f"{read_to}{goes_on}; every request for the rest was cut or ended early ({failures} attempts)"
            incomplete = IncompleteLog(
                f"the log of container {container} in pod {namespace}/{pod}"
                f"{' (previous instance)' if previous else ''} could not be read to its end: {reason}",
                hint=f"read what the kubelet still has: kubectl -n {namespace} logs {pod} -c {container}"
                + (" --previous" if previous else ""),
            )
            incomplete.reason = reason
            raise incomplete
    end.state = "stopped"


def _look_behind(kube: Kube, namespace: str, pod: str, container: str, *, cursor: LogCursor, end: StreamEnd) -> None:
    """After a stream ended early: whether the log already goes on past the lines read (`end.behind`)."""
    try:
        last, end.behind = _log_end(kube, namespace, pod, container, previous=False, cursor=cursor)
    except NotFound:
        return  # deleted meanwhile: the next read says so
    except ClusterError:
        end.behind = True  # no answer: nothing says the lines read are all there is
        return
    end.log_end = last if end.behind and last not in ("?", "") else end.log_end


def _log_end(
    kube: Kube, namespace: str, pod: str, container: str, *, previous: bool, cursor: LogCursor
) -> tuple[str, bool]:
    """The timestamp of the log's last line ("" for an empty log, "?" when the answer cannot be trusted), and
    whether the cursor is behind it. The last `count + 1` lines are asked for (tailLines), so lines sharing the
    cursor's last timestamp to the nanosecond (the runtime stamps one write's lines alike) are counted too."""
    wanted = cursor.count + 1
    text = read_log(kube, namespace, pod, container, previous=previous, tail_lines=wanted)
    stamps = [split_line(line.encode()).timestamp for line in text.split("\n") if line]
    if not stamps:
        # An empty log: the current instance has written nothing (after a restart, the lines read were the
        # previous instance's). A reply ended cleanly before its first line would read the same; a cut one raises.
        return "", False
    last = stamps[-1]
    if cursor.last is None:
        return last, True
    end_key, seen_key = timestamp_key(last), timestamp_key(cursor.last)
    if end_key != seen_key:
        return last, end_key > seen_key
    # More lines end on that very timestamp than were read: the rest are missing. (A short answer whose lines
    # all carry it cannot be told from a short log: a reply ended cleanly inside such a burst goes unseen.)
    sharing = len(list(itertools.takewhile(lambda stamp: timestamp_key(stamp) == seen_key, reversed(stamps))))
    return last, sharing > cursor.count


def read_log(
    kube: Kube,
    namespace: str,
    pod: str,
    container: str,
    *,
    previous: bool = False,
    tail_lines: int | None = None,
) -> str:
    """The whole log of a container instance as text, each line prefixed by its kubelet timestamp."""
    params = [("container", container), ("timestamps", "true")]
    if previous:
        params.append(("previous", "true"))
    if tail_lines is not None:
        params.append(("tailLines", str(tail_lines)))
    call = Call("get", "pods", namespace, pod, subresource="log")

    def attempt() -> str:
        response = _request(kube, namespace, pod, container, params, READ_TIMEOUT_SECONDS, previous=previous)
        try:
            data: bytes = response.data
        finally:
            response.release_conn()
        return data.decode("utf-8", errors="replace")

    return kube.retried(attempt, call)
