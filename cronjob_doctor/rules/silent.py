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
    _, pipefail, has_pipe = facts.scripts.get(match.log_key[1], (False, False, False))
    if has_pipe and not pipefail:
        out.append("the script pipes commands (`a | b`): without `set -o pipefail` a pipeline's exit status is the "
                   "last command's (gzip, tee), which hides the first one's failure")
    if match.text.startswith("mc:") or " mc " in f" {command} ":
        out.append("older mc releases exit 0 after some errors (mirror, cp): upgrade mc and check what it "
                   "transferred")
    out.append("then verify the result, not only the exit status (the dump or upload is not empty, the object "
               "exists)")
    return out


class SilentRule:
    id = "silent"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        found = facts.unrecovered()
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
