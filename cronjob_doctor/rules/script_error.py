"""The `script-error` family: the script's own command failed and no deeper cause shows (no OOM, no network,
no permission, no config, no eviction). Known texts refine it: disk full, truncated archives, missing packages.

Evidence: the failed container's exit code, the last `set -x` command and the last log lines. It must not claim
SIGKILL/SIGTERM exits (137, 143): those come from outside the script.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.rules._shared import (
    decisive,
    during,
    family_matches,
    match_evidence,
    short,
    step_for,
    term_evidence,
    trace_evidence,
)
from cronjob_doctor.rules.base import Evidence, Finding
from cronjob_doctor.rules.facts import Facts, Match, facts_of

_SIGNALLED = (137, 143)
_FIX = {
    "disk": "the container ran out of disk (ephemeral storage or a full volume): write to a sized emptyDir "
            "(sizeLimit) or a PVC, clean up temporary files, or stream instead of staging",
    "archive": "the archive is truncated (an interrupted download or a full disk): verify the download "
               "(curl -f, checksum) before extracting",
    "package": "the package or version does not exist in the configured repository: pin one that does, or "
               "bake it into the image",
    "not-found": "the bucket or object the command names does not exist: create it, or fix its name (and the "
                 "endpoint or region) in the job's configuration",
    "version": "the client tool in the image is older than the server it talks to: use an image whose client "
               "version matches (or is newer than) the server's (pg_dump must be at least the server's version)",
    "data": "the script's jq/JSON handling breaks on the data it got (a null or missing field, an error page "
            "instead of JSON): guard the filter (`.items[]?`, `// empty`, `select(.x != null)`) and check the "
            "response before parsing it",
    "sql": "a SQL statement failed: read the error; for psql, add -v ON_ERROR_STOP=1 so the first error fails",
}


def fixes(match: Match, facts: Facts, bundle: Bundle) -> list[str]:
    """What to change for a script failure shown by a log line."""
    return [_FIX.get(match.signature.detail or "", "fix the command")]


class ScriptErrorRule:
    id = "script-error"

    def evaluate(self, bundle: Bundle) -> Iterable[Finding]:
        facts = facts_of(bundle)
        if not facts.workload_failed():
            return
        terms = [t for t in facts.failed_terminations() if t.reason in (None, "Error", "")
                 and t.exit_code not in _SIGNALLED and t.exit_code is not None]
        matches = family_matches(facts, "script-error")
        if matches:
            match = decisive(facts, matches)
            step = step_for(facts, match)
            evidence = [match_evidence(match)] + [term_evidence(t) for t in terms[:1]]
            if step is not None:
                evidence.append(trace_evidence(step))
            # `unable to select packages` after a failed index fetch is the network's fault: that error came first.
            earlier = any(m.is_error and m.signature.verdict == "network" and m.log_key == match.log_key
                          and m.number < match.number for m in facts.job_matches())
            confidence = match.signature.weight if terms else match.signature.weight - 0.1
            yield Finding(
                verdict="script-error", detail=match.signature.detail,
                confidence=min(confidence, 0.55) if earlier else confidence,
                summary=f"{match.signature.label}{during(step)}",
                evidence=tuple(evidence), remediation=(_FIX.get(match.signature.detail or "", "fix the command"),),
            )
            return
        if any(m.is_error and m.signature.verdict != "script-error" for m in facts.job_matches()):
            return  # another family's text is in the log: that is the deeper cause
        if not terms or not facts.logs_present:
            return  # without a log nothing shows the script's own failure: leave it to `unknown`
        term = terms[0]
        key = (term.pod, term.container, term.last_state)
        step = facts.trace_before(key, None) or facts.last_trace()
        evidence = [term_evidence(term)]
        if step is not None:
            evidence.append(trace_evidence(step))
        tail = facts.last_lines.get(key) or []
        evidence += [Evidence(f"{src}:{num}", text) for src, num, text in tail[-3:]]
        fix = (f"run `{short(step.command)}` by hand in the same image to see why it exits {term.exit_code}"
               if step is not None else "add `set -x` to the script (cronjob-doctor diagnose does) to see which "
                                        "command fails")
        yield Finding(
            verdict="script-error", confidence=0.55 if (step or tail) else 0.45,
            summary=f"container {term.container} exited {term.exit_code}{during(step)}; no deeper cause "
                    "(memory, network, permissions, config) shows",
            evidence=tuple(evidence), remediation=(fix,),
        )
