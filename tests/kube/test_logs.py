"""Log streams: the resume bookkeeping and line splitting with plain data, the streams over HTTP (sandbox)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cronjob_doctor.errors import ClusterError, NotFound
from cronjob_doctor.kube import logs as logs_module
from cronjob_doctor.kube.client import Kube, iter_lines
from cronjob_doctor.kube.errors import NoPreviousLog
from cronjob_doctor.kube.logs import (
    IncompleteLog,
    LogChunk,
    LogCursor,
    StreamEnd,
    follow_log_batches,
    read_log,
    split_line,
    split_lines,
    timestamp_key,
)
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.logstore import rfc3339nano
from tests.builders import NS, container, pod, running, waiting
from tests.waiting import wait_until


def follow_log(kube: Kube, *args: Any, **kwargs: Any) -> Iterator[LogChunk]:
    """The followed lines one by one, as a reader of the stream sees them."""
    for batch in follow_log_batches(kube, *args, **kwargs):
        yield from batch


T0 = datetime(2026, 11, 25, 0, 11, 46, tzinfo=timezone.utc)


def kubelet_time(moment: datetime, nanos: int = 0) -> str:
    """RFC3339Nano as Go prints it: trailing zeros of the fraction trimmed, no dot for whole seconds."""
    fraction = f"{moment.microsecond * 1000 + nanos:09d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


# --- plain data: timestamps, the cursor, line splitting ------------------------------------------------------


def test_timestamp_order_ignores_trimmed_zeros() -> None:
    stamps = [
        "2026-11-25T00:11:46Z",
        "2026-11-25T00:11:46.05Z",
        "2026-11-25T00:11:46.5Z",
        "2026-11-25T00:11:46.500000001Z",
        "2026-11-25T00:11:47Z",
    ]
    assert sorted(stamps) != stamps  # plain string order is wrong for these
    assert sorted(stamps, key=timestamp_key) == stamps


def test_split_line() -> None:
    assert split_line(b"2026-11-25T00:11:46.1Z + apk add curl") == LogChunk(
        "2026-11-25T00:11:46.1Z", "+ apk add curl"
    )
    assert split_line(b"2026-11-25T00:11:46.1Z ") == LogChunk("2026-11-25T00:11:46.1Z", "")
    assert split_line(b"2026-11-25T00:11:46.1Z caf\xc3\xa9 \xff\r") == LogChunk(
        "2026-11-25T00:11:46.1Z", "café \ufffd"
    )


def test_cursor_skips_what_was_yielded_before_the_drop() -> None:
    cursor = LogCursor()
    first = [
        "2026-11-25T00:11:45.9Z",
        "2026-11-25T00:11:46.1Z",
        "2026-11-25T00:11:46.2Z",
        "2026-11-25T00:11:46.2Z",
    ]
    assert [cursor.admit(ts) for ts in first] == [True] * 4
    assert cursor.since_time() == "2026-11-25T00:11:46Z"
    cursor.reopen()
    # the resumed stream starts at the second: .1 and the two .2 lines were seen, the third .2 is new
    resent = [
        "2026-11-25T00:11:46.1Z",
        "2026-11-25T00:11:46.2Z",
        "2026-11-25T00:11:46.2Z",
        "2026-11-25T00:11:46.2Z",
        "2026-11-25T00:11:47Z",
    ]
    assert [cursor.admit(ts) for ts in resent] == [False, False, False, True, True]


def test_fresh_cursor_admits_everything() -> None:
    cursor = LogCursor()
    cursor.reopen()
    assert cursor.since_time() is None
    assert all(cursor.admit("2026-11-25T00:11:46Z") for _ in range(3))


@st.composite
def log_lines(draw: st.DrawFn) -> list[tuple[str, str]]:
    steps = draw(
        st.lists(
            st.sampled_from([0, 0, 1, 999, 250_000_000, 1_000_000_000, 1_700_000_000]),
            min_size=1,
            max_size=40,
        )
    )
    nanos, lines = 0, []
    for index, step in enumerate(steps):
        nanos += step
        moment = T0 + timedelta(seconds=nanos // 1_000_000_000)
        lines.append((kubelet_time(moment, nanos % 1_000_000_000), f"line {index}"))
    return lines


@settings(max_examples=300, deadline=None)
@given(lines=log_lines(), cuts=st.lists(st.integers(min_value=0, max_value=12), max_size=8))
def test_resuming_after_any_cuts_loses_and_doubles_nothing(
    lines: list[tuple[str, str]], cuts: list[int]
) -> None:
    """Simulate the kubelet: a stream from sinceTime sends every line of that second onwards; cut it anywhere."""
    assert _resume(lines, cuts, None)[0] == lines


def _resume(lines: list[tuple[str, str]], cuts: list[int], sizes: list[int] | None) -> tuple[list[Any], Any]:
    """A kubelet that resumes from sinceTime, its streams cut after `cuts` lines each, read by a cursor: the
    lines yielded and the cursor's final state. With `sizes`, each stream is admitted in reads of those sizes."""
    cursor, got = LogCursor(), []
    pending_cuts = iter(cuts)
    while True:
        cursor.reopen()
        since = cursor.since_time()
        stream = [line for line in lines if since is None or timestamp_key(line[0])[0] >= since[:-1]]
        cut = next(pending_cuts, None)
        sent = stream if cut is None else stream[:cut]
        if sizes is None:
            got += [(ts, text) for ts, text in sent if cursor.admit(ts)]
        else:
            reads, start = iter(sizes * (len(sent) + 1)), 0
            while start < len(sent):
                size = next(reads)
                got += list(cursor.admit_batch([LogChunk(ts, text) for ts, text in sent[start : start + size]]))
                start += size
        if cut is None or cut >= len(stream):
            break
    return got, (cursor.since_time(), cursor.count, timestamp_key(cursor.last) if cursor.last else None)


