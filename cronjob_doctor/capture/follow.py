"""Follow one Job until it ends and lose nothing: pods, every log line, status changes and events, to disk.

Kubernetes deletes the evidence on its own schedule (a failed pod at BackoffLimitExceeded, events after an
hour), so every pod status change and every log line is written the moment it arrives. Watches and streams run on
threads that only feed a queue; one loop owns the files, the display callbacks and the decision to stop.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.capture.completeness import LogGap
from cronjob_doctor.capture.ended import cursor_after
from cronjob_doctor.capture.never_starts import StartPolicy, StartWatch
from cronjob_doctor.capture.targets import StreamTarget, TargetTracker
from cronjob_doctor.debugjob.sampler import MARKER, TOKEN_ANNOTATION, MemorySample, above_limit, parse_sample
from cronjob_doctor.errors import ClusterError, DoctorError, Forbidden, NotFound, Unauthorized
from cronjob_doctor.k8s import events as eventlib
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import annotations_of

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

HEALTHY_SECONDS = 10.0
"""A watch or stream that ran this long before it failed again ends one outage and starts another."""
ENDED_GRACE_SECONDS = 2.0
"""How long a log stream may stay open after its container terminated before it is closed and read to its end
(a kubelet closes it at once; a proxy or a kubelet stand-in may keep it open for good)."""

LineCallback = Callable[[str, str, str, str], None]
"""(pod, container, timestamp, text) for every displayed log line."""
PhaseCallback = Callable[[str, str], None]
"""(pod, phase or waiting reason) whenever it changes."""


@dataclass
class Capture:
    """What following the Job found; the same content is on disk in the bundle directory."""

    job: dict[str, Any] | None = None
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Last known state of every pod ever seen, kept after the pod is deleted."""
    deleted_pods: set[str] = field(default_factory=set)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    peak_memory_bytes: int | None = None
    """The highest peak of any container."""
    peak_memory_by_container: dict[str, int] = field(default_factory=dict)
    """Container name -> its own peak: from the sampler lines of its own log, or the metrics API's usage."""
    partial: bool = False
    """Something is known to be missing: a log not read to its end (`gaps`), a watch lost, a stop before the end."""
    gaps: list[LogGap] = field(default_factory=list)
    """The container logs that could not be read to their last line."""
    notes: list[str] = field(default_factory=list)
    never_started: str | None = None
    """Following stopped early because a pod can certainly never start (capture.never_starts): the reason."""
    reconnects: int = 0
    """Watches and log streams restarted after a lasting API failure (only with `reconnect_seconds`)."""
    started: float = 0.0
    ended: float = 0.0

    @property
    def finished(self) -> bool:
        return joblib.finished(self.job)


