"""The `deadline` family: activeDeadlineSeconds ran out (`active-deadline`), a run hung far beyond its usual duration or
past its next schedule (`hang`: jobs.json history, JobAlreadyActive, overlapping runs), or a sidecar that never
exits holds the pod open after the job's own containers succeeded (`sidecar`). A SIGKILL (137) from the deadline
lands here, not in `oom`; a pod stuck before it started is its own rule's, the deadline only its consequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.k8s.time import parse_time, seconds_between
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules._shared import during, short, term_evidence, trace_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, JobRecord, facts_of

HANG_FACTOR = 10
HANG_MIN_SECONDS = 3600.0


def _durations(facts: Facts) -> list[float]:
    jobs = facts.history + ([facts.job] if facts.job else [])
    return [j.duration_seconds for j in jobs if j.outcome == "succeeded" and j.duration_seconds]


def _hung(facts: Facts) -> JobRecord | None:
    """The longest failed Job that ran HANG_FACTOR times its usual duration (and over an hour)."""
    usual = _durations(facts)
    typical = median(usual) if usual else None
    candidates = []
    for job in ([facts.job] if facts.job else []) + facts.history:
        if job.outcome != "failed" or not job.duration_seconds or job.reason == "DeadlineExceeded":
            continue
        if job.duration_seconds < HANG_MIN_SECONDS:
            continue
        if typical is not None and job.duration_seconds < HANG_FACTOR * typical:
            continue
        candidates.append(job)
    return max(candidates, key=lambda j: j.duration_seconds or 0.0, default=None)


_SIDECAR_FIX = (
    "make the sidecar end when the job's own container does: run it as a native sidecar (an initContainer with "
    "restartPolicy: Always, Kubernetes 1.29+), or have the job tell it to quit when done (istio: "
    "`curl -sf -XPOST http://127.0.0.1:15020/quitquitquit`, or the annotation "
    "sidecar.istio.io/inject: \"false\" on the pod template; cloud-sql-proxy: --quitquitquit; linkerd: "
    "linkerd-await --shutdown)",
    "set activeDeadlineSeconds so a held Job fails instead of blocking the CronJob's next runs",
)


def _sidecar(facts: Facts) -> Finding | None:
    """A sidecar still running after the job's own containers succeeded, holding the pod and the Job open."""
    held = facts.held()
    if not held or facts.job_succeeded():
        return None
    car = held[0]
    own = [t for t in facts.terminations if t.pod == car.pod and not t.last_state and not t.init
           and not facts.is_sidecar(t.pod, t.container)]
    done = [t for t in own if t.exit_code == 0]
    if not done or len(done) != len(own):
        return None  # the job's own container failed: that is the failure, not the sidecar
    exceeded = facts.job is not None and facts.job.reason == "DeadlineExceeded"
    evidence = [term_evidence(t) for t in done[:1]]
    evidence.append(Evidence("pods.json", f"pod {car.pod} container {car.container} still running after "
                                          f"{done[0].container} completed"))
    if facts.job is not None:
        evidence.append(Evidence("job.json", f"job {facts.job.name} {facts.job.outcome}"
                                             + (f" ({facts.job.reason})" if facts.job.reason else "")))
    ending = "until its activeDeadlineSeconds ran out" if exceeded else "so the Job never completes"
    return Finding(
        verdict="deadline", detail="sidecar", confidence=0.96 if exceeded else 0.9,
        summary=f"container {done[0].container} completed but sidecar {car.container} kept running and held the "
                f"pod open, {ending}",
        evidence=tuple(evidence), remediation=_SIDECAR_FIX,
    )


def _blocking(facts: Facts) -> Finding | None:
    """A Job still running while its CronJob's next schedules were skipped (JobAlreadyActive): it hangs."""
    job = facts.job
    if job is None or job.outcome != "running":
        return None
    skipped = [e for e in facts.events if e.reason == "JobAlreadyActive"]
    overlapping = [j for j in facts.history if j.outcome == "running" and j.name != job.name]
    if not skipped and overlapping:
        # concurrencyPolicy Allow: the next runs started beside this one instead of being skipped.
        return Finding(
            verdict="deadline", detail="hang", confidence=0.75,
            summary=f"job {job.name} is still running while {len(overlapping)} later run(s) of the CronJob also "
                    f"run: it does not finish before its next schedule{during(facts.last_trace())}",
            evidence=(Evidence("jobs.json", "running: " + ", ".join([job.name, *[j.name for j in overlapping][:3]])),),
            remediation=("bound the run with activeDeadlineSeconds (and timeouts on its network calls), and set "
                         "concurrencyPolicy: Forbid so runs do not pile up",),
        )
    if not skipped:
        return None
    event = skipped[-1]
    lasted = seconds_between(parse_time(job.start_time), parse_time(event.when))
    step = facts.last_trace()
    evidence = [Evidence(event.source, event.describe()),
                Evidence("job.json", f"job {job.name} still running (no Complete or Failed condition)")]
    if step is not None:
        evidence.append(trace_evidence(step))
    took = f" for at least {format_duration(lasted)}" if lasted else ""
    fixes = ["bound the run: set activeDeadlineSeconds (and a timeout on the command that hangs) so a stuck run "
             "fails and the next schedule starts"]
    fixes += remediation.active_deadline_patch(name=facts.cronjob_name, namespace=facts.namespace, seconds=3600)
    return Finding(
        verdict="deadline", detail="hang", confidence=0.85,
        summary=f"job {job.name} has been running{took} and the CronJob skipped {event.count} later run(s) "
                f"(concurrencyPolicy Forbid){during(step)}: the run hangs",
        evidence=tuple(evidence), remediation=tuple(fixes),
    )


