"""The `eviction` family: the pod was stopped from outside: node-pressure eviction, preemption, node lost or
shut down, API eviction (drain) or deletion.

Evidence: `status.reason` (Evicted, NodeLost, Terminated/Shutdown, NodeShutdown), the `DisruptionTarget` condition
and its reason, `Preempted` / `Evicted` / node-controller events, containers whose state is unknown once their node
is gone (ContainerStatusUnknown), a deletionTimestamp. A SIGKILL here is not an OOM.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules._shared import term_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import facts_of

_DISRUPTION = {
    "PreemptionByScheduler": "preemption",
    "PreemptionByKubeScheduler": "preemption",
    "DeletionByTaintManager": "node-lost",
    "EvictionByEvictionAPI": "drain",
    "DeletionByPodGC": "node-lost",
    "TerminationByKubelet": "node-pressure",
}
_FIX = {
    "node-pressure": "the node ran short of memory/disk and evicted the pod: set requests equal to limits "
                     "(Guaranteed QoS is evicted last) and size requests to the measured peak",
    "preemption": "a higher-priority pod took the node: give the CronJob a PriorityClass, or reserve capacity",
    "node-lost": "the node became unreachable or was removed: nothing in the job is wrong; let it retry "
                 "(backoffLimit) and check the node's health",
    "node-shutdown": "the node shut down (upgrade, spot/preemptible reclaim): run on stable nodes or accept a retry",
    "drain": "the pod was evicted through the Eviction API (a drain or autoscaler): add a PodDisruptionBudget or "
             "the annotation cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"",
    "deleted": "something deleted the pod while it ran (a person, a controller, Job cleanup): check the audit log",
}
_POLICY = ("so disruptions do not count against backoffLimit, add a podFailurePolicy rule "
           "{action: Ignore, onPodConditions: [{type: DisruptionTarget}]} (needs restartPolicy Never)")


class EvictionRule:
    id = "eviction"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        for pod, phase, reason, message in facts.pod_status:
            detail = None
            if reason == "Evicted":
                detail = "node-pressure"
            elif reason == "NodeLost":
                detail = "node-lost"
            elif (reason in ("Terminated", "Shutdown", "NodeShutdown") and "shutdown" in message.lower()) \
                    or reason == "NodeShutdown":
                detail = "node-shutdown"
            elif reason == "Preempting" or reason == "Preempted":
                detail = "preemption"
            if detail:
                yield Finding(
                    verdict="eviction", detail=detail, confidence=0.95,
                    summary=f"pod {pod} was {reason.lower()}: {message or detail.replace('-', ' ')}",
                    evidence=(Evidence("pods.json", f"pod {pod} phase {phase} status.reason {reason}: {message}"),),
                    remediation=(_FIX[detail], _POLICY),
                )
                return
        for cond in facts.pod_conditions:
            if cond.type == "DisruptionTarget" and cond.status == "True":
                detail = _DISRUPTION.get(cond.reason, "drain")
                if cond.reason == "TerminationByKubelet" and "shutdown" in cond.message.lower():
                    detail = "node-shutdown"
                evidence = [Evidence("pods.json", cond.describe())]
                evidence += [term_evidence(t) for t in facts.failed_terminations()[:1]]
                yield Finding(
                    verdict="eviction", detail=detail, confidence=0.93,
                    summary=f"the pod was disrupted from outside ({cond.reason}): {cond.message}",
                    evidence=tuple(evidence), remediation=(_FIX[detail], _POLICY),
                )
                return
        # The kubelet lost the container with its node (or the pod was force-deleted): its state is unknown.
        unknown = [t for t in facts.terminations if t.reason == "ContainerStatusUnknown" and not t.last_state]
        lost = [p for p, phase, _, _ in facts.pod_status if phase == "Unknown"]
        if unknown or lost:
            evidence = [term_evidence(t) for t in unknown[:2]]
            evidence += [Evidence("pods.json", f"pod {p} phase Unknown") for p in lost[:1]]
            evidence += [Evidence(e.source, e.describe()) for e in facts.events
                         if e.reason in ("NodeNotReady", "NodeControllerEviction", "TaintManagerEviction")][:2]
            yield Finding(
                verdict="eviction", detail="node-lost", confidence=0.9,
                summary="the pod's containers were lost with their node (state unknown, exit 137 reported by the "
                        "control plane, not by the container)",
                evidence=tuple(evidence), remediation=(_FIX["node-lost"], _POLICY),
            )
            return
        for event in facts.events:
            if event.reason in ("Evicted", "Preempted", "NodeNotReady", "TaintManagerEviction",
                                "NodeControllerEviction") and event.kind in ("Pod", ""):
                detail = {"Evicted": "node-pressure", "Preempted": "preemption"}.get(event.reason, "node-lost")
                yield Finding(
                    verdict="eviction", detail=detail, confidence=0.85,
                    summary=f"{event.reason}: {event.message}",
                    evidence=(Evidence(event.source, event.describe()),), remediation=(_FIX[detail], _POLICY),
                )
                return
        # A deleted pod: SIGTERM, then SIGKILL after the grace period (exit 137/143) — not an OOM.
        killing = [e for e in facts.events if e.reason == "Killing" and "liveness" not in e.message.lower()
                   and "probe" not in e.message.lower()]
        probe = any(e.reason == "Unhealthy" for e in facts.events)
        signalled = [t for t in facts.failed_terminations() if t.exit_code in (137, 143) and t.reason != "OOMKilled"]
        deadline = facts.job is not None and facts.job.reason == "DeadlineExceeded"
        if (facts.deleted_pods or killing) and signalled and not probe and not deadline:
            evidence = [Evidence("pods.json", f"pod {p} has a deletionTimestamp") for p in facts.deleted_pods]
            evidence += [Evidence(e.source, e.describe()) for e in killing[-1:]]
            evidence += [term_evidence(t) for t in signalled[:1]]
            yield Finding(
                verdict="eviction", detail="deleted", confidence=0.75,
                summary=f"the pod was deleted while it ran; container {signalled[0].container} was stopped "
                        f"(exit {signalled[0].exit_code}, SIGTERM/SIGKILL), not OOMKilled",
                evidence=tuple(evidence), remediation=(_FIX["deleted"],),
            )
