"""The verdict engine: run every rule, rank the findings, and answer one Verdict (with `unknown` and what to
capture next when nothing fires). Also the reasoning over several diagnose runs (original vs raised memory).

Rules that raise do not stop the others: the failure becomes a note. No client, no clock, no printing here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.rules import RULES, remediation
from cronjob_doctor.rules._shared import term_evidence
from cronjob_doctor.rules.base import DebugRun, Evidence, Finding, Rule, Verdict
from cronjob_doctor.rules.debug_runs import limit_in, limits_of, peaks_of, run_text
from cronjob_doctor.rules.facts import Facts, facts_of
from cronjob_doctor.rules.oom import memory_fix

FAILURE_VERDICTS = frozenset({"oom", "network", "image-pull", "deadline", "permission", "config", "script-error",
                              "scheduling", "eviction"})


def run_rules(bundle: Bundle, rules: Sequence[Rule] = RULES) -> tuple[list[Finding], list[str]]:
    """Every rule's findings, ranked (confidence, then registry order), and a note per rule that raised."""
    found: list[tuple[float, int, Finding]] = []
    notes: list[str] = []
    for index, rule in enumerate(rules):
        try:
            for finding in rule.evaluate(bundle):
                found.append((-finding.confidence, index, finding))
        except Exception as exc:  # noqa: BLE001  a broken rule must not hide the others' findings
            notes.append(f"rule {rule.id} failed on this bundle: {type(exc).__name__}: {exc}")
    found.sort(key=lambda item: (item[0], item[1]))
    return [f for _, _, f in found], notes


def rank(findings: Iterable[Finding], rules: Sequence[Rule] = RULES) -> list[Finding]:
    order = {rule.id: i for i, rule in enumerate(rules)}
    return sorted(findings, key=lambda f: (-f.confidence, order.get(f.verdict, len(order))))


def _unknown(facts: Facts) -> Finding:
    """Nothing fired: say what was found and what to capture next."""
    evidence: list[Evidence] = []
    if facts.job is not None:
        evidence.append(Evidence("job.json", f"job {facts.job.name} outcome {facts.job.outcome}"
                                             + (f" ({facts.job.reason})" if facts.job.reason else "")))
    evidence += [term_evidence(t) for t in facts.terminations[:3]]
    evidence += [Evidence("pods.json", w.describe()) for w in facts.waiting[:2]]
    evidence += [Evidence(e.source, e.describe()) for e in facts.events if e.type == "Warning"][:3]
    if not facts.pod_status:
        evidence.append(Evidence("pods.json", "no pods in the bundle (deleted by Job cleanup or history limits?)"))
    if not facts.logs_present:
        evidence.append(Evidence("logs/", "no container logs in the bundle"))
    signalled = [t for t in facts.terminations if t.exit_code == 137 and t.reason != "OOMKilled"]
    summary = "no rule recognised the failure"
    if signalled:
        # 137 alone is not OOM: deadline, liveness probe and deletion also SIGKILL.
        summary += f"; exit 137 (SIGKILL) without OOMKilled in {signalled[0].container} is not proof of an OOM"
    fixes = [
        f"capture a run with its evidence: cronjob-doctor diagnose {facts.namespace or 'NAMESPACE'}/"
        f"{facts.cronjob_name or 'CRONJOB'}",
        f"keep the next failure's pods and logs: cronjob-doctor record {facts.namespace or 'NAMESPACE'}/"
        f"{facts.cronjob_name or 'CRONJOB'}",
    ]
    fixes += remediation.history_limits_patch(name=facts.cronjob_name, namespace=facts.namespace)
    return Finding(verdict="unknown", confidence=0.0, summary=summary, evidence=tuple(evidence),
                   remediation=tuple(fixes))


def failure_on_record(bundle: Bundle) -> bool | None:
    """Whether the CronJob has a failed Job on record: True when the bundle holds one (jobs.json, failed-jobs/),
    False when the record was captured with it (diagnose writes cronjob.json and jobs.json together) and shows
    none, None when the bundle does not say (a run's bundle on its own)."""
    facts = facts_of(bundle)
    if bundle.failed_jobs or any(job.outcome == "failed" for job in facts.history):
        return True
    return False if bundle.cronjob is not None else None


