"""The `scheduling` family: pods that never ran. `unschedulable` (FailedScheduling, or the kubelet's admission
rejection), `quota` (a ResourceQuota or LimitRange refused the pod), `volume` (cannot bind, attach or mount),
`sandbox` (FailedCreatePodSandBox). A quota `forbidden` is not RBAC, nor is a node's denied volumeattachments
in a mount event; a mount that fails for a missing Secret or ConfigMap is config.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.config import classify
from cronjob_doctor.rules.facts import Facts, facts_of

# Bounded, unnested repeats: an event message is untrusted text, and a nested `(?:,[^,]+)*` backtracked in
# quadratic time on a long near-miss. Each value is a comma-joined list without spaces (`limits.memory=1Gi`).
_QUOTA = re.compile(r"exceeded quota: (?P<quota>[^,\s]{1,253}), requested: (?P<requested>\S{1,1024}?), "
                    r"used: (?P<used>\S{1,1024}?), limited: (?P<limited>\S{1,1024})")
_FAILED_QUOTA = re.compile(r"failed quota: (?P<quota>[^:]+): must specify (?P<what>.+)$")


def _unschedulable_fix(message: str) -> str:
    low = message.lower()
    if "insufficient memory" in low or "insufficient cpu" in low:
        return ("no node has room for the pod's requests: lower the CronJob's resources.requests to what it "
                "measurably uses, or add capacity")
    if "taint" in low:
        return "the nodes carry taints the pod does not tolerate: add the toleration or schedule elsewhere"
    if "affinity" in low or "selector" in low:
        return "no node matches the pod's nodeSelector/affinity: fix the labels or the selector"
    if "persistentvolumeclaim" in low or "volume" in low:
        return "a PersistentVolumeClaim is unbound or on another zone: check the PVC and StorageClass"
    return "read the scheduler's reasons in the event and adjust requests, selectors or tolerations"


_LIMIT_RANGE = re.compile(r"(?:maximum|minimum) \S{1,40} usage per (?:Container|Pod)|must be less than or equal to "
                          r"\S{1,40} limit|max limit to request ratio")
# The kubelet rejected the pod at admission: the scheduler placed it, the node had no room after all.
_REJECTED = ("OutOfcpu", "OutOfmemory", "OutOfpods", "OutOfephemeral-storage", "OutOfnvidia.com/gpu",
             "UnexpectedAdmissionError", "NodeAffinity", "NodeSelectorMismatching", "NodePorts")
_VOLUME_EVENTS = ("FailedAttachVolume", "FailedMount", "FailedMapVolume", "ProvisioningFailed")
_VOLUME_SCHEDULING = re.compile(r"persistentvolumeclaim|volume node affinity|volumes? to bind|bound to|"
                                r"pvc|volume", re.IGNORECASE)
_MULTI_ATTACH = re.compile(r"Multi-Attach error|already (?:used|attached|exclusively attached)", re.IGNORECASE)


def _started(facts: Facts) -> bool:
    return any(not t.init for t in facts.terminations) or facts.logs_present


def _volume(facts: Facts) -> Finding | None:
    """Volumes that could not be attached or mounted (not for a missing Secret/ConfigMap: that is config)."""
    events = [e for e in facts.events if e.reason in _VOLUME_EVENTS and classify(e.message) is None]
    if not events or _started(facts):
        return None
    multi = [e for e in events if _MULTI_ATTACH.search(e.message)]
    event = (multi or [e for e in events if e.reason != "FailedMount" or "Unable to" not in e.message] or events)[-1]
    evidence = [Evidence(e.source, e.describe()) for e in [event, *[e for e in events if e is not event][-2:]]]
    evidence += [Evidence("pods.json", w.describe()) for w in facts.waiting[:1]]
    if multi:
        fix = ("a ReadWriteOnce volume is still attached to a pod on another node: schedule the job onto that node "
               "(nodeAffinity on the node that mounts it), free the volume (stop or delete the other pod), or use a "
               "ReadWriteMany volume or a snapshot/clone for the job")
    else:
        fix = ("the volume could not be attached or mounted on the node: check the PVC and PV (kubectl describe pvc), "
               "the CSI driver's controller and node pods and their logs, and the VolumeAttachment objects "
               "(kubectl get volumeattachment); a stale attachment after a controller restart may need deleting")
    return Finding(
        verdict="scheduling", detail="volume", confidence=0.9,
        summary=f"the pod never started: its volume could not be attached or mounted ({event.reason}: "
                f"{event.message[:160]})",
        evidence=tuple(evidence), remediation=(fix,),
    )


def _sandbox(facts: Facts) -> Finding | None:
    events = [e for e in facts.events if e.reason == "FailedCreatePodSandBox"
              or (e.reason in ("Failed", "FailedCreatePodSandBox") and "pod sandbox" in e.message.lower())]
    if not events or _started(facts):
        return None
    event = events[-1]
    return Finding(
        verdict="scheduling", detail="sandbox", confidence=0.9,
        summary=f"the pod never started: the node could not create its sandbox (network/runtime): "
                f"{event.message[:200]}",
        evidence=(Evidence(event.source, event.describe()), *[Evidence("pods.json", w.describe())
                                                              for w in facts.waiting[:1]]),
        remediation=("the node's container runtime or CNI plugin failed to set up the pod (no IP address left, the "
                     "CNI agent not running or misconfigured on that node): check the CNI pods on the node "
                     "(aws-node, calico-node, cilium) and their logs, the node's IP capacity, and restart the "
                     "agent; cordon the node if it keeps failing",),
    )


def _rejected(facts: Facts) -> Finding | None:
    for pod, phase, reason, message in facts.pod_status:
        if reason in _REJECTED or reason.startswith("OutOf"):
            return Finding(
                verdict="scheduling", detail="unschedulable", confidence=0.9,
                summary=f"the node rejected pod {pod} at admission ({reason}): {message}",
                evidence=(Evidence("pods.json", f"pod {pod} phase {phase} status.reason {reason}: {message}"),),
                remediation=("the node had no room (or no matching label) when the kubelet admitted the pod, usually "
                             "after a node restart or with static pods the scheduler did not count: set requests that "
                             "fit, and let the Job retry (backoffLimit)",),
            )
    return None


class SchedulingRule:
    id = "scheduling"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        for special in (_volume(facts), _sandbox(facts), _rejected(facts)):
            if special is not None:
                yield special
                return
        quota = [e for e in facts.events if e.reason == "FailedCreate" and ("quota" in e.message
                                                                               or _LIMIT_RANGE.search(e.message))]
        if quota:
            event = quota[-1]
            found = _QUOTA.search(event.message)
            missing = _FAILED_QUOTA.search(event.message)
            ns = facts.namespace or "NAMESPACE"
            if found:
                what = (f"quota {found.group('quota')}: requested {found.group('requested')}, used "
                        f"{found.group('used')}, limited {found.group('limited')}")
                fix = (f"the namespace quota is full: lower the pod's requests/limits, free quota (finished Jobs' "
                       f"pods still count until deleted: ttlSecondsAfterFinished), or raise ResourceQuota "
                       f"{found.group('quota')} (kubectl -n {ns} describe resourcequota {found.group('quota')})")
            elif missing:
                what = f"quota {missing.group('quota')} requires {missing.group('what')}"
                fix = f"set {missing.group('what')} in the CronJob's container resources"
            elif _LIMIT_RANGE.search(event.message):
                what = event.message
                fix = (f"the namespace's LimitRange refuses the pod's resources: set requests/limits within its "
                       f"bounds (kubectl -n {ns} describe limitrange)")
            else:
                what, fix = event.message, f"check the namespace quota: kubectl -n {ns} describe resourcequota"
            yield Finding(
                verdict="scheduling", detail="quota", confidence=0.92,
                summary=f"the Job could not create its pod: {what}",
                evidence=(Evidence(event.source, event.describe()),), remediation=(fix,),
            )
            return
        conds = [c for c in facts.pod_conditions if c.type == "PodScheduled" and c.status == "False"
                 and c.reason == "Unschedulable"]
        events = [e for e in facts.events if e.reason in ("FailedScheduling", "NotTriggerScaleUp")]
        if not conds and not events:
            return
        started = any(not t.init for t in facts.terminations)
        message = (events[-1].message if events else "") or (conds[-1].message if conds else "")
        evidence = [Evidence("pods.json", c.describe()) for c in conds]
        evidence += [Evidence(e.source, e.describe()) for e in events[-2:]]
        volume = bool(_VOLUME_SCHEDULING.search(message)) and "insufficient" not in message.lower()
        yield Finding(
            verdict="scheduling", detail="volume" if volume else "unschedulable",
            confidence=(0.93 if conds else 0.85) if not started else 0.4,
            summary=f"the pod was never scheduled: {message}",
            evidence=tuple(evidence), remediation=(_unschedulable_fix(message),),
        )
