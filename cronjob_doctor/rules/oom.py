"""The `oom` family, `detail` saying which form: `container`/`init` (OOMKilled), `child` (a process killed while the
main one lived on: `Killed`, or OOMKilled with its own exit code), `node` (SystemOOM), `runtime` (the JVM's,
Node's, Go's, ... own out-of-memory error: fix the heap setting), `exit-137` (SIGKILL that the pod's spec and
status leave unexplained: no probe, deadline, deletion or eviction), `near-limit`. 137 alone is not OOM.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.pods import Termination
from cronjob_doctor.k8s.time import parse_time
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import (
    decisive,
    during,
    family_matches,
    log_confidence,
    match_evidence,
    step_for,
    term_evidence,
    trace_evidence,
)
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Event, Facts, Match, facts_of

NEAR_LIMIT = 0.95


def memory_fix(facts: Facts, container: str | None, *, peak: int | None, limit: int | None) -> list[str]:
    """The limit to set for `container` (its own peak x1.5 rounded to 64Mi; without a peak, twice its `limit`)
    as a kubectl patch and YAML."""
    new = remediation.suggested_limit(peak, limit)
    if new is None:
        return ["set a memory limit with headroom over the measured peak (measure it: "
                f"cronjob-doctor diagnose {facts.namespace or 'NAMESPACE'}/{facts.cronjob_name or 'CRONJOB'})"]
    basis = (f"measured peak {remediation.memory_text(peak)} x{remediation.HEADROOM}"
             if peak else "twice the current limit; measure the peak to tighten it")
    whose = f" of container {container}" if container and _several(facts) else ""
    out = [f"raise the memory limit{whose} to {new} ({basis}, rounded up to 64Mi)"]
    out += remediation.memory_limit_patch(name=facts.cronjob_name, namespace=facts.namespace,
                                          container=container, limit=new)
    return out


def container_fix(facts: Facts, container: str | None) -> list[str]:
    """`memory_fix` from the container's own peak and limit (its original limit when the bundle is a debug run)."""
    memory = facts.memory_of(container)
    return memory_fix(facts, container, peak=memory.peak, limit=memory.original or memory.limit)


def _several(facts: Facts) -> bool:
    """The pod has more than one app container: a memory statement must say whose memory it is."""
    return len(facts.containers) > 1


_RUNTIME_FIX = {
    "jvm-oom": "the JVM ran out of heap: size the heap to the container (JAVA_TOOL_OPTIONS=\"-XX:MaxRAMPercentage=75\" "
               "or an explicit -Xmx below the limit) and raise the limit if the work needs more",
    "spark-driver-memory": "Spark's driver heap is too small: set spark.driver.memory (--driver-memory) and give the "
                           "container at least that plus overhead as its memory limit",
    "node-heap": "Node.js hit its own heap limit, which ignores the container's: set NODE_OPTIONS="
                 "\"--max-old-space-size=<about 75% of the limit in MiB>\" and raise the limit if needed",
    "go-oom": "the Go runtime could not allocate: raise the memory limit, and set GOMEMLIMIT (about 90% of the "
              "limit) so the GC works before the limit is reached",
    "dotnet-oom": ".NET ran out of memory: set DOTNET_GCHeapHardLimitPercent (or GCHeapHardLimit) below the limit, "
                  "and raise the limit if the work needs more",
    "php-oom": "PHP's memory_limit was exhausted: raise memory_limit (php.ini or -d memory_limit=...) within the "
               "container's limit",
    "python-oom": "the Python process could not allocate: process the data in chunks or streams, and raise the "
                  "memory limit",
    "cuda-oom": "the GPU ran out of memory: lower the batch size or use a GPU with more memory (this is not the "
                "container's memory limit)",
}


