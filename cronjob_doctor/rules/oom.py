"""The `oom` family: a container (or a child process) killed for exceeding its memory limit.

Evidence: `OOMKilled` in state/lastState.terminated (Kubernetes emits no event for it), a shell's `Killed` line
for a child the cgroup OOM killer picked, memory samples against the limit, a Node `SystemOOM` event.
It must not call exit code 137 alone OOM.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import during, match_evidence, step_for, term_evidence, trace_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, facts_of

NEAR_LIMIT = 0.95


def memory_fix(facts: Facts, container: str | None) -> list[str]:
    """The limit to set (peak x1.5 rounded to 64Mi) as a kubectl patch and YAML."""
    limit = remediation.suggested_limit(facts.peak_memory_bytes, facts.original_limit_bytes or facts.memory_limit_bytes)
    if limit is None:
        return ["set a memory limit with headroom over the measured peak (measure it: "
                f"cronjob-doctor diagnose {facts.namespace or 'NAMESPACE'}/{facts.cronjob_name or 'CRONJOB'})"]
    basis = (f"measured peak {remediation.memory_text(facts.peak_memory_bytes)} x{remediation.HEADROOM}"
             if facts.peak_memory_bytes else "twice the current limit; measure the peak to tighten it")
    out = [f"raise the memory limit to {limit} ({basis}, rounded up to 64Mi)"]
    out += remediation.memory_limit_patch(name=facts.cronjob_name, namespace=facts.namespace,
                                          container=container, limit=limit)
    return out


def _memory_evidence(facts: Facts) -> list[Evidence]:
    out = []
    if facts.peak_memory_bytes is not None:
        out.append(Evidence(facts.peak_memory_source or "memory samples",
                            f"peak memory {remediation.memory_text(facts.peak_memory_bytes)}"))
    if facts.original_limit_bytes is not None and facts.original_limit_bytes != facts.memory_limit_bytes:
        out.append(Evidence(facts.original_limit_source or "meta.json",
                            f"original memory limit {remediation.memory_text(facts.original_limit_bytes)}"))
    if facts.memory_limit_bytes is not None:
        out.append(Evidence(facts.memory_limit_source or "pods.json",
                            f"container {facts.main_container() or '?'} limits.memory "
                            f"{remediation.memory_text(facts.memory_limit_bytes)}"))
    return out


def _download_fix(facts: Facts) -> list[str]:
    commands = [t.command for t in facts.trace]
    baked = remediation.bake_into_image(image=facts.image, commands=commands)
    if baked:
        return ["downloads at run time cost memory (apk index, curl buffers, page cache of /tmp); " + baked[0]]
    return []


def _peak_vs_limit(facts: Facts) -> str:
    limit = facts.original_limit_bytes or facts.memory_limit_bytes
    if facts.peak_memory_bytes is not None and limit is not None:
        return (f"; measured peak {remediation.memory_text(facts.peak_memory_bytes)} vs limit "
                f"{remediation.memory_text(limit)}")
    if limit is not None:
        return f" at limit {remediation.memory_text(limit)}"
    return ""


class OomRule:
    id = "oom"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        ooms = [t for t in facts.terminations if t.reason == "OOMKilled"]
        if ooms:
            term = next((t for t in ooms if not t.last_state), ooms[-1])
            trace = [t for t in facts.trace if t.log_key == (term.pod, term.container, term.last_state)]
            step = trace[-1] if trace else facts.last_trace()
            kind = "init container" if term.init else "container"
            evidence = [term_evidence(t) for t in ooms] + _memory_evidence(facts)
            if step is not None:
                evidence.append(trace_evidence(step))
            yield Finding(
                verdict="oom", confidence=0.95, detail="init" if term.init else "container",
                summary=f"{kind} {term.container} was OOMKilled (exit {term.exit_code}){during(step)}"
                        f"{_peak_vs_limit(facts)}",
                evidence=tuple(evidence),
                remediation=tuple(memory_fix(facts, term.container) + _download_fix(facts)),
            )
            return
        if not facts.workload_failed():
            return
        killed = [m for m in facts.matches if m.signature.id == "killed"]
        limit = facts.original_limit_bytes or facts.memory_limit_bytes
        near = (facts.peak_memory_bytes is not None and limit is not None
                and facts.peak_memory_bytes >= NEAR_LIMIT * limit)
        if killed:
            # The cgroup OOM killer picks the biggest process; when that is a child (curl, apk), the shell
            # survives, prints `Killed` and exits non-zero, so the container reason is Error, not OOMKilled.
            match = killed[-1]
            step = step_for(facts, match)
            evidence = [match_evidence(match)] + [term_evidence(t) for t in facts.failed_terminations()]
            evidence += _memory_evidence(facts)
            if step is not None:
                evidence.append(trace_evidence(step))
            yield Finding(
                verdict="oom", confidence=0.9 if near else 0.8, detail="child",
                summary=f"a child process was killed (SIGKILL, `Killed` in the log){during(step)} while the "
                        f"container reason stayed Error: the memory cgroup OOM killer picked the child"
                        f"{_peak_vs_limit(facts)}",
                evidence=tuple(evidence),
                remediation=tuple(memory_fix(facts, facts.main_container()) + _download_fix(facts)),
            )
            return
        if near:
            step = facts.last_trace()
            evidence = _memory_evidence(facts) + [term_evidence(t) for t in facts.failed_terminations()]
            yield Finding(
                verdict="oom", confidence=0.6, detail="near-limit",
                summary=f"memory reached {remediation.memory_text(facts.peak_memory_bytes)} of the "
                        f"{remediation.memory_text(limit)} limit before the failure{during(step)}",
                evidence=tuple(evidence),
                remediation=tuple(memory_fix(facts, facts.main_container())),
            )
        for event in facts.events_with("SystemOOM", "OOMKilling"):
            # A node-level OOM kill shows as a Node event, not in the pod status.
            yield Finding(
                verdict="oom", confidence=0.6, detail="node",
                summary=f"the node ran out of memory ({event.reason} on {event.name}) while the Job failed",
                evidence=(Evidence(event.source, event.describe()),),
                remediation=("set memory requests equal to limits (Guaranteed QoS) so the node does not "
                             "overcommit, and raise the limit if the job needs more",),
            )
            return