@settings(max_examples=300, deadline=None)
@given(lines=log_lines(), cuts=st.lists(st.integers(min_value=0, max_value=12), max_size=8),
       sizes=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=5))
def test_admitting_a_read_at_once_matches_admitting_line_by_line(
    lines: list[tuple[str, str]], cuts: list[int], sizes: list[int]
) -> None:
    by_line = _resume(lines, cuts, None)
    by_read = _resume(lines, cuts, sizes)
    assert [tuple(item) for item in by_read[0]] == by_line[0] == lines
    assert by_read[1] == by_line[1]


@settings(max_examples=300, deadline=None)
@given(raws=st.lists(st.binary(max_size=30).map(lambda raw: raw.replace(b"\n", b"")), max_size=8))
def test_splitting_a_read_at_once_matches_splitting_each_line(raws: list[bytes]) -> None:
    assert split_lines(raws) == [split_line(raw) for raw in raws]


class _Chunks:
    """A response body delivered in the given pieces (what urllib3's stream() yields for a chunked body)."""

    def __init__(self, *chunks: bytes, error: BaseException | None = None) -> None:
        self.chunks, self.error = chunks, error

    def stream(self, amt: int, decode_content: bool = True) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error


def test_lines_split_across_chunks() -> None:
    body = _Chunks(b"a\nb", b"c", b"d\n\ne", b"\nf")
    assert list(iter_lines(body)) == [b"a", b"bcd", b"", b"e", b"f"]  # type: ignore[arg-type]


def test_a_multi_megabyte_line_in_many_chunks() -> None:
    piece = b"x" * 65536
    body = _Chunks(b"start\n", *([piece] * 64), b"\nend\n")
    lines = list(iter_lines(body))  # type: ignore[arg-type]
    assert lines[0] == b"start" and lines[2] == b"end"
    assert len(lines[1]) == 64 * 65536 and lines[1] == piece * 64


def test_a_partial_last_line_is_not_yielded_when_the_stream_drops() -> None:
    body = _Chunks(b"one\ntw", error=ConnectionResetError("reset"))
    got: list[bytes] = []
    with pytest.raises(ConnectionResetError):
        got.extend(iter_lines(body))  # type: ignore[arg-type]
    assert got == [b"one"]


# --- over HTTP, against the sandbox --------------------------------------------------------------------------

RUNNING = running("2026-11-25T00:11:40Z")
TERMINATED = {"terminated": {"exitCode": 0, "reason": "Completed"}}


def _set_state(sandbox: Sandbox, name: str, state: dict[str, Any]) -> None:
    def change(obj: dict[str, Any]) -> None:
        obj["status"]["containerStatuses"] = [{"name": "backup", "state": state, "restartCount": 0}]
        obj["status"]["phase"] = "Running" if "running" in state else "Succeeded"

    sandbox.store.mutate("pods", NS, name, change)


