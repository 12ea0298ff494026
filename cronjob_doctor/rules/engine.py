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
    orig, limit = facts.original_limit_bytes, facts.memory_limit_bytes
    if judge_raised and verdict.verdict == "success" and job is not None and orig and limit and limit > orig:
        # This bundle is a debug run with raised memory that succeeded: judge it against the original limit.
        run = DebugRun(job=job.name, variant=format_bytes(limit), memory_limit=format_bytes(limit), outcome="succeeded",
                  peak_memory_bytes=facts.peak_memory_bytes, duration_seconds=job.duration_seconds or 0.0)
        verdict = replace(judge_runs([(run, verdict)], original_limit_bytes=orig, facts=facts, fallback=verdict,
                                     on_record=failure_on_record(bundle)), runs=())
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

    With no failure on record (`on_record` False: the record was read and shows none) and every run
    succeeding, there is nothing to explain: the answer is success, whatever the peak (page cache grows into a
    raised limit). None means the record is not known; then a run that succeeds with more memory is judged as
    the fix of a failure."""
    runs = tuple(replace(run, verdict=_run_verdict(run, v)) for run, v in pairs)
    orig = original_limit_bytes

    def raised(run: DebugRun) -> bool:
        limit = _limit(run)
        if orig is not None and limit is not None:
            return limit > orig
        return run.variant not in ("original", "")

    def original(run: DebugRun) -> bool:
        return not raised(run)

    raised_ok = [r for r in runs if raised(r) and r.outcome == "succeeded"]
    failed = [(run, v) for (_, v), run in zip(pairs, runs, strict=False) if run.outcome == "failed"]
    orig_oom = [r for r, _ in failed if original(r) and r.verdict == "oom"]
    peaks = [r.peak_memory_bytes for r in runs if r.peak_memory_bytes is not None]
    peak = max(peaks) if peaks else None
    ns, name = facts.namespace or "NAMESPACE", facts.cronjob_name or "CRONJOB"
    container = facts.main_container()
    confirm = f"cronjob-doctor diagnose {ns}/{name} --memory original,512Mi --runs 3"
    run_ev = [Evidence(f"run {r.job}", f"variant {r.variant} limit {r.memory_limit or '?'}: {r.outcome}"
                                       + (f" ({r.reason})" if r.reason else "")
                                       + (f", peak {remediation.memory_text(r.peak_memory_bytes)}"
                                          if r.peak_memory_bytes is not None else ""))
              for r in runs]
    limit_text = remediation.memory_text(orig)
    peak_facts = replace(facts, peak_memory_bytes=peak, original_limit_bytes=orig)
    others = list(fallback.findings) if fallback else []
    for _, v in pairs:
        if v is not None and v is not fallback:
            others += [f for f in v.findings if f.verdict in FAILURE_VERDICTS]
    notes: list[str] = list(fallback.notes) if fallback else []

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
        oom_verdict = next((v for r, v in failed if r is orig_oom[0] and v is not None), None)
        step = re.search(r" during `[^`]*`", oom_verdict.summary) if oom_verdict is not None else None
        # The failed run's own proof (pods.json termination, the traced step) comes first, then the runs.
        own_evidence = tuple(_in_run(orig_oom[0], e) for e in (oom_verdict.evidence if oom_verdict else ()))
        fixes = list(memory_fix(peak_facts, container))
        # The failed run's memory advice was computed from a peak cut short by the kill: keep only its other fixes.
        fixes += [item for item in (oom_verdict.remediation if oom_verdict else ()) if "limit" not in item]
        top = Finding(
            verdict="oom", detail="container", confidence=0.97,
            summary=f"OOMKilled at the original limit {limit_text} ({orig_oom[0].job})"
                    f"{step.group(0) if step else ''} and succeeded at "
                    f"{ok.memory_limit} ({ok.job})" + (f"; measured peak {remediation.memory_text(peak)}"
                                                       if peak is not None else ""),
            evidence=own_evidence + tuple(run_ev), remediation=tuple(dict.fromkeys(fixes)),
        )
        return done(top)
    failed_original = [(r, v) for r, v in failed if original(r)]
    clean = bool(runs) and all(r.outcome == "succeeded" and r.verdict in (None, "success") for r in runs)
    if clean and on_record is False:
        # Nothing failed, here or on record: "it did not reproduce with more memory" explains nothing.
        above = (f"; the peak {remediation.memory_text(peak)} was above the original limit {limit_text} only "
                 "because a raised limit lets the page cache grow" if peak is not None and orig is not None
                 and peak > orig else "")
        note = (f"nothing failed: the CronJob has no failed Job on record and all {len(runs)} run(s) succeeded"
                f"{above}")
        top = Finding(
            verdict="success", confidence=0.9,
            summary=f"all {len(runs)} run(s) succeeded and the CronJob has no failed Job on record: nothing to fix",
            evidence=tuple(run_ev),
        )
        return done(top, (note,))
    if raised_ok:
        if peak is not None and orig is not None and peak > orig:
            top = Finding(
                verdict="oom", detail="container", confidence=0.9,
                summary=f"the run with more memory succeeded; measured peak {remediation.memory_text(peak)} vs "
                        f"limit {limit_text}: the original limit is too small; set limit "
                        f"{remediation.suggested_limit(peak, orig)}",
                evidence=tuple(run_ev), remediation=tuple(memory_fix(peak_facts, container)),
            )
            return done(top)
        if peak is not None and orig is not None:
            note = (f"not memory: the peak {remediation.memory_text(peak)} stayed below the original limit "
                    f"{limit_text}")
            own = [v for _, v in failed_original if v is not None and v.verdict in FAILURE_VERDICTS]
            if own:
                return done(own[0].findings[0], (note,))
            top = Finding(
                verdict="success", detail="not-memory", confidence=0.8,
                summary=f"{note}; the failure did not reproduce in {len(runs)} run(s)",
                evidence=tuple(run_ev),
                remediation=(f"repeat to catch an intermittent (network) failure: cronjob-doctor diagnose "
                             f"{ns}/{name} --memory original --runs 5",),
            )
            return done(top)
        own = [v for _, v in failed_original if v is not None and v.verdict in FAILURE_VERDICTS
               and v.verdict != "oom"]
        if own:
            return done(own[0].findings[0], ("peak memory unknown: memory could not be ruled out",))
        top = Finding(
            verdict="oom", detail="unmeasured", confidence=0.6,
            summary=f"the failure did not reproduce with more memory ({raised_ok[0].memory_limit}); the peak was "
                    "not measured, so memory is likely but unconfirmed",
            evidence=tuple(run_ev), remediation=(f"confirm: {confirm}", *tuple(memory_fix(peak_facts, container))),
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