def _memory_evidence(facts: Facts, container: str | None) -> list[Evidence]:
    """The container's own measured peak, original limit and current limit."""
    memory = facts.memory_of(container)
    whose = f" of container {container}" if container and _several(facts) else ""
    out = []
    if memory.peak is not None:
        out.append(Evidence(memory.peak_source or "memory samples",
                            f"peak memory{whose} {remediation.memory_text(memory.peak)}"))
    if memory.original is not None and memory.original != memory.limit:
        out.append(Evidence(memory.original_source or "meta.json",
                            f"original memory limit{whose} {remediation.memory_text(memory.original)}"))
    if memory.limit is not None:
        out.append(Evidence(memory.limit_source or "pods.json",
                            f"container {container or '?'} limits.memory {remediation.memory_text(memory.limit)}"))
    return out


def _download_fix(facts: Facts, container: str | None) -> list[str]:
    """Bake the container's own run-time downloads into its own image (another container's are not its memory)."""
    own = [t.command for t in facts.trace if t.log_key[1] == container]
    commands = own or [t.command for t in facts.trace]
    spec = next((c for c in facts.containers if c.get("name") == container), None)
    image = spec.get("image") if spec is not None and own else facts.image
    baked = remediation.bake_into_image(image=image, commands=commands)
    if baked:
        return ["downloads at run time cost memory (apk index, curl buffers, page cache of /tmp); " + baked[0]]
    return []


def _peak_vs_limit(facts: Facts, container: str | None) -> str:
    """`; measured peak X vs limit Y`: the container's own peak against its own (original) limit."""
    memory = facts.memory_of(container)
    limit = memory.original or memory.limit
    if memory.peak is not None and limit is not None:
        return (f"; measured peak {remediation.memory_text(memory.peak)} vs limit "
                f"{remediation.memory_text(limit)}")
    if limit is not None:
        return f" at limit {remediation.memory_text(limit)}"
    return ""


def _near(facts: Facts, container: str | None) -> bool:
    """The container's own peak reached NEAR_LIMIT of its own limit."""
    memory = facts.memory_of(container)
    limit = memory.original or memory.limit
    return memory.peak is not None and limit is not None and memory.peak >= NEAR_LIMIT * limit


def _near_limit(facts: Facts) -> str | None:
    """The container whose own peak reached NEAR_LIMIT of its own limit (the main container first)."""
    main = facts.main_container()
    names = [main] if main is not None else []
    return next((name for name in [*names, *facts.memory] if _near(facts, name)), None)


def fixes(match: Match, facts: Facts, bundle: Bundle) -> list[str]:
    """What to change for a memory failure shown by a log line."""
    if match.signature.detail == "runtime":
        return [_RUNTIME_FIX.get(match.signature.id, "the runtime ran out of memory: give it a heap setting that "
                                                     "fits the container and raise the limit")]
    return container_fix(facts, match.log_key[1]) + _download_fix(facts, match.log_key[1])


def _oom_killed(facts: Facts) -> Iterable[Finding]:
    ooms = [t for t in facts.terminations if t.reason == "OOMKilled" and not facts.is_shutdown(t)]
    if not ooms:
        return
    term = next((t for t in ooms if not t.last_state), ooms[-1])
    trace = [t for t in facts.trace if t.log_key == (term.pod, term.container, term.last_state)]
    step = trace[-1] if trace else facts.last_trace()
    evidence = [term_evidence(t) for t in ooms] + _memory_evidence(facts, term.container)
    if step is not None:
        evidence.append(trace_evidence(step))
    child = term.exit_code not in (137, None)
    if term.init:
        detail, what = "init", f"init container {term.container} was OOMKilled (exit {term.exit_code})"
    elif child:
        # The kernel killed a process in the cgroup, the main process lived on and exited with its own code.
        detail = "child"
        what = (f"a process in container {term.container} was OOM-killed (the kubelet reports OOMKilled) while "
                f"the main process lived on and exited {term.exit_code}")
    else:
        detail, what = "container", f"container {term.container} was OOMKilled (exit {term.exit_code})"
    yield Finding(
        verdict="oom", confidence=0.95, detail=detail,
        summary=f"{what}{during(step)}{_peak_vs_limit(facts, term.container)}",
        evidence=tuple(evidence),
        remediation=tuple(container_fix(facts, term.container) + _download_fix(facts, term.container)),
    )