class DeadlineRule:
    id = "deadline"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        held = _sidecar(facts)
        if held is not None:
            yield held
            return
        blocking = _blocking(facts)
        if blocking is not None:
            yield blocking
            return
        conds = [c for c in (facts.job.conditions if facts.job else ()) if c.type == "Failed" and c.status == "True"
                 and c.reason == "DeadlineExceeded"]
        pod_hits = [(pod, msg) for pod, _, reason, msg in facts.pod_status if reason == "DeadlineExceeded"]
        step = facts.last_trace()
        usual = _durations(facts)
        if conds or pod_hits:
            deadline = facts.job.active_deadline_seconds if facts.job else None
            evidence = [Evidence("job.json", c.describe()) for c in conds]
            evidence += [Evidence("pods.json", f"pod {pod} status.reason DeadlineExceeded: {msg}")
                         for pod, msg in pod_hits]
            # 137 here is the deadline's SIGKILL after the grace period, not an OOM kill.
            evidence += [term_evidence(t) for t in facts.failed_terminations()[:2]]
            if step is not None:
                evidence.append(trace_evidence(step))
            fixes = []
            if step is not None:
                fixes.append(f"find out why `{short(step.command)}` takes this long; give network calls a time "
                             f"limit (curl `{remediation.CURL_HARDENING}`)")
            if usual and deadline and max(usual) * 1.5 > deadline:
                fixes += remediation.active_deadline_patch(name=facts.cronjob_name, namespace=facts.namespace,
                                                           seconds=remediation.deadline_for(usual))
            elif deadline:
                fixes.append(f"if the work legitimately needs longer than {deadline}s, raise activeDeadlineSeconds")
            limit = f" of {deadline}s" if deadline else ""
            # A pod that never got going (image pull, config, scheduling) also runs out the deadline; then the
            # deadline is the consequence and the stuck state is the cause, which its own rule reports.
            stuck = [w.reason for w in facts.waiting if w.reason not in ("ContainerCreating", "PodInitializing")]
            stuck += [c.reason for c in facts.pod_conditions if c.type == "PodScheduled" and c.status == "False"]
            stuck += [f"{e.reason} ({e.message[:80]})" for e in facts.events if e.type == "Warning" and e.reason in (
                "Failed", "BackOff", "FailedScheduling", "FailedMount", "FailedCreate") and e.kind in ("Pod", "")]
            started = any(not t.init for t in facts.terminations) or facts.logs_present
            if stuck and not started:
                yield Finding(
                    verdict="deadline", detail="active-deadline", confidence=0.5,
                    summary=f"the Job ran out of its activeDeadlineSeconds{limit} while its pod was stuck in "
                            f"{stuck[0]}",
                    evidence=tuple(evidence), remediation=(f"fix what kept the pod in {stuck[0]}",),
                )
                return
            yield Finding(
                verdict="deadline", detail="active-deadline", confidence=0.95,
                summary=f"the Job ran out of its activeDeadlineSeconds{limit} and was killed{during(step)}",
                evidence=tuple(evidence), remediation=tuple(fixes or ["raise activeDeadlineSeconds or make the "
                                                                      "job faster"]),
            )
            return
        hung = _hung(facts)
        disrupted = any(c.type == "DisruptionTarget" and c.status == "True" for c in facts.pod_conditions) or any(
            reason for _, _, reason, _ in facts.pod_status)
        if hung is None or disrupted:
            return  # a pod stopped from outside explains a long failed run
        # Without history a long failed run is only a hang when its log does not end on a recognised error.
        explained = not usual and any(m.is_error for m in facts.job_matches())
        typical = median(usual) if usual else None
        evidence = [Evidence("jobs.json" if hung is not facts.job else "job.json",
                             f"job {hung.name} failed ({hung.reason or 'Failed'}) after "
                             f"{format_duration(hung.duration_seconds)}")]
        if typical is not None:
            evidence.append(Evidence("jobs.json", f"successful runs take {format_duration(typical)} (median of "
                                                  f"{len(usual)})"))
        if hung.active_deadline_seconds is None:
            evidence.append(Evidence("jobs.json", f"job {hung.name} has no activeDeadlineSeconds"))
        if step is not None:
            evidence.append(trace_evidence(step))
        seconds = remediation.deadline_for(usual) if usual else 3600
        fixes = ["set activeDeadlineSeconds so a hung run fails fast and the next schedule is not blocked"]
        fixes += remediation.active_deadline_patch(name=facts.cronjob_name, namespace=facts.namespace,
                                                   seconds=seconds)
        fixes.append(f"give every download a time limit: curl `{remediation.CURL_HARDENING}`")
        usual_text = f" (usual {format_duration(typical)})" if typical is not None else ""
        yield Finding(
            verdict="deadline", detail="hang",
            confidence=0.4 if explained else (0.8 if hung.active_deadline_seconds is None else 0.65),
            summary=f"job {hung.name} hung for {format_duration(hung.duration_seconds)}{usual_text} with no "
                    f"activeDeadlineSeconds to stop it{during(step)}",
            evidence=tuple(evidence), remediation=tuple(fixes),
        )
