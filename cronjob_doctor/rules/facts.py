"""Normalise a Bundle into facts the rules judge: terminations, waits, pod and Job conditions, events, log lines
(signature matches on each line's first 4 KiB, report rows skipped), the `set -x` trace, how each script treats
failures, sidecars (sidecars.py), memory samples against the limit, and durations against the deadline.

Facts are read from the API's own JSON shapes (core/v1 and events.k8s.io/v1 alike); nothing here decides a
verdict, touches a client or reads the clock. `facts_of(bundle)` computes them once per bundle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.debugjob.sampler import MARKER, TOKEN_ANNOTATION, MemorySample, above_limit, parse_sample
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s import events as eventlib
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import annotations_of, as_dicts, labels_of, name_of, namespace_of, status
from cronjob_doctor.k8s.pods import Termination, Waiting
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.k8s.shell import ScriptOptions, script_options, shell_script
from cronjob_doctor.managed import ORIGINAL_LIMITS_ANNOTATION, SOURCE_LABEL
from cronjob_doctor.rules import sidecars
from cronjob_doctor.rules.sidecars import Sidecar
from cronjob_doctor.rules.signatures import Signature, candidates, seen


@dataclass(frozen=True)
class Condition:
    """A Pod or Job condition; `owner` is `pod NAME` or `job NAME`."""

    owner: str
    type: str
    status: str
    reason: str
    message: str

    def describe(self) -> str:
        msg = f": {self.message}" if self.message else ""
        return f"{self.owner} condition {self.type}={self.status} reason {self.reason or '-'}{msg}"


@dataclass(frozen=True)
class Event:
    """One event, whichever API group wrote it."""

    index: int
    reason: str
    message: str
    type: str
    kind: str
    name: str
    count: int = 1
    when: str = ""
    """The latest time the event carries (RFC 3339), empty when it carries none."""
    since: str = ""
    """The earliest time it carries: a repeated event happened from `since` to `when`."""

    @property
    def source(self) -> str:
        return f"events.json[{self.index}]"

    def describe(self) -> str:
        times = f" (x{self.count})" if self.count > 1 else ""
        return (
            f"{self.type or 'Normal'} {self.reason} {self.kind.lower() or 'object'}/{self.name}{times}: {self.message}"
        )


@dataclass(frozen=True)
class TraceLine:
    """A `set -x` trace line: `+ cmd` has depth 1, `++ cmd` (command substitution) depth 2."""

    source: str
    number: int
    depth: int
    command: str
    log_key: tuple[str, str, bool]


@dataclass(frozen=True)
class Match:
    """A log line that matched a known signature."""

    signature: Signature
    source: str
    number: int
    text: str
    log_key: tuple[str, str, bool]
    groups: dict[str, str] = field(default_factory=dict)
    transient: bool = False
    """The line itself says the tool will retry (`retrying`, `will retry`, `attempt 2 of 5`)."""

    @property
    def where(self) -> str:
        return f"{self.source}:{self.number}"

    @property
    def is_error(self) -> bool:
        """A failure text (not a line that says a retry recovered)."""
        return self.signature.verdict != "recovered"


@dataclass(frozen=True)
class JobRecord:
    """One Job (the bundle's own, or one of jobs.json) reduced to what history rules need."""

    name: str
    outcome: str
    """`succeeded`, `failed` or `running`."""
    reason: str | None
    failed_pods: int
    duration_seconds: float | None
    active_deadline_seconds: int | None
    conditions: tuple[Condition, ...] = ()
    start_time: str | None = None


@dataclass
class ContainerMemory:
    """One container's memory: its own measured peak, its limit in the bundle's spec and its original limit
    (production's, from meta.json or the debug Job's annotation). A peak is judged against its own container's
    limit only: with several containers, one container's peak says nothing about another's limit."""

    peak: int | None = None
    peak_source: str | None = None
    limit: int | None = None
    """The limit in the spec the bundle holds (a debug run's raised limit, or production's)."""
    limit_source: str | None = None
    original: int | None = None
    """Production's limit when the bundle is a debug run that changed it, else the same as `limit`."""
    original_source: str | None = None
    recorded: bool = False
    """`original` comes from the debug run's record (meta.json, the Job's annotation), not from the spec."""
    unlimited: bool = False
    """Production ran the container without a memory limit (the debug run's record says so)."""


@dataclass
class Facts:
    """Everything the rules judge, in one place."""

    namespace: str | None = None
    cronjob_name: str | None = None
    job_name: str | None = None
    terminations: list[Termination] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    pod_conditions: list[Condition] = field(default_factory=list)
    pod_status: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(pod, phase, status.reason, status.message) per pod."""
    pod_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted_pods: list[str] = field(default_factory=list)
    job: JobRecord | None = None
    history: list[JobRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    trace: list[TraceLine] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)
    last_lines: dict[tuple[str, str, bool], list[tuple[str, int, str]]] = field(default_factory=dict)
    """Per log: the last few ordinary lines (source, number, text), for script-error evidence."""
    log_line_counts: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    peak_memory_bytes: int | None = None
    """The highest peak of any container; rules judge a container's own (`memory_of`)."""
    peak_memory_source: str | None = None
    memory_limit_bytes: int | None = None
    """The main container's limit in the bundle's spec."""
    memory_limit_source: str | None = None
    original_limit_bytes: int | None = None
    """The main container's original limit (its current one when the bundle does not say)."""
    original_limit_source: str | None = None
    memory: dict[str, ContainerMemory] = field(default_factory=dict)
    """Container name (app and init) -> its own peak, limit and original limit."""
    containers: list[dict[str, Any]] = field(default_factory=list)
    """The pod template's containers (from the pod, the Job or the CronJob), for remediation."""
    image: str | None = None
    logs_present: bool = False
    sidecars: dict[tuple[str, str], Sidecar] = field(default_factory=dict)
    """(pod, container) -> the sidecar it is; its log and its ending are not the job's."""
    scripts: dict[str, ScriptOptions] = field(default_factory=dict)
    """container -> how its `sh -c` script treats failures, from the pod template."""
    log_lines: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    """Per log: the number of its last non-empty line."""
    notes: list[str] = field(default_factory=list)
    """What the reader should know that is not evidence: memory samples ignored as noise, lines that only look
    like samples. The engine adds them to the verdict's notes."""

    # ------------------------------------------------------------------ helpers for rules

    def failed_terminations(self) -> list[Termination]:
        """Terminations that failed, except sidecars stopped after the job's own containers ended."""
        return [t for t in self.terminations if t.failed and not self.is_shutdown(t)]

    def is_sidecar(self, pod: str, container: str) -> bool:
        return (pod, container) in self.sidecars

    def is_shutdown(self, term: Termination) -> bool:
        """A sidecar that ended (any exit) once the job's own containers had ended: not the failure."""
        car = self.sidecars.get((term.pod, term.container))
        return car is not None and car.termination is term

    def shutdowns(self) -> list[Sidecar]:
        """Sidecars that ended non-zero once the job's own containers had ended."""
        return [c for c in self.sidecars.values() if c.termination is not None and c.termination.failed]

    def held(self) -> list[Sidecar]:
        """Sidecars still running after the job's own containers succeeded: they keep the pod (and Job) open."""
        return [c for c in self.sidecars.values() if c.running and c.why in ("held", "image", "outlived")]

    def job_matches(self) -> list[Match]:
        """Log signature matches of the job's own containers (a proxy's or log shipper's log is not the job's)."""
        return [m for m in self.matches if not self.is_sidecar(m.log_key[0], m.log_key[1])]

    def memory_of(self, container: str | None) -> ContainerMemory:
        """A container's own memory facts (all unknown for a container the bundle does not show)."""
        return self.memory.get(container or "") or ContainerMemory()

    def main_container(self) -> str | None:
        for term in self.failed_terminations():
            if not term.init:
                return term.container
        return str(self.containers[0].get("name")) if self.containers else None

    def trace_before(self, log_key: tuple[str, str, bool] | None, number: int | None) -> TraceLine | None:
        """The last `+` trace command before line `number` of a log (or the last of all when not given)."""
        best: TraceLine | None = None
        for line in self.trace:
            if log_key is not None and line.log_key != log_key:
                continue
            if number is not None and line.number >= number:
                continue
            if best is None or line.number > best.number:
                best = line
        return best

    def last_trace(self) -> TraceLine | None:
        """The last trace command of the log that failed (the main container's current or previous log)."""
        container = self.main_container()
        keyed = [t for t in self.trace if container is None or t.log_key[1] == container]
        return keyed[-1] if keyed else (self.trace[-1] if self.trace else None)

    def events_with(self, *reasons: str) -> list[Event]:
        return [e for e in self.events if e.reason in reasons]

    def job_failed(self) -> bool:
        return self.job is not None and self.job.outcome == "failed"

    def job_succeeded(self) -> bool:
        return self.job is not None and self.job.outcome == "succeeded"

    def workload_failed(self) -> bool:
        """The Job failed, or (no Job in the bundle) some container failed or some pod failed."""
        if self.job is not None and self.job.outcome != "running":
            return self.job.outcome == "failed"
        return bool(self.failed_terminations()) or any(phase == "Failed" for _, phase, _, _ in self.pod_status)


# ---------------------------------------------------------------------------------------------- building

_CACHE: list[tuple[Bundle, Facts]] = []
_CACHE_SIZE = 16


def facts_of(bundle: Bundle) -> Facts:
    """Compute (once per bundle object) the facts of a bundle."""
    for cached, facts in _CACHE:
        if cached is bundle:
            return facts
    facts = _build(bundle)
    _CACHE.append((bundle, facts))
    del _CACHE[:-_CACHE_SIZE]
    return facts


EXCERPT_CONTEXT = 160
"""Characters kept either side of a match in its evidence: a report quotes the error, not a 4 KiB line."""


def _excerpt(line: str, found: re.Match[str]) -> str:
    """The matched text with up to EXCERPT_CONTEXT characters of the line either side, `…` where it was cut."""
    start, end = max(0, found.start() - EXCERPT_CONTEXT), min(len(line), found.end() + EXCERPT_CONTEXT)
    return f"{'… ' if start else ''}{line[start:end].strip()}{' …' if end < len(line) else ''}".strip()


def _build(bundle: Bundle) -> Facts:
    facts = Facts()
    _names(bundle, facts)
    for pod in bundle.pods:
        _pod(pod, facts)
    if bundle.job:
        facts.job = job_record(bundle.job)
    facts.history = [job_record(j) for j in bundle.jobs]
    facts.events = list(_events(bundle.events))
    _containers(bundle, facts)
    _limits(bundle, facts)
    _scripts(bundle, facts)
    for pod in bundle.pods:
        facts.sidecars.update(sidecars.classify(pod, facts.terminations))
    token = sampler_token(bundle)
    for log in bundle.logs:
        _scan_log(log, facts, token=token, limit=_limit_of(bundle, log.pod, log.container))
    _metrics(bundle, facts)
    return facts


def _names(bundle: Bundle, facts: Facts) -> None:
    if bundle.cronjob:
        facts.cronjob_name = name_of(bundle.cronjob) or None
        facts.namespace = namespace_of(bundle.cronjob) or None
    if bundle.job:
        facts.job_name = name_of(bundle.job) or None
        facts.namespace = facts.namespace or namespace_of(bundle.job) or None
        facts.cronjob_name = facts.cronjob_name or _cronjob_of(bundle.job)
    for pod in bundle.pods:
        facts.namespace = facts.namespace or namespace_of(pod) or None
        facts.job_name = facts.job_name or podlib.job_name_of(pod)
    for job in bundle.jobs:
        facts.cronjob_name = facts.cronjob_name or _cronjob_of(job)
    if not facts.cronjob_name and facts.job_name:
        # Jobs a CronJob creates are named <cronjob>-<scheduled time>; the debug Job <cronjob>-doctor-<id>.
        match = re.match(r"^(.*?)-doctor-[a-z0-9]+$", facts.job_name)
        facts.cronjob_name = match.group(1) if match else joblib.cronjob_prefix(facts.job_name, min_digits=6)


def _cronjob_of(job: dict[str, Any]) -> str | None:
    """The owning CronJob, or the one a debug Job was cloned from."""
    return joblib.cronjob_of(job) or labels_of(job).get(SOURCE_LABEL) or None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _pod(pod: dict[str, Any], facts: Facts) -> None:
    name = name_of(pod) or "?"
    facts.pod_labels[name] = labels_of(pod)
    if podlib.is_deleted(pod):
        facts.deleted_pods.append(name)
    reason, message = podlib.pod_reason(pod)
    facts.pod_status.append((name, podlib.phase(pod), reason or "", message or ""))
    for cond in as_dicts(status(pod).get("conditions")):
        facts.pod_conditions.append(
            Condition(f"pod {name}", str(cond.get("type") or ""), str(cond.get("status") or ""),
                      str(cond.get("reason") or ""), str(cond.get("message") or ""))
        )
    facts.terminations += podlib.terminations(pod)
    facts.waiting += podlib.waitings(pod, starting=True)


def job_record(job: dict[str, Any]) -> JobRecord:
    """Reduce a batch/v1 Job to its outcome, reason, failed pod count and duration (k8s.jobs semantics)."""
    name = name_of(job) or "?"
    conditions = tuple(
        Condition(f"job {name}", str(c.get("type") or ""), str(c.get("status") or ""), str(c.get("reason") or ""),
                  str(c.get("message") or ""))
        for c in as_dicts(status(job).get("conditions"))
    )
    state = joblib.outcome(job)
    return JobRecord(name, state if state != joblib.SUSPENDED else joblib.RUNNING, joblib.failure_reason(job)[0],
                     joblib.failed_pods(job), joblib.duration_seconds(job), joblib.active_deadline_seconds(job),
                     conditions, str(status(job).get("startTime") or "") or None)


def _events(raw: Iterable[dict[str, Any]]) -> Iterable[Event]:
    for index, ev in enumerate(raw):
        obj = eventlib.about(ev)
        yield Event(index, str(ev.get("reason") or ""), eventlib.message(ev), str(ev.get("type") or ""),
                    str(obj.get("kind") or ""), str(obj.get("name") or ""), eventlib.count(ev), eventlib.when(ev),
                    eventlib.since(ev))


def _containers(bundle: Bundle, facts: Facts) -> None:
    """The containers as the pods ran them, else as the Job or the CronJob templates them."""
    spec: dict[str, Any] = {}
    for candidate in [*bundle.pods, bundle.job, bundle.cronjob]:
        spec = templates.pod_spec(candidate)
        if spec.get("containers"):
            break
    facts.containers = templates.containers(spec, init=False)
    if facts.containers:
        facts.image = facts.containers[0].get("image")


def _limits(bundle: Bundle, facts: Facts) -> None:
    """Every container's limit in the bundle's spec and its original limit; the main container's in the scalars."""
    spec_file = "pods.json" if bundle.pods else ("job.json" if bundle.job else "cronjob.json")
    spec: dict[str, Any] = {}
    for candidate in [*bundle.pods, bundle.job, bundle.cronjob]:
        spec = templates.pod_spec(candidate)
        if spec.get("containers"):
            break
    originals, original_file = _originals(bundle)
    app = [str(c.get("name") or "") for c in facts.containers]
    for c in templates.containers(spec):
        name = str(c.get("name") or "")
        memory = facts.memory.setdefault(name, ContainerMemory())
        memory.limit = templates.memory_limit_bytes(c)
        memory.limit_source = spec_file if memory.limit is not None else None
        recorded, value = _original_of(originals, name, only=app == [name])
        memory.unlimited = memory.recorded = recorded and value is None
        if value:
            try:
                memory.original, memory.original_source = parse_bytes(str(value)), original_file
                memory.recorded = True
            except InputError:
                memory.original = None
        if memory.original is None:
            memory.original, memory.original_source = memory.limit, memory.limit_source
    container = facts.main_container()
    for c in facts.containers:
        if container is None or c.get("name") == container:
            memory = facts.memory_of(str(c.get("name") or ""))
            facts.memory_limit_bytes, facts.memory_limit_source = memory.limit, memory.limit_source
            facts.original_limit_bytes, facts.original_limit_source = memory.original, memory.original_source
            break


def _originals(bundle: Bundle) -> tuple[Any, str]:
    """The original limits diagnose recorded: meta.json's `original_limits`, else the debug Job's annotation."""
    originals: Any = bundle.meta.get("original_limits")
    if originals:
        return originals, "meta.json"
    raw = annotations_of(bundle.job).get(ORIGINAL_LIMITS_ANNOTATION) if bundle.job else None
    try:
        return (json.loads(raw) if raw else None), "job.json"
    except ValueError:
        return None, "job.json"


def _original_of(originals: Any, container: str, *, only: bool) -> tuple[bool, Any]:
    """Whether the recorded originals name the container, and its original limit ({container: limit, None when
    it had none}; older bundles: one limit, or {"memory": limit}, meant for the only container)."""
    value: Any = None
    recorded = False
    if isinstance(originals, dict):
        recorded = container in originals
        value = originals.get(container) if recorded else (originals.get("memory") if only else None)
        if value is None and only and len(originals) == 1:
            value = next(iter(originals.values()))
        if isinstance(value, dict):
            value = value.get("memory")
    elif isinstance(originals, str) and only:
        value = originals
    return recorded, value


def _scripts(bundle: Bundle, facts: Facts) -> None:
    """How each container's `sh -c` script treats failures (errexit, pipefail, pipelines)."""
    for candidate in [*bundle.pods, bundle.job, bundle.cronjob]:
        for c in templates.containers(templates.pod_spec(candidate)):
            name = str(c.get("name") or "")
            script = shell_script(c)
            if name not in facts.scripts and script is not None:
                facts.scripts[name] = script_options(script)


_TRACE = re.compile(r"^(\++) (.*)$")
_KEEP_LAST = 8
# Rows of a scanner's or benchmark's report: findings printed by design, not the run's own errors.
_REPORT_ROW = re.compile(
    r"^\s{0,8}(?:\[(?:FAIL|WARN|PASS|INFO|SKIP|NOTE|MANUAL)\]|(?:FAIL|PASS|WARN) - |[│┃║|]|[✓✗✔✘]\s)|"
    r"\bCVE-\d{4}-\d{3,}|\bGHSA-[0-9a-z]{4}-")
_TRANSIENT = re.compile(r"\bretrying\b|\bwill retry\b|\bretry(?:ing)? in\b|\bretries left\b|\btrying again\b|"
                        r"\battempt \d{1,4} ?(?:of|/) ?\d{1,4}\b", re.IGNORECASE)


def sampler_token(bundle: Bundle) -> str | None:
    """The token of the run's memory sampler: meta.json's `sampler_token`, else the debug Job's annotation. A
    bundle with neither (a production Job's, or one written before tokens) has no trusted samples."""
    value = bundle.meta.get("sampler_token") or annotations_of(bundle.job).get(TOKEN_ANNOTATION)
    return str(value) if value else None


def _limit_of(bundle: Bundle, pod: str, container: str) -> int | None:
    """The memory limit of the container that wrote a log: its own pod's spec, else the Job's or CronJob's."""
    own = [p for p in bundle.pods if name_of(p) == pod]
    for candidate in [*own, *bundle.pods, bundle.job, bundle.cronjob]:
        found = templates.container_named(templates.pod_spec(candidate), container)
        if found is not None:
            return templates.memory_limit_bytes(found)
    return None


def _take_peak(facts: Facts, container: str, value: int, where: str) -> None:
    """A measured peak of one container: its own peak, and the highest of all."""
    memory = facts.memory.setdefault(container, ContainerMemory())
    if memory.peak is None or value > memory.peak:
        memory.peak, memory.peak_source = value, where
    if facts.peak_memory_bytes is None or value > facts.peak_memory_bytes:
        facts.peak_memory_bytes, facts.peak_memory_source = value, where


def _take_sample(sample: MemorySample, facts: Facts, container: str, where: str) -> None:
    if sample.highest is not None:
        _take_peak(facts, container, sample.highest, where)


def _scan_log(log: LogFile, facts: Facts, *, token: str | None = None, limit: int | None = None) -> None:
    key = (log.pod, log.container, log.previous)
    source = log.source
    tail: list[tuple[str, int, str]] = []
    count = 0
    noise: list[tuple[int, int]] = []
    lookalikes = 0
    for line in log.lines():
        count += 1
        text = line.text
        if MARKER in text:
            # Only the sampler knows the run's token: a line without it is the workload's, shown and judged.
            sample = parse_sample(text, token)
            if sample is None:
                lookalikes += 1
            elif above_limit(sample, limit):
                noise.append((line.number, sample.highest or 0))
            else:
                _take_sample(sample, facts, log.container, f"{source}:{line.number}")
            if sample is not None:
                text = sample.before  # the script's unfinished output the sampler's line was written after
                if not text.strip():
                    continue
        trace = _TRACE.match(text)
        if trace:
            facts.trace.append(TraceLine(source, line.number, len(trace.group(1)), trace.group(2), key))
            continue
        if not text.strip():
            continue
        facts.log_lines[key] = line.number
        tail.append((source, line.number, text))
        del tail[:-_KEEP_LAST]
        head = seen(text)
        if _REPORT_ROW.search(head):
            continue
        for sig in candidates(head):
            found = sig.pattern.search(head)
            if found:
                groups = {k: v for k, v in found.groupdict().items() if v is not None}
                facts.matches.append(Match(sig, source, line.number, _excerpt(head, found), key, groups,
                                           transient=bool(_TRANSIENT.search(head))))
                break
    if noise:
        number, value = noise[0]
        facts.notes.append(
            f"{source}: {len(noise)} memory sample(s) above container {log.container}'s limit "
            f"{format_bytes(limit or 0)} ignored as noise (impossible under a cgroup limit; first at line {number}: "
            f"{value} bytes)"
        )
    if lookalikes:
        why = "do not carry this run's sampler token" if token else "come from a run with no sampler token on record"
        facts.notes.append(
            f"{source}: {lookalikes} line(s) look like memory samples but {why}: read as ordinary log lines"
        )
    facts.log_line_counts[key] = count
    facts.last_lines[key] = tail
    facts.logs_present = facts.logs_present or count > 0


def _metrics(bundle: Bundle, facts: Facts) -> None:
    """Metrics-API samples, per container: the flat `{"pod", "container", "bytes"}` rows, or PodMetrics as the
    API serves them (`containers[].usage.memory`), which is what diagnose's capture writes."""
    main = facts.main_container() or ""
    for index, sample in enumerate(bundle.metrics):
        where = f"metrics.json[{index}]"
        value = _int(sample.get("bytes"))
        if value is not None:
            _take_peak(facts, str(sample.get("container") or main), value, where)
            continue
        for item in sample.get("containers") or []:
            if not isinstance(item, dict):
                continue
            try:
                used = parse_bytes(str((item.get("usage") or {}).get("memory")))
            except InputError:
                continue
            _take_peak(facts, str(item.get("name") or main), used, where)