def _prefixed(finding: Finding, prefix: str) -> Finding:
    evidence = tuple(Evidence(f"{prefix}{e.source}", e.text) for e in finding.evidence)
    return replace(finding, evidence=evidence, summary=f"{finding.summary} [{prefix.rstrip('/')}]")


def _single(bundle: Bundle) -> tuple[list[Finding], list[str]]:
    findings, notes = run_rules(bundle)
    return findings, notes


def analyze(bundle: Bundle, *, runs: Sequence[DebugRun] | None = None) -> Verdict:
    """The verdict for one bundle (plus its failed-jobs sub-bundles and jobs.json history, and diagnose runs)."""
    return _analyze(bundle, runs=runs, judge_raised=True)


def _analyze(bundle: Bundle, *, runs: Sequence[DebugRun] | None, judge_raised: bool) -> Verdict:
    findings, notes = _single(bundle)
    facts = facts_of(bundle)
    notes += facts.notes
    earlier: list[Finding] = []
    for index, sub in enumerate(bundle.failed_jobs):
        sub_findings, sub_notes = _single(sub)
        name = sub.path.name if sub.path is not None else f"{index}"
        earlier += [_prefixed(f, f"failed-jobs/{name}/") for f in sub_findings if f.verdict in FAILURE_VERDICTS]
        notes += sub_notes
    top = findings[0] if findings else None
    if earlier and (top is None or top.verdict not in FAILURE_VERDICTS):
        # The run in this bundle did not fail; the earlier failed Jobs are the failure being diagnosed.
        ranked = rank(earlier) + findings
        if top is not None and top.verdict == "success":
            notes.append("this bundle's own run succeeded; the verdict comes from the earlier failed Job(s)")
    else:
        ranked = findings + rank(earlier)
    if not ranked:
        ranked = [_unknown(facts)]
    verdict = Verdict.from_finding(ranked[0], ranked, notes=tuple(notes))
    if verdict.verdict == "success" and ranked[0].detail == "retried":
        failed = [f for f in ranked[1:] if f.verdict in FAILURE_VERDICTS]
        if failed:
            verdict = replace(
                verdict, notes=(*verdict.notes, f"an earlier attempt failed: {failed[0].verdict} - {failed[0].summary}")
            )
    if runs:
        limit = facts.original_limit_bytes
        return judge_runs([(run, None) for run in runs], original_limit_bytes=limit, facts=facts, fallback=verdict,
                          on_record=failure_on_record(bundle))
    job = facts.job
    raised = {name: m for name, m in facts.memory.items() if m.limit and m.original and m.limit > m.original}
    if judge_raised and verdict.verdict == "success" and job is not None and raised:
        # This bundle is a debug run with raised memory that succeeded: judge it against the original limits.
        main = facts.main_container()
        name = main if main in raised else next(iter(raised))
        text = format_bytes(raised[name].limit or 0)
        run = DebugRun(job=job.name, variant=text, memory_limit=text, outcome="succeeded",
                       peak_memory_bytes=facts.peak_memory_bytes, duration_seconds=job.duration_seconds or 0.0,
                       container=name,
                       peak_memory_by_container={c: m.peak for c, m in facts.memory.items() if m.peak is not None},
                       memory_limit_by_container={c: format_bytes(m.limit) if m.limit else None
                                                  for c, m in facts.memory.items()})
        verdict = replace(judge_runs([(run, verdict)], original_limit_bytes=facts.original_limit_bytes, facts=facts,
                                     fallback=verdict, on_record=failure_on_record(bundle)), runs=())
    return verdict


