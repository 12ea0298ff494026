"""Silent failures: the container exited 0 (the Job is Complete) but its log shows the work failed: an error line
of a known family with nothing after it that says it recovered (facts.Facts.unrecovered says what counts).

The verdict is the failure's own family with `detail: silent`; the fix names the cause and the script change
(`set -euo pipefail`, check exit statuses), because the next failure will be silent too. A scanner's or
benchmark's report rows (FAIL, CRITICAL) are never errors here: facts skip them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules import config, network, oom, permission, script_error
from cronjob_doctor.rules._shared import match_evidence, step_for, trace_evidence
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of

_FAMILY_FIXES: dict[str, Callable[[Match, Facts, Bundle], list[str]]] = {
    "network": network.fixes,
    "permission": permission.fixes,
    "oom": oom.fixes,
    "config": config.fixes,
    "script-error": script_error.fixes,
}


def _script_fix(match: Match, facts: Facts) -> list[str]:
    """The change that makes the next such failure fail the Job instead of passing silently."""
    step = step_for(facts, match)
    command = step.command if step is not None else ""
    out = ["the run exited 0 although the work failed, so the Job was marked Complete: start the script with "
           "`set -euo pipefail` and check every command's exit status (or `|| exit 1`), so a failure fails the "
           "Job and the alert fires"]
    if "curl" in command or match.signature.id.startswith(("http-", "json-error", "curl-")):
        out.append("curl exits 0 on HTTP errors unless told otherwise: use `curl --fail` (or --fail-with-body) so "
                   "a 4xx/5xx answer is an error")
    script = facts.scripts.get(match.log_key[1])
    if script is not None and script.pipeline and not script.pipefail:
        out.append("the script pipes commands (`a | b`): without `set -o pipefail` a pipeline's exit status is the "
                   "last command's (gzip, tee), which hides the first one's failure")
    if match.text.startswith("mc:") or " mc " in f" {command} ":
        out.append("older mc releases exit 0 after some errors (mirror, cp): upgrade mc and check what it "
                   "transferred")
    out.append("then verify the result, not only the exit status (the dump or upload is not empty, the object "
               "exists)")
    return out


SILENT_WEIGHT = 0.7
"""A run that exited 0 counts as failed only on a specific error text, not a generic one (a `Permission denied`
from `find /` is noise in many healthy jobs)."""


def unrecovered(facts: Facts) -> list[Match]:
    """Per log of a container that exited 0: its last error line when nothing after it says it recovered.

    Recovered means: a later line says a retry succeeded; or the script runs under `set -e` and went on to
    another traced command (so the failing command was handled); or the failed command was traced again
    later; or the error was a retried one (it says so, or it repeats) and the log went on for a while."""
    out = []
    by_log: dict[tuple[str, str, bool], list[Match]] = {}
    for match in facts.job_matches():
        by_log.setdefault(match.log_key, []).append(match)
    for key, found in by_log.items():
        if not _exited_zero(facts, key):
            continue
        errors = [m for m in found if m.is_error and m.signature.weight >= SILENT_WEIGHT]
        if not errors:
            continue
        last = errors[-1]
        if any(not m.is_error and m.number > last.number for m in found):
            continue
        script = facts.scripts.get(key[1])
        later_trace = [t for t in facts.trace if t.log_key == key and t.number > last.number]
        # set -x traces a pipeline's commands one by one, so the script says whether one may hide a failure.
        if script is not None and script.errexit and later_trace and (script.pipefail or not script.pipeline):
            continue
        step = facts.trace_before(key, last.number)
        if step is not None and any(t.command == step.command for t in later_trace):
            continue  # the failed command ran again afterwards (a retry loop) and printed no error then
        went_on = facts.log_lines.get(key, 0) - last.number >= 3
        repeated = sum(1 for m in errors if m.signature.id == last.signature.id) >= 2
        if went_on and (last.transient or repeated):
            continue  # a retried error (`retrying`, or the same error again and again) and then more work
        # A closing `failed` line without a cause is explained by the last earlier line that names one.
        named = [m for m in errors if m.signature.detail is not None]
        out.append(last if last.signature.detail is not None or not named else named[-1])
    return out

def _exited_zero(facts: Facts, key: tuple[str, str, bool]) -> bool:
    pod, container, previous = key
    ends = [t for t in facts.terminations if t.pod == pod and t.container == container and t.last_state == previous]
    if ends:
        return all(t.exit_code == 0 for t in ends)
    return facts.job_succeeded() or (not facts.job and bool(facts.pod_status)
                                    and all(p == "Succeeded" for _, p, _, _ in facts.pod_status))


class SilentRule:
    id = "silent"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        found = unrecovered(facts)
        if not found:
            return
        match = max(found, key=lambda m: (m.signature.weight, m.number))
        family = match.signature.verdict
        step = step_for(facts, match)
        evidence = [match_evidence(match)]
        if step is not None:
            evidence.append(trace_evidence(step))
        ends = [t for t in facts.terminations if (t.pod, t.container, t.last_state) == match.log_key]
        evidence += [Evidence("pods.json", t.describe()) for t in ends[:1]]
        if facts.job is not None and facts.job.outcome == "succeeded":
            evidence.append(Evidence("job.json", f"job {facts.job.name} completed (the failure did not fail it)"))
        after = [(src, num, text) for src, num, text in facts.last_lines.get(match.log_key, []) if num > match.number]
        evidence += [Evidence(f"{src}:{num}", text) for src, num, text in after[-2:]]
        kind = f" ({match.signature.detail})" if match.signature.detail else ""
        family_fixes = _FAMILY_FIXES.get(family)
        fixes = family_fixes(match, facts, bundle) if family_fixes is not None else []
        yield Finding(
            verdict=family, detail="silent", confidence=0.88,
            summary=f"silent {family} failure{kind}: {match.signature.label} at {match.where}, yet the container "
                    "exited 0 and nothing after the error says it recovered",
            evidence=tuple(evidence), remediation=tuple(fixes + _script_fix(match, facts)),
        )
