"""The `success` family: the Job completed. A Job with status.failed > 0 and a Complete condition succeeded
on retry; the earlier attempt's cause stays among the ranked findings and is named in the summary.

It must not call a run successful on pod phases alone while its Job says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import facts_of


class SuccessRule:
    id = "success"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        job = facts.job
        if job is not None:
            if job.outcome != "succeeded":
                return
            took = f" in {format_duration(job.duration_seconds)}" if job.duration_seconds else ""
            evidence = [Evidence("job.json", c.describe()) for c in job.conditions if c.status == "True"]
            if job.failed_pods:
                evidence.append(Evidence("job.json", f"status.failed {job.failed_pods}"))
                yield Finding(
                    verdict="success", detail="retried", confidence=0.97,
                    summary=f"job {job.name} completed{took} after {job.failed_pods} failed attempt(s): the "
                            "failure is intermittent (see the other findings for the failed attempt)",
                    evidence=tuple(evidence),
                    remediation=("nothing to fix for this run; to catch the intermittent failure run "
                                 f"cronjob-doctor diagnose {facts.namespace or 'NAMESPACE'}/"
                                 f"{facts.cronjob_name or 'CRONJOB'} --runs 3",),
                )
                return
            yield Finding(verdict="success", confidence=0.97, summary=f"job {job.name} completed{took}",
                          evidence=tuple(evidence))
            return
        # No Job in the bundle (a raw pod dump): every pod succeeded and every container exited 0.
        if facts.pod_status and all(phase == "Succeeded" for _, phase, _, _ in facts.pod_status) \
                and not facts.failed_terminations():
            pods = ", ".join(p for p, _, _, _ in facts.pod_status)
            yield Finding(verdict="success", confidence=0.9, summary=f"pod(s) {pods} succeeded",
                          evidence=tuple(Evidence("pods.json", f"pod {p} phase Succeeded")
                                         for p, _, _, _ in facts.pod_status))