NODE_OOM_SLACK_SECONDS = 5
"""How far apart a node's OOM event and a container's SIGKILL may be and still be one kill: event times have
one-second resolution and the kubelet records the event after it reads the kernel's log."""


def _node_oom_victim(facts: Facts, system: list[Event]) -> tuple[Event, Termination] | None:
    """The termination a node-level OOM kill explains, with its event. The kernel's OOM killer sends SIGKILL, so
    the container exited 137 (or its code is unknown); the node's event must fall within that container's run
    when both carry times (a node event names no container: a SystemOOM while another pod of the node was
    killed, or cgroup v2 nodes reporting a container's own OOM kill as SystemOOM, says nothing about a run
    that ended before or started after it); and no deletion explains the kill (a `Killing` event for the pod
    as the container ended: the Job controller stopping the pod at BackoffLimitExceeded, say)."""
    killed = {e.name: e for e in facts.events if e.reason == "Killing" and e.kind in ("", "Pod")}
    slack = NODE_OOM_SLACK_SECONDS
    for term in facts.failed_terminations():
        if term.init or term.exit_code not in (137, None):
            continue
        start, end = parse_time(term.started_at), parse_time(term.finished_at)
        stop = killed.get(term.pod)
        stopped = parse_time(stop.when) if stop is not None else None
        if stop is not None and (end is None or stopped is None or abs((stopped - end).total_seconds()) <= slack):
            continue
        for event in reversed(system):
            first, last = parse_time(event.since), parse_time(event.when)
            if end is not None and first is not None and (first - end).total_seconds() > slack:
                continue  # the node ran out of memory after this container had ended
            if start is not None and last is not None and (start - last).total_seconds() > slack:
                continue  # ... or before it started
            return event, term
    return None


def _unexplained_137(bundle: Bundle, facts: Facts) -> Termination | None:
    """A failed container that exited 137 (reason Error) that nothing else explains: the pod's spec has no
    liveness probe, the Job did not run out of its deadline, the pod was not deleted, evicted or disrupted (its
    status would say so while it exists), and the events, when captured, show no kill of another kind."""
    if not bundle.pods:
        return None  # without the pod's spec and status, a probe or a deletion cannot be ruled out
    if facts.job is not None and facts.job.reason == "DeadlineExceeded":
        return None
    if facts.deleted_pods or any(reason for _, _, reason, _ in facts.pod_status):
        return None
    if any(c.type == "DisruptionTarget" and c.status == "True" for c in facts.pod_conditions):
        return None
    if any(e.reason in ("Killing", "Unhealthy", "Evicted", "Preempted", "NodeNotReady", "TaintManagerEviction",
                        "NodeControllerEviction") for e in facts.events):
        return None
    probed = {str(c.get("name")) for c in facts.containers if c.get("livenessProbe")}
    for term in facts.failed_terminations():
        if term.exit_code == 137 and term.reason in (None, "Error") and not term.init and term.container not in probed:
            return term
    return None


