"""Normalise a Bundle into facts the rules judge: terminations, waits, pod and Job conditions, events, log lines,
the `set -x` trace, memory samples against the limit, and durations against the deadline.

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
from cronjob_doctor.debugjob.sampler import is_sample_line, parse_sample
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s import events as eventlib
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import annotations_of, as_dict, as_dicts, labels_of, name_of, namespace_of, status
from cronjob_doctor.k8s.pods import Termination, Waiting
from cronjob_doctor.k8s.quantity import parse_bytes
from cronjob_doctor.k8s.shell import shell_script
from cronjob_doctor.k8s.time import parse_time, seconds_between
from cronjob_doctor.managed import ORIGINAL_LIMITS_ANNOTATION, SOURCE_LABEL
from cronjob_doctor.rules.signatures import MAX_LINE, Signature, candidates


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
class Sidecar:
    """A container that runs beside the job's own: a native sidecar (init container with restartPolicy Always),
    a known proxy or log shipper, or a container that outlived the job's own containers."""

    pod: str
    container: str
    why: str
    """`native`, `image` (a known proxy or log shipper), `held` (still running after the job's own containers
    succeeded) or `outlived` (stopped by a signal right after they succeeded)."""
    running: bool
    termination: Termination | None = None


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
    peak_memory_source: str | None = None
    memory_limit_bytes: int | None = None
    memory_limit_source: str | None = None
    original_limit_bytes: int | None = None
    original_limit_source: str | None = None
    containers: list[dict[str, Any]] = field(default_factory=list)
    """The pod template's containers (from the pod, the Job or the CronJob), for remediation."""
    image: str | None = None
    logs_present: bool = False
    sidecars: dict[tuple[str, str], Sidecar] = field(default_factory=dict)
    """(pod, container) -> the sidecar it is; its log and its ending are not the job's."""
    scripts: dict[str, tuple[bool, bool, bool]] = field(default_factory=dict)
    """container -> (errexit, pipefail, has a pipeline) of its `sh -c` script, from the pod template."""
    log_lines: dict[tuple[str, str, bool], int] = field(default_factory=dict)
    """Per log: the number of its last non-empty line."""

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

    def unrecovered(self) -> list[Match]:
        """Per log of a container that exited 0: its last error line when nothing after it says it recovered.

        Recovered means: a later line says a retry succeeded; or the script runs under `set -e` and went on to
        another traced command (so the failing command was handled); or the failed command was traced again
        later; or the error was a retried one (it says so, or it repeats) and the log went on for a while."""
        out = []
        by_log: dict[tuple[str, str, bool], list[Match]] = {}
        for match in self.job_matches():
            by_log.setdefault(match.log_key, []).append(match)
        for key, found in by_log.items():
            if not self._exited_zero(key):
                continue
            errors = [m for m in found if m.is_error and m.signature.weight >= SILENT_WEIGHT]
            if not errors:
                continue
            last = errors[-1]
            if any(not m.is_error and m.number > last.number for m in found):
                continue
            errexit, pipefail, has_pipe = self.scripts.get(key[1], (False, False, False))
            later_trace = [t for t in self.trace if t.log_key == key and t.number > last.number]
            # set -x traces a pipeline's commands one by one, so the script says whether one may hide a failure.
            if errexit and later_trace and (pipefail or not has_pipe):
                continue
            step = self.trace_before(key, last.number)
            if step is not None and any(t.command == step.command for t in later_trace):
                continue  # the failed command ran again afterwards (a retry loop) and printed no error then
            went_on = self.log_lines.get(key, 0) - last.number >= 3
            repeated = sum(1 for m in errors if m.signature.id == last.signature.id) >= 2
            if went_on and (last.transient or repeated):
                continue  # a retried error (`retrying`, or the same error again and again) and then more work
            # A closing `failed` line without a cause is explained by the last earlier line that names one.
            named = [m for m in errors if m.signature.detail is not None]
            out.append(last if last.signature.detail is not None or not named else named[-1])
        return out

    def _exited_zero(self, key: tuple[str, str, bool]) -> bool:
        pod, container, previous = key
        ends = [t for t in self.terminations if t.pod == pod and t.container == container and t.last_state == previous]
        if ends:
            return all(t.exit_code == 0 for t in ends)
        return self.job_succeeded() or (not self.job and bool(self.pod_status)
                                        and all(p == "Succeeded" for _, p, _, _ in self.pod_status))

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
        _sidecars(pod, facts)
    for log in bundle.logs:
        _scan_log(log, facts)
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
                    str(obj.get("kind") or ""), str(obj.get("name") or ""), eventlib.count(ev), eventlib.when(ev))


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
    container = facts.main_container()
    spec_file = "pods.json" if bundle.pods else ("job.json" if bundle.job else "cronjob.json")
    for c in facts.containers:
        if container is None or c.get("name") == container:
            facts.memory_limit_bytes = templates.memory_limit_bytes(c)
            facts.memory_limit_source = spec_file if facts.memory_limit_bytes is not None else None
            break
    originals: Any = bundle.meta.get("original_limits")
    if not originals and bundle.job:
        raw = annotations_of(bundle.job).get(ORIGINAL_LIMITS_ANNOTATION)
        try:
            originals = json.loads(raw) if raw else None
        except ValueError:
            originals = None
    value: Any = None
    if isinstance(originals, dict):
        value = originals.get(container) if container in originals else originals.get("memory")
        if value is None and len(originals) == 1:
            value = next(iter(originals.values()))
        if isinstance(value, dict):
            value = value.get("memory")
    elif isinstance(originals, str):
        value = originals
    if value:
        try:
            facts.original_limit_bytes = parse_bytes(str(value))
            facts.original_limit_source = "meta.json" if bundle.meta.get("original_limits") else "job.json"
        except InputError:
            facts.original_limit_bytes = None
    if facts.original_limit_bytes is None:
        facts.original_limit_bytes = facts.memory_limit_bytes
        facts.original_limit_source = facts.memory_limit_source