def analyze_runs(bundles: list[tuple[DebugRun, Bundle]], *, original_limit_bytes: int | None,
                 on_record: bool | None = None) -> Verdict:
    """The verdict over several diagnose runs, one bundle per run (variants such as original and 512Mi).

    `on_record` says whether the CronJob has a failed Job on record; by default the run bundles are asked (a
    single run's bundle holds jobs.json and failed-jobs/; with several runs they sit in the parent directory,
    which the caller can pass on)."""
    pairs: list[tuple[DebugRun, Verdict | None]] = []
    for run, bundle in bundles:
        single = _analyze(bundle, runs=None, judge_raised=False)  # each run's own outcome, for the runs table
        facts = facts_of(bundle)
        if run.peak_memory_bytes is None and facts.peak_memory_bytes is not None:
            run = replace(run, peak_memory_bytes=facts.peak_memory_bytes)
        if not run.peak_memory_by_container and any(m.peak is not None for m in facts.memory.values()):
            # the bundle's own samples, container by container (a run recorded before per-container peaks)
            run = replace(run, peak_memory_by_container={c: m.peak for c, m in facts.memory.items()
                                                         if m.peak is not None})
        pairs.append((replace(run, verdict=single.verdict), single))
    facts = facts_of(bundles[0][1]) if bundles else Facts()
    if original_limit_bytes is None:
        original_limit_bytes = facts.original_limit_bytes
    fallback = pairs[0][1] if pairs else None
    if on_record is None:
        known = [failure_on_record(bundle) for _, bundle in bundles]
        on_record = True if True in known else (False if False in known else None)
    return judge_runs(pairs, original_limit_bytes=original_limit_bytes, facts=facts, fallback=fallback,
                      on_record=on_record)


def _in_run(run: DebugRun, evidence: Evidence) -> Evidence:
    """Evidence of one run's bundle, its source prefixed with that bundle's directory so it can be found."""
    folder = run.bundle.rstrip("/").rsplit("/", 1)[-1] if run.bundle else ""
    if not folder or evidence.source.startswith(folder + "/"):
        return evidence
    return Evidence(f"{folder}/{evidence.source}", evidence.text)


def _limit(run: DebugRun) -> int | None:
    if not run.memory_limit:
        return None
    try:
        return parse_bytes(run.memory_limit)
    except InputError:
        return None


def _run_verdict(run: DebugRun, verdict: Verdict | None) -> str | None:
    if verdict is not None:
        return verdict.verdict
    if run.verdict:
        return run.verdict
    if run.reason == "OOMKilled":
        return "oom"
    return "success" if run.outcome == "succeeded" else None


