"""The markdown report an on-call engineer pastes into the incident ticket as is.

Sections: what ran, runs, evidence, root cause, fix, how to verify, bundle. Log text only ever appears in code
spans or fenced blocks, and table cells are escaped, so nothing a pod printed can break the layout.
`table()` and `code()` are reusable by other commands' markdown output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from cronjob_doctor.report import runs as runs_table
from cronjob_doctor.report.parts import clean, hint_blocks, one_line, remediation_blocks, runner_ups
from cronjob_doctor.rules.base import Verdict

# Verdicts whose cause comes and goes: one clean run proves little, so verification repeats the run.
_INTERMITTENT = {"oom", "network", "deadline", "eviction", "unknown", "success"}


def cell(text: str) -> str:
    """A table cell: one line, `|` escaped (GFM honours `\\|` inside code spans in tables too)."""
    one_line = " ".join(clean(text).split())
    return one_line.replace("\\", "\\\\").replace("|", "\\|") if one_line else " "


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GFM table; every cell goes through `cell()`, so no value can add a column or end the table."""
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(cell(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def code(text: str) -> str:
    """An inline code span that survives backticks in the text (CommonMark: a longer backtick run)."""
    one_line = " ".join(clean(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") or not one_line.strip() else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def fenced(text: str, language: str = "") -> str:
    """A fenced code block, its fence longer than any backtick run inside."""
    body = clean(text).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _heading(verdict: Verdict) -> str:
    target = verdict.context.get("target")
    name = f"{one_line(str(target))} — " if target else ""
    return f"## cronjob-doctor: {name}{verdict.verdict}"


def _what_ran(context: dict[str, Any]) -> list[str]:
    command, changes = context.get("command"), context.get("changes") or []
    if not command and not changes:
        return []
    out = ["### What ran", ""]
    if command:
        out += [fenced(str(command), "sh"), ""]
    facts = []
    if context.get("context"):
        facts.append(f"Kube context: {code(str(context['context']))}")
    limits = context.get("original_memory_limits")
    if isinstance(limits, dict) and len(limits) > 1:
        each = ", ".join(f"{one_line(str(name))} {code(str(limit)) if limit else 'none'}"
                         for name, limit in limits.items())
        facts.append(f"Original memory limits: {each}")
    elif context.get("original_memory_limit"):
        facts.append(f"Original memory limit: {code(str(context['original_memory_limit']))}")
    if facts:
        out += [f"- {fact}" for fact in facts] + [""]
    if changes:
        out += ["Changes made to the debug Job (a copy of the CronJob's jobTemplate):", ""]
        out += [f"- {one_line(str(change))}" for change in changes] + [""]
    return out


def _runs(verdict: Verdict) -> list[str]:
    if not verdict.runs:
        return []
    body = table(
        runs_table.headers(verdict.runs, with_job=True), runs_table.rows(verdict.runs, with_job=True)
    )
    return ["### Runs", "", body, ""]


def _evidence(verdict: Verdict) -> list[str]:
    if not verdict.evidence:
        return []
    out = ["### Evidence", ""]
    for item in verdict.evidence:
        text = clean(item.text).strip("\n")
        if "\n" in text:
            block = "\n".join("  " + line if line else line for line in fenced(text).splitlines())
            out.append(f"- {code(item.source)}:\n\n{block}\n")
        else:
            out.append(f"- {code(item.source)}: {code(text)}")
    return [*out, ""]


def _root_cause(verdict: Verdict) -> list[str]:
    headline = f"**{verdict.verdict}** (confidence {verdict.confidence:.2f}): {one_line(verdict.summary)}"
    out = ["### Root cause", "", headline, ""]
    if verdict.detail:
        out += [f"Detail: {code(verdict.detail)}", ""]
    others = runner_ups(verdict)
    if others:
        out += ["Other candidates:", ""]
        out += [
            f"- **{f.verdict}** ({f.confidence:.2f}): {' '.join(clean(f.summary).split())}" for f in others
        ]
    else:
        out.append("No other candidate fired.")
    return [*out, ""]


def _fix(verdict: Verdict) -> list[str]:
    if not verdict.remediation or verdict.verdict == "success":
        return []  # nothing failed, so there is nothing to fix (a retried run's hint stays in the JSON)
    out = ["### Fix", ""]
    for item in verdict.remediation:
        for block in remediation_blocks(item):
            out += [fenced(block.text, block.language) if block.kind == "code" else block.text, ""]
    return out


def verify_commands(verdict: Verdict) -> list[str]:
    """Commands that show whether the fix worked, from the verdict id and what was examined."""
    target = verdict.context.get("target")
    if not target or "/" not in str(target):
        return []
    namespace, name = str(target).split("/", 1)
    kube_context = verdict.context.get("context")
    ctx = f" --context {kube_context}" if kube_context else ""
    runs = " --runs 3" if verdict.verdict in _INTERMITTENT else ""
    job = f"{name}-verify"[:52]  # Job names feed pod names and labels: keep room under 63 characters
    return [
        f"cronjob-doctor{ctx} diagnose {target} --memory original{runs}",
        f"kubectl{ctx} -n {namespace} create job --from=cronjob/{name} {job}",
        f"kubectl{ctx} -n {namespace} logs -f job/{job}",
        f"kubectl{ctx} -n {namespace} wait --for=condition=complete job/{job} --timeout=30m",
        f"cronjob-doctor{ctx} history {target}",
    ]


_BY_HAND = (
    "Or run it once by hand and watch it (this Job is owned by the CronJob, so its history limits prune it "
    "and may prune an older failed Job with it):"
)


def _verify(verdict: Verdict) -> list[str]:
    commands = verify_commands(verdict)
    if not commands:
        return []
    if verdict.verdict == "success":
        lead = (
            "The failure did not reproduce. Run the unchanged CronJob several times to catch an "
            "intermittent cause:"
        )
    else:
        lead = "After applying the fix, run the CronJob unchanged (`original` is the limit now in its spec):"
    return [
        "### How to verify",
        "",
        lead,
        "",
        fenced(commands[0], "sh"),
        "",
        _BY_HAND,
        "",
        fenced("\n".join(commands[1:4]), "sh"),
        "",
        "After the next scheduled runs:",
        "",
        fenced(commands[4], "sh"),
        "",
    ]


def _footer(verdict: Verdict) -> list[str]:
    out: list[str] = []
    if verdict.context.get("bundle"):
        out += ["### Bundle", "", f"Evidence kept in {code(str(verdict.context['bundle']))}."]
        if verdict.context.get("cleanup"):
            out.append(f"Cleanup: {one_line(str(verdict.context['cleanup']))}")
        out.append("")
    elif verdict.context.get("cleanup"):
        out += [f"Cleanup: {one_line(str(verdict.context['cleanup']))}", ""]
    if verdict.notes:
        out += ["### Notes", ""] + [f"- {_note(n)}" for n in verdict.notes] + [""]
    return out


def _note(text: str) -> str:
    """A note on one line; a command in it as a code span, to copy as it is."""
    return " ".join(code(block.text) if block.kind == "code" else " ".join(block.text.split())
                    for block in hint_blocks(text))


def render(verdict: Verdict) -> str:
    """The whole report as markdown text, ending in one newline."""
    lines = [_heading(verdict), ""]
    for section in (
        _what_ran(verdict.context),
        _runs(verdict),
        _evidence(verdict),
        _root_cause(verdict),
        _fix(verdict),
        _verify(verdict),
        _footer(verdict),
    ):
        lines += section
    return "\n".join(lines).rstrip("\n") + "\n"