def _start(
    sandbox: Sandbox, name: str = "p1", lines: list[str] | None = None, *, when: datetime | None = None
) -> None:
    if sandbox.store.find("pods", NS, name) is None:
        sandbox.store.create("pods", pod(container("backup", RUNNING), name=name, phase="Running"))
    sandbox.logs.start_instance(NS, name, "backup")
    for line in lines or []:
        sandbox.logs.append(NS, name, "backup", line, when)


def _terminate(sandbox: Sandbox, name: str = "p1") -> None:
    sandbox.logs.finish(NS, name, "backup")
    _set_state(sandbox, name, TERMINATED)


def _log_requests(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.path.endswith("/log")]


class Follower:
    """follow_log on a thread, so the test can change the pod and its log while the follow runs."""

    def __init__(self, kube: Kube, **kwargs: Any) -> None:
        self.stop = threading.Event()
        self.chunks: list[LogChunk] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(kube, kwargs), daemon=True)
        self._thread.start()

    def _run(self, kube: Kube, kwargs: dict[str, Any]) -> None:
        try:
            self.chunks.extend(follow_log(kube, NS, "p1", "backup", stop=self.stop, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    @property
    def texts(self) -> list[str]:
        return [chunk.text for chunk in self.chunks]

    def join(self, timeout: float = 30) -> list[str]:
        """Wait for the follow to end by itself: the lines it yielded."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the follow never ended"
        assert self.error is None, self.error
        return self.texts

    def stop_and_time(self) -> float:
        """Set `stop`: how long the follow took to end."""
        started = time.monotonic()
        self.stop.set()
        self._thread.join(3)
        assert not self._thread.is_alive()
        return time.monotonic() - started


def _log_arrivals(sandbox: Sandbox) -> int:
    """How many log requests the server has received, answered or not."""
    return len([r for r in sandbox.received if r.path.endswith("/log")])


def test_follow_until_the_container_terminates(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["+ apk add curl", "fetch https://dl-cdn.alpinelinux.org/..."])
    stream = follow_log(kube, NS, "p1", "backup")
    chunks = [next(stream), next(stream)]  # the stream is open and has caught up: the next line comes live
    bare.logs.append(NS, "p1", "backup", "+ mc cp state.json minio/backups/")
    _terminate(bare)
    chunks.extend(stream)
    assert [c.text for c in chunks] == bare.logs.written(NS, "p1", "backup")
    assert all(c.timestamp.endswith("Z") for c in chunks)
    followed, final, tail = _log_requests(bare)
    assert followed.query == {"container": "backup", "timestamps": "true", "follow": "true"}
    # the container terminated: one read from the last second seen, and the log's last line to confirm it
    assert final.query == {"container": "backup", "timestamps": "true", "sinceTime": chunks[-1].timestamp[:19] + "Z"}
    assert tail.query == {"container": "backup", "timestamps": "true", "tailLines": "2"}


def test_cut_stream_resumes_from_the_second_without_loss_or_doubles(kube: Kube, bare: Sandbox) -> None:
    # twelve lines in the same second, four of them with the very same timestamp
    _start(bare)
    for index in range(12):
        when = T0 + timedelta(microseconds=100 * (index // 4 if index < 8 else index))
        bare.logs.append(NS, "p1", "backup", f"line {index}", when)
    _terminate(bare)
    bare.faults.cut_logs_after(5)
    chunks = list(follow_log(kube, NS, "p1", "backup"))
    assert [c.text for c in chunks] == [f"line {index}" for index in range(12)]
    first, second, *_confirmation = _log_requests(bare)
    assert "sinceTime" not in first.query
    assert second.query["sinceTime"] == "2026-11-25T00:11:46Z"


def test_a_stream_that_never_progresses_gives_up(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=[f"same second {i}" for i in range(6)], when=T0)
    _terminate(bare)
    bare.faults.cut_logs_after(3, once=False)  # every stream is cut before it passes the lines already seen
    got: list[str] = []
    read_3 = r"could not be read to its end: 3 line\(s\) read, up to 2026-11-25T00:11:46"
    with pytest.raises(IncompleteLog, match=read_3):
        for chunk in follow_log(kube, NS, "p1", "backup"):
            got.append(chunk.text)
    assert got == ["same second 0", "same second 1", "same second 2"]


def test_a_stream_cut_while_the_container_runs_on_is_a_cluster_error(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=[f"same second {i}" for i in range(6)], when=T0)
    bare.faults.cut_logs_after(3, once=False)
    with pytest.raises(ClusterError, match="cannot reach the cluster"):
        list(follow_log(kube, NS, "p1", "backup", poll_seconds=0.01))


def test_waiting_container_is_waited_for(kube: Kube, bare: Sandbox) -> None:
    bare.store.create("pods", pod(container("backup", waiting("ContainerCreating")), name="p1", phase="Pending"))
    follower = Follower(kube, poll_seconds=0.1)

    def waited() -> bool:
        """The kubelet said 400 and the follow then looked at the pod: it saw it waiting, and waits."""
        answered = [(r.path.endswith("/log"), r.status) for r in bare.requests]
        return (True, 400) in answered and (False, 200) in answered[answered.index((True, 400)):]

    wait_until(waited, timeout=10, what="the follow to see the container waiting")
    _set_state(bare, "p1", RUNNING)
    _start(bare, lines=["hello"])
    _terminate(bare)
    assert follower.join() == ["hello"]


def test_stream_end_while_running_reopens(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["first instance"], when=T0)
    stream = follow_log(kube, NS, "p1", "backup", poll_seconds=0.1)
    assert next(stream).text == "first instance"
    # the container restarts in place: the followed instance ends, the pod still says running
    bare.logs.start_instance(NS, "p1", "backup")
    bare.logs.append(NS, "p1", "backup", "second instance", T0 + timedelta(seconds=5))
    assert next(stream).text == "second instance"  # from a reopened stream
    _terminate(bare)
    assert list(stream) == []
    assert len(_log_requests(bare)) >= 2


def test_previous_instance_is_read_once(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["before the OOM kill"])
    _start(bare, lines=["after restart"])
    chunks = list(follow_log(kube, NS, "p1", "backup", previous=True))
    assert [c.text for c in chunks] == ["before the OOM kill"]
    read, confirm = _log_requests(bare)
    assert read.query.get("previous") == "true" and "follow" not in read.query
    assert confirm.query == {"container": "backup", "timestamps": "true", "previous": "true", "tailLines": "2"}


def test_no_previous_instance(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["only instance"])
    with pytest.raises(NoPreviousLog, match="no previous log for container backup in pod tofu-state/p1"):
        list(follow_log(kube, NS, "p1", "backup", previous=True))
    with pytest.raises(NotFound):
        read_log(kube, NS, "p1", "backup", previous=True)


def test_stop_ends_an_idle_follow_within_a_second(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["one line, then silence"])
    follower = Follower(kube)
    wait_until(lambda: follower.texts == ["one line, then silence"], timeout=10, what="the line, then silence")
    assert follower.stop_and_time() < 1.0
    assert follower.texts == ["one line, then silence"]


def test_deleted_pod_ends_the_follow(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["working"])
    stream = follow_log(kube, NS, "p1", "backup")
    assert next(stream).text == "working"  # the follow is open
    bare.store.delete("pods", NS, "p1")
    bare.logs.forget_pod(NS, "p1")
    assert list(stream) == []


def test_multi_megabyte_line_arrives_whole(kube: Kube, bare: Sandbox) -> None:
    big = "y" * (3 * 1024 * 1024)
    _start(bare, lines=["before", big, "after"])
    _terminate(bare)
    assert [c.text for c in follow_log(kube, NS, "p1", "backup")] == ["before", big, "after"]


def test_read_log_returns_the_text_with_timestamps(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=["a", "b", "c"], when=T0)
    _terminate(bare)
    stamp = rfc3339nano(T0)
    assert read_log(kube, NS, "p1", "backup") == f"{stamp} a\n{stamp} b\n{stamp} c\n"
    assert read_log(kube, NS, "p1", "backup", tail_lines=1) == f"{stamp} c\n"


def test_log_of_a_missing_pod_is_not_found(kube: Kube) -> None:
    with pytest.raises(NotFound, match="pod tofu-state/nope not found"):
        list(follow_log(kube, NS, "nope", "backup"))


def test_stop_ends_a_follow_of_a_container_that_wrote_nothing_yet(kube: Kube, bare: Sandbox) -> None:
    # the kubelet sends response headers only with the first line; waiting for them must not outlast `stop`
    _start(bare)
    follower = Follower(kube)
    wait_until(lambda: _log_arrivals(bare), timeout=10, what="the log request, waiting for its first byte")
    assert follower.stop_and_time() < 1.5
    assert follower.chunks == []


def test_a_container_silent_at_first_is_still_followed(kube: Kube, bare: Sandbox) -> None:
    _start(bare)
    follower = Follower(kube)
    # silent for longer than the wait for the first byte: the follow has given up on one request and asked again
    wait_until(lambda: _log_arrivals(bare) >= 2, timeout=10, what="a second log request")
    bare.logs.append(NS, "p1", "backup", "finally")
    _terminate(bare)
    assert follower.join() == ["finally"]


def test_a_quiet_live_stream_is_resumed_not_failed(
    kube: Kube, bare: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs_module, "IDLE_READ_TIMEOUT_SECONDS", 0.3)
    _start(bare, lines=["first"])
    follower = Follower(kube)
    # After the first request's line, quiet requests that each end in an idle timeout and a resume: counted as
    # failures, the third would end the follow (the retry policy's attempts) before a fifth request is made.
    assert kube.retry_policy.attempts == 3
    wait_until(lambda: len(_log_requests(bare)) >= 5, timeout=10, what="four resumes of a quiet stream")
    bare.logs.append(NS, "p1", "backup", "second")
    _terminate(bare)
    assert follower.join() == ["first", "second"]


# --- streams that end cleanly before the log does (a proxy's idle timeout, a graceful API server restart) -----


def test_a_stream_ended_cleanly_while_the_container_runs_is_resumed(kube: Kube, bare: Sandbox) -> None:
    _start(bare)
    for i in range(4):
        bare.logs.append(NS, "p1", "backup", f"second {i}", T0 + timedelta(seconds=i))
    bare.faults.end_logs_after(2, once=False)  # every response ends, with its final chunk, after two lines
    got: list[str] = []
    thread = threading.Thread(
        target=lambda: got.extend(c.text for c in follow_log(kube, NS, "p1", "backup", poll_seconds=0.01))
    )
    thread.start()
    wait_until(lambda: len(got) >= 4, timeout=10, what="the first lines despite the early ends")
    for i in range(4, 8):
        bare.logs.append(NS, "p1", "backup", f"second {i}", T0 + timedelta(seconds=i))
    _terminate(bare)
    thread.join(10)
    assert got == [f"second {i}" for i in range(8)]
    assert bare.faults.ends > 1


def test_a_log_ended_early_after_the_container_terminated_is_read_to_its_end(kube: Kube, bare: Sandbox) -> None:
    lines = [f"line {i}" for i in range(42)]
    _start(bare, lines=lines)
    _terminate(bare)
    bare.faults.end_logs_after(3)  # the first response ends cleanly after 3 of 42 lines
    end = StreamEnd()
    assert [c.text for c in follow_log(kube, NS, "p1", "backup", end=end)] == lines
    assert end.state == "complete"


def test_every_request_ended_early_is_an_incomplete_log(kube: Kube, bare: Sandbox) -> None:
    # six lines in one second: every resume from that second brings the same first three again
    _start(bare)
    for i in range(6):
        bare.logs.append(NS, "p1", "backup", f"same second {i}", T0 + timedelta(microseconds=i))
    _terminate(bare)
    bare.faults.end_logs_after(3, once=False)
    got: list[str] = []
    goes_on = r"p1 could not be read to its end: .*goes on to 2026-11-25T00:11:46\.000005"
    with pytest.raises(IncompleteLog, match=goes_on):
        got.extend(c.text for c in follow_log(kube, NS, "p1", "backup"))
    assert got == ["same second 0", "same second 1", "same second 2"]


def test_lines_sharing_the_last_timestamp_are_counted_before_the_log_is_called_complete(
    kube: Kube, bare: Sandbox
) -> None:
    # 5 lines with the very same timestamp; the first response ends after 3: the log's end carries the same
    # timestamp as the last line read, and only the count tells that two are missing
    _start(bare, lines=[f"same instant {i}" for i in range(5)], when=T0)
    _terminate(bare)
    bare.faults.end_logs_after(3)
    assert [c.text for c in follow_log(kube, NS, "p1", "backup")] == [f"same instant {i}" for i in range(5)]


def test_a_previous_instance_read_that_ends_early_is_read_again(kube: Kube, bare: Sandbox) -> None:
    _start(bare, lines=[f"before the kill {i}" for i in range(10)])
    _start(bare, lines=["after restart"])
    bare.faults.end_logs_after(4)
    got = [c.text for c in follow_log(kube, NS, "p1", "backup", previous=True)]
    assert got == [f"before the kill {i}" for i in range(10)]