class OomRule:
    id = "oom"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        found = list(_oom_killed(facts))
        if found:
            yield from found
            return
        failed = facts.workload_failed()
        runtime = [m for m in family_matches(facts, "oom") if m.signature.detail == "runtime"]
        if runtime and failed:
            match = decisive(facts, runtime)
            step = step_for(facts, match)
            evidence = [match_evidence(match)] + [term_evidence(t) for t in facts.failed_terminations()[:1]]
            evidence += _memory_evidence(facts, match.log_key[1])
            if step is not None:
                evidence.append(trace_evidence(step))
            fix = fixes(match, facts, bundle)
            raise_limit = [] if match.signature.id == "cuda-oom" else container_fix(facts, match.log_key[1])
            yield Finding(
                verdict="oom", detail="runtime", confidence=min(log_confidence(facts, match, failed=True), 0.92),
                summary=f"{match.signature.label}: the runtime ran out of its own memory{during(step)}"
                        f"{_peak_vs_limit(facts, match.log_key[1])}",
                evidence=tuple(evidence), remediation=tuple(fix + raise_limit[:1]),
            )
            return
        if not failed:
            return
        killed = [m for m in family_matches(facts, "oom") if m.signature.detail == "child"]
        near = _near_limit(facts)
        if killed:
            # The cgroup OOM killer picks the biggest process; when that is a child (curl, apk), the shell
            # survives, prints `Killed` and exits non-zero, so the container reason is Error, not OOMKilled.
            match = decisive(facts, killed)
            step = step_for(facts, match)
            evidence = [match_evidence(match)] + [term_evidence(t) for t in facts.failed_terminations()]
            container = match.log_key[1]
            evidence += _memory_evidence(facts, container)
            if step is not None:
                evidence.append(trace_evidence(step))
            yield Finding(
                verdict="oom", confidence=0.9 if _near(facts, container) else 0.82, detail="child",
                summary=f"a child process was killed (SIGKILL, `{match.text[:60]}` in the log){during(step)} while "
                        f"the container's main process lived on: the memory cgroup OOM killer picked the child"
                        f"{_peak_vs_limit(facts, container)}",
                evidence=tuple(evidence),
                remediation=tuple(container_fix(facts, container) + _download_fix(facts, container)),
            )
            return
        node_kill = _node_oom_victim(facts, facts.events_with("SystemOOM", "OOMKilling"))
        if node_kill is not None:
            # A node-level OOM kill shows as a Node event, not in the pod status.
            event, victim = node_kill
            yield Finding(
                verdict="oom", confidence=0.88 if victim.exit_code == 137 else 0.7, detail="node",
                summary=f"the node ran out of memory ({event.reason} on {event.kind.lower() or 'node'} {event.name}) "
                        f"and the kernel killed container {victim.container} (exit {victim.exit_code}); "
                        "not the container's own limit",
                evidence=(Evidence(event.source, event.describe()), term_evidence(victim)),
                remediation=("set memory requests equal to limits (Guaranteed QoS) on the node's pods so the node is "
                             "not overcommitted, reserve memory for the system (kubelet --system-reserved, eviction "
                             "thresholds), and keep the job off overloaded nodes",),
            )
            return
        if near is not None:
            step = facts.last_trace()
            memory = facts.memory_of(near)
            whose = f" in container {near}" if _several(facts) else ""
            evidence = _memory_evidence(facts, near) + [term_evidence(t) for t in facts.failed_terminations()]
            yield Finding(
                verdict="oom", confidence=0.6, detail="near-limit",
                summary=f"memory{whose} reached {remediation.memory_text(memory.peak)} of the "
                        f"{remediation.memory_text(memory.original or memory.limit)} limit before the failure"
                        f"{during(step)}",
                evidence=tuple(evidence),
                remediation=tuple(container_fix(facts, near)),
            )
            return
        term = _unexplained_137(bundle, facts)
        if term is not None:
            spec = next((c for c in facts.containers if c.get("name") == term.container), None)
            has_limit = spec is not None and templates.memory_limit(spec) is not None
            # The events, when captured, rule out the kills the pod's status does not record (a node-level kill).
            confidence = (0.62 if bundle.events else 0.55) if has_limit else 0.45
            yield Finding(
                verdict="oom", confidence=confidence, detail="exit-137",
                summary=f"container {term.container} was SIGKILLed (exit 137) and nothing else explains it: no "
                        "liveness probe in its spec, no deadline, deletion or eviction in the Job's and pod's status"
                        f"{' or the events' if bundle.events else ''}; most likely an OOM kill the runtime did not "
                        "report as OOMKilled",
                evidence=(term_evidence(term), Evidence("pods.json", f"container {term.container} has no "
                                                                     "livenessProbe; the pod has no deletion, "
                                                                     "eviction or disruption on record")),
                remediation=(f"confirm with the memory measured: cronjob-doctor diagnose "
                             f"{facts.namespace or 'NAMESPACE'}/{facts.cronjob_name or 'CRONJOB'} "
                             "--memory original,512Mi --runs 3", *container_fix(facts, term.container)),
            )
