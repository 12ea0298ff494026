"""The `success` family: the work was done. `retried`: the Job completed after failed attempts (their cause stays
among the findings). `sidecar-shutdown`: only a native sidecar or log shipper ended with an error, after the job's
own containers succeeded, even if that made the pod Failed. It steps back (low confidence) when the log shows an
unrecovered error (silent.py), and never calls a run successful on pod phases while its Job says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.rules._shared import term_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, facts_of
from cronjob_doctor.rules.silent import unrecovered

_SILENT = 0.45
"""Below a silent failure's confidence: the Job says Complete, its log says the work failed."""


def _sidecar_shutdown(facts: Facts) -> Finding | None:
    """The job's own containers all succeeded and only sidecars ended with an error afterwards."""
    stopped = facts.shutdowns()
    if not stopped or facts.failed_terminations():
        return None
    own = [t for t in facts.terminations
           if not t.init and not t.last_state and not facts.is_sidecar(t.pod, t.container)]
    if not own or any(t.exit_code != 0 for t in own):
        return None
    car = stopped[0]
    term = car.termination
    assert term is not None
    kind = {"native": "native sidecar (init container with restartPolicy Always)",
            "image": "proxy/log-shipper sidecar", "outlived": "sidecar"}.get(car.why, "sidecar")
    evidence = [term_evidence(t) for t in own[:1]] + [term_evidence(term)]
    if facts.job is not None:
        evidence.append(Evidence("job.json", f"job {facts.job.name} {facts.job.outcome}"))
    failed_job = facts.job is not None and facts.job.outcome == "failed"
    marked = (" Kubernetes still counted the pod as failed because of it: make the sidecar exit 0 on SIGTERM or run "
              "it as a native sidecar" if failed_job else "")
    return Finding(
        verdict="success", detail="sidecar-shutdown", confidence=0.93,
        summary=f"the job's own container {own[0].container} completed (exit 0); {kind} {car.container} ended with "
                f"{term.reason or 'an error'} (exit {term.exit_code}) when it was stopped afterwards, which is not "
                f"the failure.{marked}",
        evidence=tuple(evidence),
    )


class SuccessRule:
    id = "success"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        job = facts.job
        silent = unrecovered(facts)
        shutdown = _sidecar_shutdown(facts)
        if shutdown is not None and not silent:
            yield shutdown
            return
        if job is not None:
            if job.outcome != "succeeded":
                return
            took = f" in {format_duration(job.duration_seconds)}" if job.duration_seconds else ""
            evidence = [Evidence("job.json", c.describe()) for c in job.conditions if c.status == "True"]
            if silent:
                yield Finding(verdict="success", confidence=_SILENT,
                              summary=f"job {job.name} completed{took}, but its log shows an error nothing recovered "
                                      f"from ({silent[-1].where})",
                              evidence=tuple(evidence))
                return
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
            yield Finding(verdict="success", confidence=_SILENT if silent else 0.9,
                          summary=f"pod(s) {pods} succeeded",
                          evidence=tuple(Evidence("pods.json", f"pod {p} phase Succeeded")
                                         for p, _, _, _ in facts.pod_status))
