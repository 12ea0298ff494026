"""The `scheduling` family: pods that never ran: Unschedulable (FailedScheduling: insufficient resources,
taints, selectors) or refused by a ResourceQuota at creation (FailedCreate `exceeded quota` on the Job).

A quota `forbidden` is scheduling, never permission: the API admitted the caller but the namespace is full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import facts_of

_QUOTA = re.compile(r"exceeded quota: (?P<quota>[^,]+), requested: (?P<requested>[^,]+(?:,[^,:]+=[^,]+)*), "
                    r"used: (?P<used>.+?), limited: (?P<limited>.+)$")
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


class SchedulingRule:
    id = "scheduling"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        quota = [e for e in facts.events if e.reason == "FailedCreate" and "quota" in e.message]
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
        events = [e for e in facts.events if e.reason == "FailedScheduling"]
        if not conds and not events:
            return
        started = any(not t.init for t in facts.terminations)
        message = (events[-1].message if events else "") or (conds[-1].message if conds else "")
        evidence = [Evidence("pods.json", c.describe()) for c in conds]
        evidence += [Evidence(e.source, e.describe()) for e in events[-2:]]
        yield Finding(
            verdict="scheduling", detail="unschedulable",
            confidence=(0.93 if conds else 0.85) if not started else 0.4,
            summary=f"the pod was never scheduled: {message}",
            evidence=tuple(evidence), remediation=(_unschedulable_fix(message),),
        )
