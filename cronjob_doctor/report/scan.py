"""The `scan` report in three formats: a rich table for the terminal, JSON, and a markdown table.

Renderers return and never print; `write()` sends one to the console. Outcomes are words as well as colours,
and the text table fits 80 columns (month-day times, reasons folded under the outcome).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cronjob_doctor.report import json as json_report
from cronjob_doctor.report import yaml as yaml_report
from cronjob_doctor.report.history import left_job_dict, left_jobs_text, left_next_steps
from cronjob_doctor.report.markdown import fenced, table
from cronjob_doctor.report.parts import clean
from cronjob_doctor.report.text import Indented, hint
from cronjob_doctor.scan.model import Scan, ScanRow

_STYLES = {"succeeded": "green", "failed": "red", "running": "yellow"}
LEGEND = (
    "times UTC; streak: consecutive failed runs up to the latest; lost: failed runs whose pods (logs, exit "
    "codes) are gone; lint: error-severity findings (cronjob-doctor lint NS/NAME)"
)


def _short(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%m-%d %H:%M") if moment else "-"


def _full(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def outcome_words(row: ScanRow) -> str:
    """`failed`, `running`, `no runs`, plus `suspended`."""
    words = row.last_outcome or "no runs"
    return f"{words}, suspended" if row.suspended else words


def _lint(row: ScanRow) -> str:
    return "?" if row.lint_errors is None else str(row.lint_errors)


def headline(scan: Scan) -> str:
    shown = f"; showing the {len(scan.rows)} failing" if scan.only_failing else ""
    return f"{scan.total} CronJob(s) in {scan.scope}, {scan.failing} failing now{shown}"


def next_step(scan: Scan) -> str | None:
    worst = next((r for r in scan.rows if r.failing), None)
    return f"cronjob-doctor history {worst.namespace}/{worst.name}" if worst else None


# ---------------------------------------------------------------------------------------------- text


def render_text(scan: Scan) -> RenderableType:
    """Headline, then the table worst first, the legend and the next command to run."""
    parts: list[RenderableType] = [Text(headline(scan), style="bold red" if scan.failing else "bold green")]
    if not scan.rows:
        parts.append(Text("nothing to show" if scan.total else "no CronJobs found"))
    else:
        # The last column is right-justified and pad_edge is off: no trailing spaces in piped output.
        grid = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
        grid.add_column("CronJob", overflow="fold")
        grid.add_column("Last run", no_wrap=True)
        grid.add_column("Outcome", overflow="fold")
        grid.add_column("Streak", justify="right", no_wrap=True)
        grid.add_column("Last OK", no_wrap=True)
        grid.add_column("Lost", justify="right", no_wrap=True)
        grid.add_column("Lint", justify="right", no_wrap=True)
        for row in scan.rows:
            grid.add_row(
                Text(f"{row.namespace}/{row.name}", style="bold" if row.failing else ""),
                Text(_short(row.last_schedule)),
                Text(outcome_words(row), style=_STYLES.get(row.last_outcome or "", "")),
                Text(str(row.failure_streak), style="red" if row.failing else ""),
                Text(_short(row.last_success)),
                Text(str(row.lost_evidence), style="red" if row.lost_evidence else ""),
                Text(_lint(row), style="red" if row.lint_errors else ""),
            )
        parts += [grid, Indented(Text(LEGEND, style="dim"), 0)]
    failing = [r for r in scan.rows if r.failing]
    if failing:
        parts += [Text(""), Text("Failing now", style="bold red")]
        for row in failing:
            line = Text(f"{row.namespace}/{row.name}: ", style="bold")
            line.append(clean(row.last_reason or "failed"), style="red")
            if row.lost_evidence:
                line.append(f"; {row.lost_evidence} failed run(s) lost their pods")
            parts.append(Indented(line, 2))
        step = next_step(scan)
        if step:
            parts += hint(step, indent=0, marker="next:")
    parts += left_jobs_text(scan.left)
    parts += [Text(f"note: {clean(note)}", style="dim") for note in scan.notes]
    return Group(*parts)


# ---------------------------------------------------------------------------------------------- json


def row_dict(row: ScanRow) -> dict[str, Any]:
    return {
        "namespace": row.namespace,
        "name": row.name,
        "schedule": row.schedule,
        "suspended": row.suspended,
        "failing": row.failing,
        "last_schedule": _iso(row.last_schedule),
        "last_success": _iso(row.last_success),
        "last_outcome": row.last_outcome,
        "last_reason": row.last_reason,
        "failure_streak": row.failure_streak,
        "lost_evidence": row.lost_evidence,
        "lint_errors": row.lint_errors,
        "runs": row.runs,
        "active": row.active,
    }


def to_dict(scan: Scan) -> dict[str, Any]:
    """The JSON shape of `scan -o json`: rows worst first."""
    return {
        "scope": scan.scope,
        "total": scan.total,
        "failing": scan.failing,
        "only_failing": scan.only_failing,
        "cronjobs": [row_dict(row) for row in scan.rows],
        "debug_jobs": [left_job_dict(job) for job in scan.left],
        "notes": list(scan.notes),
        "now": _iso(scan.now),
    }


def render_json(scan: Scan) -> str:
    return json_report.document(to_dict(scan))


def render_yaml(scan: Scan) -> str:
    """The JSON document as YAML (same shape as -o json)."""
    return yaml_report.document(to_dict(scan))


# ---------------------------------------------------------------------------------------------- markdown


def render_markdown(scan: Scan) -> str:
    """A heading, the headline and a GFM table, worst first."""
    lines = [f"## CronJob scan of {scan.scope}", "", f"**{headline(scan)}**", ""]
    if scan.rows:
        headers = ("CronJob", "Schedule", "Last schedule (UTC)", "Last outcome", "Reason", "Streak",
                   "Last success (UTC)", "Lost evidence", "Lint errors")
        rows = [
            (f"{r.namespace}/{r.name}", r.schedule, _full(r.last_schedule), outcome_words(r), r.last_reason or "-",
             str(r.failure_streak), _full(r.last_success), str(r.lost_evidence), _lint(r))
            for r in scan.rows
        ]
        lines += [table(headers, rows), "", f"_{LEGEND}_", ""]
    if scan.left:
        lines += ["### Debug Jobs left by cronjob-doctor", "",
                  table(("Job", "State", "Status", "Why"),
                        [(f"{j.namespace}/{j.name}", j.state, j.outcome if j.finished else "still running", j.why)
                         for j in scan.left]), ""]
        lines += [fenced("\n".join(left_next_steps(scan.left)), "sh"), ""] if left_next_steps(scan.left) else []
    step = next_step(scan)
    if step:
        lines += ["### Next step", "", fenced(step, "sh"), ""]
    if scan.command:
        lines += ["### What ran", "", fenced(scan.command, "sh"), ""]
    lines += [f"_note: {clean(note)}_" for note in scan.notes]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- writer


RENDERERS = {"text": render_text, "json": render_json, "yaml": render_yaml, "markdown": render_markdown}