def judge_runs(pairs: list[tuple[DebugRun, Verdict | None]], *, original_limit_bytes: int | None, facts: Facts,
               fallback: Verdict | None, on_record: bool | None = None) -> Verdict:
    """DESIGN.md's reasoning: which memory variant failed or succeeded, and the measured peak vs the limit.

    Memory is judged container by container: each container's own peak (over the runs) against its own
    original limit (`facts.memory`; `original_limit_bytes` for a container the facts do not show). The verdict
    names the container killed in an original run, else the container whose peak went over its own limit.

    With no failure on record (`on_record` False: the record was read and shows none) and every run
    succeeding, there is nothing to explain: the answer is success, whatever the peak (page cache grows into a
    raised limit). None means the record is not known; then a run that succeeds with more memory is judged as
    the fix of a failure."""
    runs = tuple(replace(run, verdict=_run_verdict(run, v)) for run, v in pairs)
    main = facts.main_container()
    app = [str(c.get("name") or "") for c in facts.containers]

    def orig_of(container: str | None) -> int | None:
        """A container's original limit; None when it had none (or it is not known). The caller's
        `original_limit_bytes` stands for the main container's when the runs did not record it."""
        memory = facts.memory.get(container or "")
        if memory is not None and memory.recorded:
            return None if memory.unlimited else memory.original
        if memory is None:
            return original_limit_bytes
        if original_limit_bytes is not None and (container == main or len(app) <= 1):
            return original_limit_bytes
        return memory.original

    def whose(container: str | None) -> str:
        """`container X ` where the pod has several containers (or X is not its app container)."""
        return f"container {container} " if container and (len(app) > 1 or container not in app) else ""

    def raised(run: DebugRun) -> bool:
        if not run.memory_limit_by_container:  # a run recorded with one limit (an older bundle)
            limit = _limit(run)
            if original_limit_bytes is not None and limit is not None:
                return limit > original_limit_bytes
            return run.variant not in ("original", "")
        for container, limit in limits_of(run, main).items():
            orig = orig_of(container)
            if limit is not None and (limit > orig if orig is not None else run.variant not in ("original", "")):
                return True
        return False

    def original(run: DebugRun) -> bool:
        return not raised(run)

    raised_ok = [r for r in runs if raised(r) and r.outcome == "succeeded"]
    failed = [(run, v) for (_, v), run in zip(pairs, runs, strict=False) if run.outcome == "failed"]
    orig_oom = [r for r, _ in failed if original(r) and r.verdict == "oom"]
    peaks: dict[str, int] = {}
    for r in runs:
        for name, value in peaks_of(r, main).items():
            peaks[name] = max(peaks.get(name, value), value)
    # (container, its peak, its original limit) for every container whose own peak went over its own limit
    over = sorted(((c, value, limit) for c, value in peaks.items() if (limit := orig_of(c)) is not None
                   and value > limit), key=lambda item: -item[1] / item[2])
    measured = [c for c in peaks if orig_of(c) is not None]
    ns, name = facts.namespace or "NAMESPACE", facts.cronjob_name or "CRONJOB"
    # --memory applies to every container; with several, confirming one container's limit raises that one alone
    only = f" --container {main}" if main and len(app) > 1 else ""
    confirm = f"cronjob-doctor diagnose {ns}/{name} --memory original,512Mi --runs 3{only}"
    run_ev = [Evidence(f"run {r.job}", run_text(r, several=len(app) > 1)) for r in runs]
    others = list(fallback.findings) if fallback else []
    for _, v in pairs:
        if v is not None and v is not fallback:
            others += [f for f in v.findings if f.verdict in FAILURE_VERDICTS]
    notes: list[str] = list(fallback.notes) if fallback else []
    for r in runs:
        # A kill under a limit the debug run lowered is the debug run's own failure, not production's.
        lowered = limits_of(r, main).get(r.container or "") if r.reason == "OOMKilled" else None
        production = orig_of(r.container)
        if lowered is not None and production is not None and lowered < production:
            notes.append(f"run {r.job}: container {r.container} was OOMKilled under {limit_in(r, r.container)}, below "
                         f"its own limit {remediation.memory_text(production)} (--memory sets every container's "
                         "limit; --container NAME changes one alone): that kill is the debug run's, not production's")

    def fix(container: str | None) -> list[str]:
        limit = orig_of(container) or facts.memory_of(container).limit or (
            facts.memory_limit_bytes if container == main else None)
        return memory_fix(facts, container, peak=peaks.get(container or ""), limit=limit)

    def done(top: Finding, extra_notes: Sequence[str] = ()) -> Verdict:
        seen = {(top.verdict, top.detail)}
        rest = []
        for f in rank(others):
            if (f.verdict, f.detail) not in seen:
                seen.add((f.verdict, f.detail))
                rest.append(f)
        return Verdict.from_finding(top, [top, *rest], runs=runs, notes=tuple(notes) + tuple(extra_notes),
                                    context=fallback.context if fallback else {})

    if orig_oom and raised_ok:
        ok = raised_ok[0]
        killed = orig_oom[0].container or main
        peak = peaks.get(killed or "")
        oom_verdict = next((v for r, v in failed if r is orig_oom[0] and v is not None), None)
        step = re.search(r" during `[^`]*`", oom_verdict.summary) if oom_verdict is not None else None
        # The failed run's own proof (pods.json termination, the traced step) comes first, then the runs.
        own_evidence = tuple(_in_run(orig_oom[0], e) for e in (oom_verdict.evidence if oom_verdict else ()))
        fixes = fix(killed)
        # The failed run's memory advice was computed from a peak cut short by the kill: keep only its other fixes.
        fixes += [item for item in (oom_verdict.remediation if oom_verdict else ()) if "limit" not in item]
        top = Finding(
            verdict="oom", detail="container", confidence=0.97,
            summary=f"{whose(killed)}OOMKilled at the original limit {remediation.memory_text(orig_of(killed))} "
                    f"({orig_oom[0].job}){step.group(0) if step else ''} and succeeded at "
                    f"{limit_in(ok, killed)} ({ok.job})" + (f"; measured peak {remediation.memory_text(peak)}"
                                                            if peak is not None else ""),
            evidence=own_evidence + tuple(run_ev), remediation=tuple(dict.fromkeys(fixes)),
        )
        return done(top)
    failed_original = [(r, v) for r, v in failed if original(r)]
    clean = bool(runs) and all(r.outcome == "succeeded" and r.verdict in (None, "success") for r in runs)
    if clean and on_record is False:
        # Nothing failed, here or on record: "it did not reproduce with more memory" explains nothing.
        above = ""
        if over:
            container, peak, limit = over[0]
            of = f" of {whose(container).strip()}" if whose(container) else ""
            above = (f"; the peak{of} {remediation.memory_text(peak)} was above the original limit "
                     f"{remediation.memory_text(limit)} only because a raised limit lets the page cache grow")
        note = (f"nothing failed: the CronJob has no failed Job on record and all {len(runs)} run(s) succeeded"
                f"{above}")
        top = Finding(
            verdict="success", confidence=0.9,
            summary=f"all {len(runs)} run(s) succeeded and the CronJob has no failed Job on record: nothing to fix",
            evidence=tuple(run_ev),
        )
        return done(top, (note,))
    if raised_ok:
        if over:
            container, peak, limit = over[0]
            top = Finding(
                verdict="oom", detail="container", confidence=0.9,
                summary=f"the run with more memory succeeded; {whose(container)}measured peak "
                        f"{remediation.memory_text(peak)} vs limit {remediation.memory_text(limit)}: the original "
                        f"limit is too small; set limit {remediation.suggested_limit(peak, limit)}",
                evidence=tuple(run_ev), remediation=tuple(fix(container)),
            )
            return done(top)
        if measured:
            if len(app) > 1:
                each = ", ".join(f"{c} {remediation.memory_text(peaks[c])} of {remediation.memory_text(orig_of(c))}"
                                 for c in measured)
                note = f"not memory: each container's peak stayed below its own original limit ({each})"
            else:
                note = (f"not memory: the peak {remediation.memory_text(peaks[measured[0]])} stayed below the "
                        f"original limit {remediation.memory_text(orig_of(measured[0]))}")
            unmeasured = [c for c in app if c not in peaks and orig_of(c) is not None]
            extra = [f"the peak of {', '.join(f'container {c}' for c in unmeasured)} was not measured: its memory "
                     "is not ruled out"] if unmeasured else []
            own = [v for _, v in failed_original if v is not None and v.verdict in FAILURE_VERDICTS]
            if own:
                return done(own[0].findings[0], (note, *extra))
            top = Finding(
                verdict="success", detail="not-memory", confidence=0.8,
                summary=f"{note}; the failure did not reproduce in {len(runs)} run(s)",
                evidence=tuple(run_ev),
                remediation=(f"repeat to catch an intermittent (network) failure: cronjob-doctor diagnose "
                             f"{ns}/{name} --memory original --runs 5",),
            )
            return done(top, extra)
        own = [v for _, v in failed_original if v is not None and v.verdict in FAILURE_VERDICTS
               and v.verdict != "oom"]
        if own:
            return done(own[0].findings[0], ("peak memory unknown: memory could not be ruled out",))
        top = Finding(
            verdict="oom", detail="unmeasured", confidence=0.6,
            summary=f"the failure did not reproduce with more memory ({raised_ok[0].memory_limit}); the peak was "
                    "not measured, so memory is likely but unconfirmed",
            evidence=tuple(run_ev), remediation=(f"confirm: {confirm}", *fix(main)),
        )
        return done(top)
    if failed:
        verdicts = [v for _, v in failed if v is not None]
        if not verdicts and fallback is not None:
            verdicts = [fallback]
        if verdicts:
            best = max(verdicts, key=lambda v: v.confidence)
            extra = []
            if any(raised(r) for r, _ in failed) and best.verdict != "oom":
                extra.append("the run with more memory failed too: memory is not the cause")
            return done(best.findings[0] if best.findings else Finding(best.verdict, best.confidence,
                                                                       best.summary), extra)
        top = Finding(verdict="unknown", confidence=0.0, summary="the runs failed without evidence",
                      evidence=tuple(run_ev), remediation=(f"capture again: {confirm}",))
        return done(top)
    if fallback is not None:
        return replace(fallback, runs=runs)
    top = Finding(verdict="success", confidence=0.8, summary=f"all {len(runs)} run(s) succeeded",
                  evidence=tuple(run_ev))
    return done(top)