def _scripts(bundle: Bundle, facts: Facts) -> None:
    """Whether each container's `sh -c` script stops at the first failure (errexit) and in pipelines (pipefail)."""
    for candidate in [*bundle.pods, bundle.job, bundle.cronjob]:
        for c in templates.containers(templates.pod_spec(candidate)):
            name = str(c.get("name") or "")
            if name in facts.scripts:
                continue
            script = shell_script(c)
            if script is None:
                continue
            errexit = "e" in script.flags or "errexit" in script.options or bool(_ERREXIT.search(script.text))
            pipefail = "pipefail" in script.options or bool(_PIPEFAIL.search(script.text))
            facts.scripts[name] = (errexit, pipefail, bool(_PIPE.search(script.text)))


_ERREXIT = re.compile(r"(?m)^[ \t]{0,40}set[ \t]{1,10}(?:-[a-zA-Z]{0,10}e|-o[ \t]{1,10}errexit)")
_PIPEFAIL = re.compile(r"(?m)^[ \t]{0,40}set[ \t]{1,10}[^\n]{0,40}pipefail")
_PIPE = re.compile(r"(?<![|])\|(?![|&])")

# Proxies and log shippers that run beside a job and are stopped when it ends (the repository, not the tag).
_SIDECAR_IMAGE = re.compile(
    r"(?:^|/)(?:proxyv2|linkerd2?-proxy|proxy-init|cloud-sql-proxy|gce-proxy|fluent-bit|fluentd|filebeat|"
    r"promtail|vector|opentelemetry-collector(?:-contrib)?|otelcol(?:-contrib)?|oauth2-proxy|"
    r"consul-dataplane|kuma-dp|envoy|vault-agent|datadog/agent|aws-otel-collector)(?:[:@]|$)")
_SHUTDOWN_WINDOW_SECONDS = 120.0
"""A regular container stopped by a signal this soon after the job's own containers succeeded was stopped
because they were done (a sidecar), not because it failed."""


def _repository(image: Any) -> str:
    text = str(image or "")
    return text.split("@", 1)[0].rsplit(":", 1)[0] if ":" in text.rsplit("/", 1)[-1] else text.split("@", 1)[0]


