"""Lint reports as text (a rich renderable, grouped by object), JSON and Markdown. Renderers never print."""

from __future__ import annotations

import json

from rich.console import Group, RenderableType
from rich.text import Text

from cronjob_doctor.lint.base import LintFinding
from cronjob_doctor.lint.engine import LintReport
from cronjob_doctor.report import sarif
from cronjob_doctor.report import yaml as yaml_report
from cronjob_doctor.report.text import Indented, Verbatim, hint

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def summary(report: LintReport) -> str:
    """`2 errors, 7 warnings, 2 info in 1 object` (with the threshold when it hides something)."""
    counts = report.counts()
    objects = len(report.workloads)
    text = (
        f"{counts['error']} error{'s' * (counts['error'] != 1)}, "
        f"{counts['warning']} warning{'s' * (counts['warning'] != 1)}, {counts['info']} info "
        f"in {objects} object{'s' * (objects != 1)}"
    )
    if report.threshold != "info":
        text += f" (severity >= {report.threshold})"
    return text


def _finding(finding: LintFinding) -> RenderableType:
    head = Text("  ")
    head.append(f"{finding.severity.upper():<7}", style=_STYLE[finding.severity])
    head.append(f" {finding.check}", style="bold")
    at = finding.path + (f" (line {finding.line})" if finding.line else "")
    # The field path and the commands in the fix are printed whole: a wrapped path or command does not paste.
    return Group(head, Indented(Text(finding.message), 4), Verbatim(f"at:  {at}", indent=4, style="dim"),
                 *hint(finding.fix, indent=4, marker="fix:"))


def text(report: LintReport) -> RenderableType:
    """Findings grouped by CronJob/Job, then a summary line."""
    parts: list[RenderableType] = []
    for workload in report.workloads:
        findings = report.findings_for(workload)
        header = Text(workload.label, style="bold")
        header.append(f"  {workload.source}", style="dim")
        parts.append(Indented(header, 0))
        if not findings:
            parts.append(Text("  no findings", style="green"))
        parts.extend(_finding(f) for f in findings)
        parts.append(Text(""))
    for note in report.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    parts.append(Text(summary(report), style="bold red" if report.exit_code else "bold green"))
    return Group(*parts)


def to_json(report: LintReport) -> str:
    """`{"objects": [...], "findings": [...], "summary": {...}, "notes": [...]}` as indented JSON."""
    counts = report.counts()
    document = {
        "objects": [
            {
                "kind": w.kind,
                "namespace": w.namespace,
                "name": w.name,
                "source": w.source,
                "findings": len(report.findings_for(w)),
            }
            for w in report.workloads
        ],
        "findings": [f.to_dict() for f in report.shown],
        "summary": {**counts, "objects": len(report.workloads), "threshold": report.threshold,
                    "exit_code": report.exit_code},
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2)


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(report: LintReport) -> str:
    """One table per object: severity, check, message, path, fix."""
    lines = ["# cronjob-doctor lint", ""]
    for workload in report.workloads:
        lines += [f"## {workload.label}", "", f"Source: `{workload.source}`", ""]
        findings = report.findings_for(workload)
        if not findings:
            lines += ["No findings.", ""]
            continue
        lines += ["| severity | check | message | path | fix |", "|---|---|---|---|---|"]
        lines += [
            f"| {f.severity} | `{f.check}` | {_md(f.message)} | `{f.path}` | {_md(f.fix)} |" for f in findings
        ]
        lines.append("")
    lines += [f"> note: {n}" for n in report.notes]
    lines.append(f"**{summary(report)}**")
    return "\n".join(lines) + "\n"


def to_yaml(report: LintReport) -> str:
    """The `-o json` document as YAML."""
    return yaml_report.document(json.loads(to_json(report)))


RENDERERS = {"text": text, "json": to_json, "yaml": to_yaml, "markdown": markdown, "sarif": sarif.render}