class JobFollower:
    """Follows one Job in one namespace into one bundle directory."""

    def __init__(
        self,
        kube: Kube,
        *,
        namespace: str,
        job_name: str,
        bundle_dir: Path,
        stop: threading.Event,
        on_line: LineCallback | None = None,
        on_phase: PhaseCallback | None = None,
        poll_metrics: bool = False,
        grace_seconds: float = 15.0,
        resume: bool = False,
        reconnect_seconds: float | None = None,
        outage_seconds: float | None = None,
        redact: Callable[[str], str] | None = None,
        sampler_token: str | None = None,
        start_policy: StartPolicy | None = None,
    ) -> None:
        """`resume`: log files already in `bundle_dir` (an earlier process followed this Job) are continued after
        their last line instead of being read again from the start. `reconnect_seconds`: a watch or log stream
        that fails beyond the client's retries is restarted after this pause instead of ending the capture
        (a long-running recorder outlives API server restarts); None keeps the one-shot behaviour.
        `outage_seconds` (with `reconnect_seconds`): an API that stays unreachable this long ends the capture as
        without reconnects (diagnose waits out an API server restart, not an outage for good); None: never
        (record). `redact`:
        applied to every log line before it reaches the file, the display callback or the sampler parser, so
        secret values never touch the disk or the terminal. `sampler_token`: the debug Job's `DebugJob.sampler_token`;
        only log lines with it are memory samples (None: the token in the followed Job's annotation, if any).
        `start_policy`: stop following as soon as a pod can certainly never start (image not found, config
        missing for good); None follows to the end."""
        self.kube = kube
        self.namespace = namespace
        self.job_name = job_name
        self.root = bundle_dir
        self.stop = stop
        self.on_line = on_line
        self.on_phase = on_phase
        self.poll_metrics = poll_metrics
        self.grace_seconds = grace_seconds
        self.resume = resume
        self.reconnect_seconds = reconnect_seconds
        self.outage_seconds = outage_seconds
        self.redact = redact
        self.sampler_token = sampler_token
        self._noisy: set[tuple[str, str]] = set()
        self._starts = StartWatch(start_policy) if start_policy is not None else None
        self.failure: ClusterError | None = None
        """Why following stopped early: a watch failed beyond retries (API down, access revoked, Job gone)."""
        self._reconnected = False
        self._marks: dict[Path, tuple[tuple[str, int], object]] = {}
        self._marks_lock = threading.Lock()
        self.capture = Capture()
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._halt = threading.Event()
        self._tracker = TargetTracker()
        self._streams: dict[tuple[str, str, str], threading.Thread] = {}
        self._ended: dict[tuple[str, str, str], threading.Event] = {}
        """Per followed instance: set once the pod watch shows it terminated and its stream outlives it."""
        self._ended_at: dict[tuple[str, str, str], float] = {}
        self._suspects: list[tuple[StreamTarget, str | None, str | None]] = []
        self._phases: dict[str, str] = {}
        self._threads: list[threading.Thread] = []

    # -- threads ---------------------------------------------------------------------------------------

    def _spawn(self, name: str, target: Callable[[], None]) -> threading.Thread:
        def guarded() -> None:
            outage_since: float | None = None
            try:
                while True:
                    started = time.monotonic()
                    try:
                        target()
                        return
                    except ClusterError as exc:
                        if not self._reconnectable(exc):
                            raise
                        now = time.monotonic()
                        if outage_since is None or now - started > HEALTHY_SECONDS:
                            outage_since = started  # a new outage: the last one ended while this ran
                        if self.outage_seconds is not None and now - outage_since > self.outage_seconds:
                            if name.endswith("-watch"):
                                self.failure = self.failure or exc  # without its watches the loop stops
                            raise
                        self._reconnected = True
                        self._queue.put(("reconnect", f"{name}: {exc}"))
                        if self._halt.wait(self.reconnect_seconds or 0.0):
                            return
            except NotFound as exc:
                # A log stream opened after its pod was deleted (the Job controller removes a pod at the moment of
                # BackoffLimitExceeded, often just as the container restarts): everything served earlier is on
                # disk, so this is a note, not a lost capture. Anything else missing is.
                self._queue.put(("gone" if name.startswith("log-") else "error", f"{name}: {exc}"))
            except DoctorError as exc:
                self._queue.put(("error", f"{name}: {exc}"))
            except Exception as exc:  # noqa: BLE001  a thread must never die silently: reported as partial capture
                self._queue.put(("error", f"{name}: {type(exc).__name__}: {exc}"))

        thread = threading.Thread(target=guarded, name=f"follow-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def _reconnectable(self, exc: DoctorError) -> bool:
        """An outage or server error worth waiting out; a missing pod or a denial will not go away, and a log
        already retried to its end after the container terminated will not be read by waiting."""
        from cronjob_doctor.kube.logs import IncompleteLog

        return (
            self.reconnect_seconds is not None
            and isinstance(exc, ClusterError)
            and not isinstance(exc, (NotFound, Forbidden, Unauthorized, IncompleteLog))
        )

    def _watch(self, kind: str, **selectors: Any) -> None:
        from cronjob_doctor.kube.watch import watch

        try:
            for event_type, obj in watch(self.kube, kind, self.namespace, stop=self._halt, **selectors):
                self._queue.put((kind, (event_type, obj)))
        except ClusterError as exc:
            if not self._reconnectable(exc):
                # Without its watches the follower would wait blind until the deadline: the loop stops instead.
                self.failure = self.failure or exc
            raise

    def _stream(self, target: StreamTarget) -> None:
        """Follow one container instance's log into its file; say when it could not be read to its end."""
        from cronjob_doctor.kube.logs import StreamEnd

        end = StreamEnd()
        try:
            self._stream_into_file(target, end)
        except NotFound:
            raise  # the pod went before the stream opened: `_spawn` notes it
        except DoctorError as exc:
            if self._reconnectable(exc):
                raise  # `_spawn` waits the outage out and starts the stream again, continuing the file
            reason = getattr(exc, "reason", "") or str(exc)
            self._queue.put(("gap", LogGap(target.pod, target.container, target.previous, reason)))
            return
        if end.state == "stopped" and not self.stop.is_set():
            # halted before the container's last line was confirmed (the Job ended long ago, or a deadline)
            reason = f"following stopped before its end was read (last line read: {end.last or 'none'})"
            self._queue.put(("gap", LogGap(target.pod, target.container, target.previous, reason)))
        elif end.state == "pod-gone" and end.behind:
            # judged once every stream has finished: another stream of the same file may hold those lines
            self._queue.put(("suspect", (target, end.last, end.log_end)))
        elif end.state == "pod-gone":
            self._queue.put(("gone", f"log of {target.pod}/{target.container}: the pod was deleted before the "
                             "end of its log could be confirmed"))
        self._queue.put(("stream-end", target))

    def _note_ended(self, pod: dict[str, Any]) -> None:
        """Remember when each followed instance of this pod terminated (its ID's state, or a finished pod)."""
        name = str((pod.get("metadata") or {}).get("name") or "")
        finished = podlib.phase(pod) in ("Succeeded", "Failed")
        ended_ids = {t.container_id for t in podlib.terminations(pod) if t.container_id}
        for key in self._ended:
            if key[0] == name and key not in self._ended_at and (finished or key[2] in ended_ids):
                self._ended_at[key] = time.monotonic()

    def _close_outlived_streams(self, now: float) -> None:
        """A kubelet ends a log stream when its container exits; one that stays open ENDED_GRACE_SECONDS after
        the pod watch showed the instance terminated (a proxy, a kubelet stand-in) is closed, and the stream's
        final read from the last second seen fetches whatever it had not delivered."""
        for key, since in self._ended_at.items():
            if now - since > ENDED_GRACE_SECONDS and not self._ended[key].is_set():
                self._ended[key].set()

    def _judge_suspects(self) -> None:
        """A stream whose pod was deleted while the log went on past its last line: a gap, unless the lines
        ahead of it are in the file anyway (written by the stream of the container's next instance)."""
        for target, last, log_end in self._suspects:
            if self._written_past(target, log_end):
                continue
            went_on = f", the log went on to {log_end}" if log_end else ""
            reason = f"the pod was deleted before the rest of its log could be read (last line read: {last or 'none'}" \
                     f"{went_on})"
            self._handle("gap", LogGap(target.pod, target.container, target.previous, reason))

    def _written_past(self, target: StreamTarget, log_end: str | None) -> bool:
        """Whether the target's log file already holds a line at or after `log_end`: after an OnFailure restart
        the old instance's stream follows the container into the new instance, whose own stream writes the
        same file, so the lines the old stream saw ahead of it may well be on disk."""
        from cronjob_doctor.kube.logs import timestamp_key

        if not log_end:
            return False
        path = bundle_io.log_path(self.root, target.pod, target.container, previous=target.previous)
        with self._marks_lock:
            mark = self._marks.get(path)
        return mark is not None and mark[0] >= timestamp_key(log_end)

    def _stream_into_file(self, target: StreamTarget, end: Any) -> None:
        from cronjob_doctor.kube.logs import LogChunk, follow_log_batches

        key = (target.pod, target.container, target.previous)
        path = bundle_io.log_path(self.root, target.pod, target.container, previous=target.previous)
        # A stream restarted after an outage, or a Job followed again after our own restart, continues the file.
        cursor = cursor_after(path) if (self.resume or self._reconnected) and path.is_file() else None
        current = bundle_io.log_path(self.root, target.pod, target.container)
        if cursor is None and target.previous and (self.resume or self._reconnected) and current.is_file():
            cursor = cursor_after(current)  # the earlier process streamed this instance into the current log
        owner = object()
        with bundle_io.open_log(self.root, target.pod, target.container, previous=target.previous) as handle:
            # The lines of one network read are written, flushed and queued together: per line, the flush and
            # the queue hand-off cost more than everything else and capped capture far below disk speed.
            for chunks in follow_log_batches(
                self.kube,
                self.namespace,
                target.pod,
                target.container,
                previous=target.previous,
                follow=not target.previous,
                since_time=cursor.since_time() if cursor is not None else None,
                stop=self._halt,
                end=end,
                ended=self._ended.get((target.pod, target.container, target.container_id)),
            ):
                if cursor is not None:
                    chunks = [c for c in chunks if not c.timestamp or cursor.admit(c.timestamp)]
                if self.redact is not None:
                    redact = self.redact
                    chunks = [LogChunk(c.timestamp, redact(c.text)) for c in chunks]
                written = self._write_batch(handle, path, owner, chunks)
                if written:
                    self._queue.put(("lines", (key, written)))

    def _write_batch(
        self, handle: IO[str], path: Path, owner: object, lines: Sequence[tuple[str, str]]
    ) -> Sequence[tuple[str, str]]:
        """Write the (timestamp, text) lines of one read with one write and one flush, except those another
        stream already wrote; returns the lines written.

        After an OnFailure restart the old stream keeps following the container, which now serves the new
        instance's log, while the new instance has its own stream: both deliver the same lines, and timestamps
        (monotonic across instances) tell which are new. A stream never doubles its own lines (its cursor sees
        to that), so lines are checked one by one only while another stream holds the file's mark."""
        from cronjob_doctor.kube.logs import timestamp_key

        if not lines:
            return []
        kept: Sequence[tuple[str, str]]
        with self._marks_lock:
            mark = self._marks.get(path)
            if mark is None or mark[1] is owner:
                kept = lines
                last = next((ts for ts, _text in reversed(lines) if ts), None)
                if last:
                    self._marks[path] = (timestamp_key(last), owner)
            else:
                fresh: list[tuple[str, str]] = []
                for timestamp, text in lines:
                    if timestamp:
                        stamp = timestamp_key(timestamp)
                        mark = self._marks[path]
                        if mark[1] is not owner and stamp <= mark[0]:
                            continue
                        self._marks[path] = (stamp, owner)
                    fresh.append((timestamp, text))
                kept = fresh
            if kept:
                handle.write("".join(f"{ts} {text}\n" if ts else f"{text}\n" for ts, text in kept))
                handle.flush()
        return kept

    def _metrics(self) -> None:
        if not self.kube.serves_metrics():
            self._queue.put(("note", "no metrics API (metrics.k8s.io): the peak memory of containers that run no "
                             "shell script is not measured"))
            return
        while not self._halt.wait(2.0):
            for name, pod in list(self.capture.pods.items()):
                if (pod.get("status") or {}).get("phase") != "Running":
                    continue
                sample = self.kube.pod_metrics(self.namespace, name)
                if sample:
                    self._queue.put(("metrics", sample))

    # -- the loop --------------------------------------------------------------------------------------

    def run(self, *, deadline: float) -> Capture:
        """Follow until the Job ends and its streams drain, `deadline` (monotonic) passes, or `stop` is set."""
        capture = self.capture
        capture.started = time.monotonic()
        bundle_io.make_private_dir(self.root)
        if self.resume:
            for path in bundle_io.drop_torn_lines(self.root):
                capture.notes.append(f"{path.relative_to(self.root)}: an unfinished last line was cut; resent whole")
        self._spawn("job-watch", lambda: self._watch("jobs", field_selector=f"metadata.name={self.job_name}"))
        self._spawn(
            "pod-watch", lambda: self._watch("pods", label_selector=podlib.job_selectors(self.job_name)[0])
        )
        self._spawn("event-watch", lambda: self._watch("events"))
        if self.poll_metrics:
            self._spawn("metrics", self._metrics)
        finished_at: float | None = None
        try:
            while True:
                if self.failure is not None and not capture.finished:
                    capture.partial = True
                    capture.notes.append(f"stopped following: {self.failure}")
                    break
                if self.stop.is_set():
                    capture.partial = True
                    capture.notes.append("capture interrupted before the Job ended")
                    break
                now = time.monotonic()
                if now > deadline:
                    capture.partial = True
                    capture.notes.append("gave up following: the Job did not end within the timeout")
                    break
                self._close_outlived_streams(now)
                if finished_at is None and capture.finished:
                    finished_at = now
                if finished_at is not None:
                    active = [t for t in self._streams.values() if t.is_alive()]
                    if not active and self._queue.empty() and self._pods_settled():
                        break
                    if now - finished_at > self.grace_seconds:
                        capture.notes.append("some log streams were still open after the Job ended")
                        break
                if self._starts is not None and not capture.finished:
                    never = self._starts.due(now)
                    if never is not None:
                        capture.never_started = never
                        capture.notes.append(f"stopped following early: {never}")
                        break
                try:
                    kind, payload = self._queue.get(timeout=0.1)
                except queue.Empty:
                    continue
                self._handle(kind, payload)
        finally:
            self._halt.set()
            self._drain()
            self._judge_suspects()
            self._final_reads()
            self._write_all()
            capture.ended = time.monotonic()
        return capture

    def _handle(self, kind: str, payload: Any) -> None:
        capture = self.capture
        if kind == "jobs":
            event_type, obj = payload
            if event_type != "DELETED":
                capture.job = obj
                bundle_io.write_json(self.root, "job.json", obj)
            else:
                capture.notes.append(f"job {self.job_name} was deleted while being followed")
                capture.job = capture.job or obj
        elif kind == "pods":
            event_type, obj = payload
            name = obj["metadata"]["name"]
            if event_type == "DELETED":
                # Keep the last state we saw: it holds the terminated reason that is now gone from the cluster.
                capture.deleted_pods.add(name)
                capture.pods.setdefault(name, obj)
            else:
                capture.pods[name] = obj
                if self._starts is not None:
                    self._starts.update(obj, time.monotonic())
                for target in self._tracker.update(obj):
                    key = (target.pod, target.container, target.container_id)
                    self._ended[key] = threading.Event()
                    self._streams[key] = self._spawn(
                        f"log-{target.pod}-{target.container}", functools.partial(self._stream, target)
                    )
                self._note_ended(obj)
            self._write_pods()
            phase = podlib.telling_state(obj) if event_type != "DELETED" else "Deleted"
            if self.on_phase and self._phases.get(name) != phase:
                self._phases[name] = phase
                self.on_phase(name, phase)
        elif kind == "events":
            _event_type, obj = payload
            if self._relevant(obj):
                capture.events[eventlib.key(obj)] = obj
                bundle_io.write_json(
                    self.root, "events.json", eventlib.event_list(eventlib.merged(capture.events.values()))
                )
        elif kind == "lines":
            key, lines = payload
            self._lines(key, lines)
        elif kind == "metrics":
            capture.metrics.append(payload)
            for item in payload.get("containers") or []:
                from cronjob_doctor.k8s.quantity import parse_bytes

                try:
                    used = parse_bytes(str((item.get("usage") or {}).get("memory", "0")))
                except DoctorError:
                    continue
                self._peak(str(item.get("name") or ""), used)
            bundle_io.write_json(self.root, "metrics.json", capture.metrics)
        elif kind == "stream-end":
            pass
        elif kind == "suspect":
            self._suspects.append(payload)
        elif kind == "gap":
            capture.partial = True
            if payload.log not in {gap.log for gap in capture.gaps}:  # one file, one gap: its first reason
                capture.gaps.append(payload)
                capture.notes.append(payload.describe())
        elif kind == "note":
            capture.notes.append(str(payload))
        elif kind == "gone":
            if str(payload).startswith("log-"):
                capture.notes.append(f"{payload}: the pod was deleted before this log stream could open")
            elif str(payload) not in capture.notes:
                capture.notes.append(str(payload))
        elif kind == "reconnect":
            capture.reconnects += 1
            capture.notes.append(f"reconnecting after {payload}")
        elif kind == "error":
            capture.partial = True
            capture.notes.append(str(payload))

    def _pods_settled(self) -> bool:
        """Every pod seen has ended or is gone. The Job watch can report the end before the pod watch delivers
        the pod's last states (a run of a second or less): stopping then would lose its statuses and logs."""
        for name, pod in self.capture.pods.items():
            if name not in self.capture.deleted_pods and (pod.get("status") or {}).get("phase") not in (
                "Succeeded", "Failed"
            ):
                return False
        return True

    def _lines(self, key: tuple[str, str, bool], lines: Sequence[tuple[str, str]]) -> None:
        """Count the written lines of one read, take memory samples from them (hidden from the display), and
        display the rest. Without a display only the lines carrying the sampler's marker need a look."""
        capture = self.capture
        capture.lines[key] = capture.lines.get(key, 0) + len(lines)
        on_line = self.on_line
        pod, container, _previous = key
        for timestamp, text in lines:
            if MARKER in text:
                # Only the sampler knows the run's token: a line without it is the workload's, shown like any other.
                sample = parse_sample(text, self._token())
                if sample is not None:
                    self._sample(pod, container, sample)
                    text = sample.before  # the script's unfinished output the sampler's line was written after
                    if not text.strip():
                        continue
            if on_line is not None:
                on_line(pod, container, timestamp, text)

    def _token(self) -> str | None:
        if self.sampler_token is not None:
            return self.sampler_token
        return annotations_of(self.capture.job).get(TOKEN_ANNOTATION) or None

    def _sample(self, pod: str, container: str, sample: MemorySample) -> None:
        """Raise the peak, unless the reading is above the container's limit: impossible under a cgroup limit."""
        spec = templates.container_named(templates.pod_spec(self.capture.pods.get(pod)), container)
        limit = templates.memory_limit_bytes(spec) if spec is not None else None
        if above_limit(sample, limit):
            if (pod, container) not in self._noisy:
                self._noisy.add((pod, container))
                self.capture.notes.append(
                    f"memory samples of {pod}/{container} above its limit ({sample.highest} bytes) ignored as "
                    "noise: impossible under a cgroup limit"
                )
            return
        if sample.highest is not None:
            self._peak(container, sample.highest)

    def _peak(self, container: str, value: int) -> None:
        """A container's own peak (each container is judged against its own limit), and the highest of all."""
        peaks = self.capture.peak_memory_by_container
        peaks[container] = max(peaks.get(container, value), value)
        self.capture.peak_memory_bytes = max(self.capture.peak_memory_bytes or 0, value)

    def _relevant(self, event: dict[str, Any]) -> bool:
        name = str(eventlib.about(event).get("name", ""))
        return name == self.job_name or name in self.capture.pods or name.startswith(self.job_name + "-")

    def _drain(self) -> None:
        """Let stream threads finish writing (they stop at `_halt`), then handle what they queued."""
        for thread in list(self._streams.values()):
            thread.join(timeout=5.0)
        while True:
            try:
                kind, payload = self._queue.get_nowait()
            except queue.Empty:
                break
            if kind != "error" or not self.capture.finished:
                self._handle(kind, payload)

    def _final_reads(self) -> None:
        """One last list of the events (a watch may have missed some) and the Node OOM events of our nodes."""
        try:
            for event in self.kube.list_events(self.namespace):
                if self._relevant(event):
                    self.capture.events[eventlib.key(event)] = event
            nodes = {(p.get("spec") or {}).get("nodeName") for p in self.capture.pods.values()} - {None, ""}
            for node in sorted(str(n) for n in nodes):
                for event in self.kube.list_events(
                    None, field_selector=f"involvedObject.kind=Node,involvedObject.name={node}"
                ):
                    if event.get("reason") in eventlib.NODE_REASONS:
                        self.capture.events[eventlib.key(event)] = event
        except DoctorError as exc:
            self.capture.notes.append(f"final event list failed: {exc}")

    def _write_pods(self) -> None:
        items = list(self.capture.pods.values())
        bundle_io.write_json(self.root, "pods.json", {"apiVersion": "v1", "kind": "List", "items": items})

    def _write_all(self) -> None:
        if self.capture.job is not None:
            bundle_io.write_json(self.root, "job.json", self.capture.job)
        self._write_pods()
        bundle_io.write_json(
            self.root, "events.json", eventlib.event_list(eventlib.merged(self.capture.events.values()))
        )
        if self.capture.metrics:
            bundle_io.write_json(self.root, "metrics.json", self.capture.metrics)