def _sidecars(pod: dict[str, Any], facts: Facts) -> None:
    """Classify the pod's sidecars from its spec and statuses (init containers with restartPolicy Always, known
    proxies and shippers, and containers that outlived the job's own), and note how each ended."""
    name = name_of(pod) or "?"
    spec = templates.pod_spec(pod)
    images = {str(c.get("name")): _repository(c.get("image")) for c in templates.containers(spec)}
    statuses = {str(item.get("name")): (as_dict(item), init) for item, init in podlib.container_statuses(pod)}
    regular = [c for c, (_, init) in statuses.items() if not init]
    terms = {t.container: t for t in facts.terminations if t.pod == name and not t.last_state}
    why: dict[str, str] = {}
    for container, (_, init) in statuses.items():
        if init and podlib.is_native_sidecar(pod, container):
            why[container] = "native"
        elif not init and len(regular) > 1 and _SIDECAR_IMAGE.search(images.get(container, "")):
            why[container] = "image"
    own = [c for c in regular if c not in why]
    succeeded = [terms[c] for c in own if c in terms and terms[c].exit_code == 0]
    if succeeded and len(succeeded) < len(own):
        # Some of the job's own containers succeeded: one still running holds the pod open, one stopped by a
        # signal right after them was stopped because they were done. Any other ending is a real failure.
        finished = max((t for t in (parse_time(t.finished_at) for t in succeeded) if t), default=None)
        rest = [c for c in own if c not in {t.container for t in succeeded}]
        kinds: dict[str, str] = {}
        for container in rest:
            state = as_dict(statuses[container][0].get("state"))
            term = terms.get(container)
            if "running" in state:
                kinds[container] = "held"
            elif term is not None and term.exit_code in (137, 143):
                gap = seconds_between(finished, parse_time(term.finished_at))
                if gap is not None and gap <= _SHUTDOWN_WINDOW_SECONDS:
                    kinds[container] = "outlived"
        if len(kinds) == len(rest):
            why.update(kinds)
    ended_own = any(c in terms for c in regular if c not in why)
    for container, kind in why.items():
        state = as_dict(statuses[container][0].get("state"))
        term = terms.get(container)
        # A sidecar's ending is not the job's failure once the job's own containers have ended.
        ended = term if term is not None and ended_own and "running" not in state else None
        facts.sidecars[(name, container)] = Sidecar(name, container, kind, "running" in state, ended)


SILENT_WEIGHT = 0.7
"""A run that exited 0 counts as failed only on a specific error text, not a generic one (a `Permission denied`
from `find /` is noise in many healthy jobs)."""
_TRACE = re.compile(r"^(\++) (.*)$")
_KEEP_LAST = 8
# Rows of a scanner's or benchmark's report: findings printed by design, not the run's own errors.
_REPORT_ROW = re.compile(
    r"^\s{0,8}(?:\[(?:FAIL|WARN|PASS|INFO|SKIP|NOTE|MANUAL)\]|(?:FAIL|PASS|WARN) - |[│┃║|]|[✓✗✔✘]\s)|"
    r"\bCVE-\d{4}-\d{3,}|\bGHSA-[0-9a-z]{4}-")
_TRANSIENT = re.compile(r"\bretrying\b|\bwill retry\b|\bretry(?:ing)? in\b|\bretries left\b|\btrying again\b|"
                        r"\battempt \d{1,4} ?(?:of|/) ?\d{1,4}\b", re.IGNORECASE)


def _scan_log(log: LogFile, facts: Facts) -> None:
    key = (log.pod, log.container, log.previous)
    source = log.source
    tail: list[tuple[str, int, str]] = []
    count = 0
    for line in log.lines():
        count += 1
        text = line.text
        if is_sample_line(text):
            sample = parse_sample(text)
            if sample and sample.highest is not None and (
                facts.peak_memory_bytes is None or sample.highest > facts.peak_memory_bytes
            ):
                facts.peak_memory_bytes = sample.highest
                facts.peak_memory_source = f"{source}:{line.number}"
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
        head = text[:MAX_LINE]
        if _REPORT_ROW.search(head):
            continue
        for sig in candidates(head):
            found = sig.pattern.search(head)
            if found:
                groups = {k: v for k, v in found.groupdict().items() if v is not None}
                facts.matches.append(Match(sig, source, line.number, head.strip(), key, groups,
                                           transient=bool(_TRANSIENT.search(head))))
                break
    facts.log_line_counts[key] = count
    facts.last_lines[key] = tail
    facts.logs_present = facts.logs_present or count > 0


def _metrics(bundle: Bundle, facts: Facts) -> None:
    for index, sample in enumerate(bundle.metrics):
        value = _int(sample.get("bytes"))
        if value is not None and (facts.peak_memory_bytes is None or value > facts.peak_memory_bytes):
            facts.peak_memory_bytes = value
            facts.peak_memory_source = f"metrics.json[{index}]"
