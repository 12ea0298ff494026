"""The `history` report in three formats: a rich renderable for the terminal, JSON, and markdown.

Renderers return and never print; `write()` sends one to the console. Every fact is in words as well as
colour, and nothing is cut at 80 columns (cells wrap). API text (reasons, messages) is cleaned of escapes.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from cronjob_doctor.history.model import History, HistoryRow
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.k8s.jobs import FAILED, RUNNING, SUCCEEDED
from cronjob_doctor.k8s.scheduled_runs import ScheduledRun
from cronjob_doctor.report import json as json_report
from cronjob_doctor.report import yaml as yaml_report
from cronjob_doctor.report.markdown import code, fenced, table
from cronjob_doctor.report.parts import clean
from cronjob_doctor.report.text import Indented, hint
from cronjob_doctor.scan.left import ORPHAN, LeftJob

_OUTCOME_STYLES = {SUCCEEDED: "green", FAILED: "red", RUNNING: "yellow"}


# ---------------------------------------------------------------------------------------------- shared words


def utc(moment: datetime | None, *, seconds: bool = False) -> str:
    """`2026-03-19 08:00` (UTC); `-` when unknown."""
    if moment is None:
        return "-"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local(moment: datetime | None, zone: tzinfo | None) -> str | None:
    """The time in the CronJob's own zone (`02:00 CST`), or None when it runs in UTC."""
    if moment is None or zone is None:
        return None
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def scheduled_cell(run: ScheduledRun, zone: tzinfo | None) -> str:
    """When the run was scheduled, in UTC and the CronJob's zone; manual runs say so."""
    if run.scheduled is None:
        made = utc(run.created)
        return f"{made} (manual)" if run.manual else made
    text = utc(run.scheduled)
    zoned = local(run.scheduled, zone)
    if zoned:
        text += f"\n{zoned}"
    if run.manual:
        text += " (manual)"
    return text


def reason_cell(run: ScheduledRun, separator: str = " / ") -> str:
    """The Job condition reason, then what the pods still say (`OOMKilled, exit 137`)."""
    parts = []
    if run.reason:
        parts.append(run.reason)
    if run.pod_reason or run.exit_code is not None:
        pod = run.pod_reason or "exit"
        parts.append(f"{pod}, exit {run.exit_code}" if run.exit_code is not None else pod)
    if not parts:
        return "-" if run.outcome != RUNNING else f"{run.active} active"
    return clean(separator.join(parts))


def evidence_cell(run: ScheduledRun) -> str:
    """`1 pod, logs` / `pods gone` / `recorded`: what is left to read."""
    if run.recorded:
        return "recorded" if not run.pods else f"recorded, {len(run.pods)} pod" + ("s" if len(run.pods) != 1 else "")
    if not run.pods:
        return "pods gone" if run.finished else "no pods yet"
    count = f"{len(run.pods)} pod" + ("s" if len(run.pods) != 1 else "")
    return f"{count}, logs" if run.logs else f"{count}, no logs"


def job_cell(run: ScheduledRun) -> str:
    return run.job + (" (owner gone)" if run.orphan else "")


def short_job(run: ScheduledRun, cronjob: str) -> str:
    """`29565120` for `tf-state-backup-29565120`: the CronJob's name is in the heading (fits 80 columns)."""
    name = run.job[len(cronjob) + 1:] if run.job.startswith(cronjob + "-") else run.job
    return name + (" *" if run.orphan else "")


def summary_lines(history: History) -> list[str]:
    s = history.summary
    lines = []
    if s.success_rate is None:
        lines.append(f"{s.total} run(s), none finished")
    else:
        finished = s.succeeded + s.failed
        lines.append(f"{s.succeeded} of {finished} finished runs succeeded ({s.success_rate:.0%})")
    if s.typical_duration is not None:
        lines.append(f"typical duration {format_duration(s.typical_duration)}")
    if s.worst_duration is not None:
        lines.append(f"worst {format_duration(s.worst_duration)} ({s.worst_job})")
    lines.append(f"failure streak {s.failure_streak}")
    if s.last_success is not None:
        lines.append(
            f"last success {utc(s.last_success)} UTC"
            + (f" ({s.last_success_job})" if s.last_success_job else "")
        )
    else:
        lines.append("no success on record")
    if s.lost_evidence:
        lines.append(f"{len(s.lost_evidence)} failed run(s) with evidence lost")
    return lines


def status_line(history: History) -> str:
    if history.failing:
        return f"FAILING: the latest finished run failed (failure streak {history.summary.failure_streak})"
    if history.summary.succeeded + history.summary.failed == 0:
        return "NO FINISHED RUNS on record"
    return "OK: the latest finished run succeeded"


def settings_line(history: History) -> str:
    parts = [
        f"concurrencyPolicy {history.concurrency_policy}",
        f"keeps {history.successful_jobs_history_limit} succeeded / {history.failed_jobs_history_limit} failed Jobs",
    ]
    if history.last_schedule_time:
        parts.append(f"last scheduled {utc(history.last_schedule_time)} UTC")
    if history.suspended:
        parts.append("SUSPENDED")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------- text


def _indent(text: Text, level: int = 1) -> Indented:
    return Indented(text, 2 * level)


def _runs_table(history: History) -> Table:
    # The last column is right-justified and pad_edge is off: no trailing spaces in piped output.
    grid = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, show_edge=False, header_style="bold")
    grid.add_column("Job", overflow="fold")
    grid.add_column("Scheduled (UTC)", no_wrap=True)
    grid.add_column("Outcome", no_wrap=True)
    grid.add_column("Took", no_wrap=True)
    words = [w for view in history.runs for w in reason_cell(view.run, "\n").split()]
    grid.add_column("Reason", overflow="fold", min_width=max((len(w) for w in words), default=6))
    grid.add_column("Evidence", overflow="fold")
    grid.add_column("Retry", no_wrap=True, justify="right")
    for view in history.runs:
        run = view.run
        grid.add_row(
            Text(short_job(run, history.name)),
            Text(scheduled_cell(run, history.zone)),
            Text(run.outcome, style=_OUTCOME_STYLES.get(run.outcome, "")),
            Text(format_duration(run.duration(history.now))),
            Text(reason_cell(run, "\n")),
            Text(evidence_cell(run), style="red" if run.evidence_lost else ""),
            Text(str(run.retries)),
        )
    return grid


def legend(history: History) -> str:
    """What the table's shorthand means, only for what it shows."""
    said = []
    if any(short_job(v.run, history.name) != v.run.job for v in history.runs):
        said.append(f"Job: {history.name}-<Job>")
    if any(v.run.manual for v in history.runs):
        said.append("(manual): made by hand (kubectl create job --from=cronjob/...), not by the schedule")
    if any(v.run.orphan for v in history.runs):
        said.append("*: owner CronJob gone (matched by name)")
    if any(v.run.recorded for v in history.runs):
        said.append("recorded: a record bundle holds its pods' statuses and logs (--bundles)")
    return "; ".join(said)


def _verdicts(history: History) -> list[RenderableType]:
    views = [v for v in history.runs if v.verdict is not None]
    if not views:
        return []
    out: list[RenderableType] = [Text("Verdicts (from the pods that remain, or recorded by record)", style="bold")]
    for view in views:
        verdict = view.verdict
        assert verdict is not None
        line = Text(f"{view.run.job} ({'recorded' if view.run.recorded else 'its pods'}): ", style="bold")
        line.append(f"{verdict.verdict} (confidence {verdict.confidence:.2f})", style="red")
        line.append(f" — {clean(verdict.summary)}")
        out.append(_indent(line))
        for item in verdict.evidence[:2]:
            out.append(_indent(Text(f"{clean(item.source)}: {clean(item.text)}", style="dim"), 2))
        if verdict.remediation:
            out.append(_indent(Text(f"fix: {clean(verdict.remediation[0])}"), 2))
    return out


def render_text(history: History) -> RenderableType:
    """The terminal report: status, schedule, the runs table, summary, warnings, verdicts."""
    colour = "red" if history.failing else "green"
    parts: list[RenderableType] = [
        Text(f"{history.namespace}/{history.name}", style="bold"),
        Text(status_line(history), style=f"bold {colour}"),
        _indent(Text(clean(history.schedule_text))),
    ]
    if history.observed_text:
        parts.append(_indent(Text(history.observed_text)))
    parts.append(_indent(Text(settings_line(history))))
    parts.append(Text(""))
    if history.runs:
        title = f"Runs ({len(history.runs)} shown, oldest first"
        title += f"; {history.hidden} older hidden by --limit)" if history.hidden else ")"
        parts += [Text(title, style="bold"), _runs_table(history)]
        if legend(history):
            parts.append(Text(legend(history), style="dim"))
    else:
        parts.append(Text("No Jobs of this CronJob exist (none ran yet, or all were deleted).", style="bold"))
    parts += [Text(""), Text("Summary", style="bold")]
    parts += [_indent(Text(line)) for line in summary_lines(history)]
    if history.warnings:
        parts += [Text(""), Text(f"Warnings ({len(history.warnings)})", style="bold yellow")]
        for warning in history.warnings:
            parts.append(_indent(Text(f"! {clean(warning.text)}", style="yellow")))
            if warning.hint:
                parts += hint(warning.hint, indent=4)
    verdicts = _verdicts(history)
    if verdicts:
        parts += [Text(""), *verdicts]
    parts += left_jobs_text(history.left)
    for note in history.notes:
        parts.append(Text(f"note: {clean(note)}", style="dim"))
    return Group(*parts)


# ---------------------------------------------------------------------------------------------- left


def left_next_steps(left: tuple[LeftJob, ...]) -> list[str]:
    """The commands that adopt or delete each CronJob's orphans, once per CronJob."""
    targets = dict.fromkeys(f"{job.namespace}/{job.cronjob}" for job in left if job.state == ORPHAN)
    return [f"cronjob-doctor diagnose {target} --adopt    # or --delete-orphans" for target in targets]


def left_jobs_text(left: tuple[LeftJob, ...]) -> list[RenderableType]:
    """`Debug Jobs left by cronjob-doctor`: one line per Job, what state it is in and why; the commands."""
    if not left:
        return []
    orphans = sum(1 for job in left if job.state == ORPHAN)
    title = f"Debug Jobs left by cronjob-doctor ({orphans} orphan(s))"
    parts: list[RenderableType] = [Text(""), Text(title, style="bold yellow" if orphans else "bold")]
    for job in left:
        line = Text(f"{job.namespace}/{job.name} ", style="bold")
        line.append(job.state, style="yellow" if job.state == ORPHAN else "")
        line.append(f" ({job.outcome if job.finished else 'still running'}): {clean(job.why)}")
        parts.append(Indented(line, 2))
    for step in left_next_steps(left):
        parts += hint(step, indent=0, marker="next:")
    return parts


def left_job_dict(job: LeftJob) -> dict[str, Any]:
    return {
        "namespace": job.namespace,
        "name": job.name,
        "cronjob": job.cronjob,
        "state": job.state,
        "why": job.why,
        "finished": job.finished,
        "outcome": job.outcome,
        "created": job.created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if job.created else None,
    }


# ---------------------------------------------------------------------------------------------- json


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def run_dict(view: HistoryRow, history: History) -> dict[str, Any]:
    run = view.run
    duration = run.duration(history.now)
    return {
        "job": run.job,
        "scheduled": _iso(run.scheduled),
        "scheduled_local": local(run.scheduled, history.zone),
        "scheduled_from": run.scheduled_source,
        "manual": run.manual,
        "owner_gone": run.orphan,
        "start": _iso(run.start),
        "completion": _iso(run.end),
        "duration_seconds": round(duration, 3) if duration is not None else None,
        "outcome": run.outcome,
        "reason": run.reason,
        "message": run.message,
        "pod_reason": run.pod_reason,
        "exit_code": run.exit_code,
        "retries": run.retries,
        "pods": list(run.pods),
        "logs_available": run.logs,
        "evidence_lost": run.evidence_lost,
        "recorded": run.recorded,
        "verdict": view.verdict.to_dict() if view.verdict else None,
    }


def to_dict(history: History) -> dict[str, Any]:
    """The JSON shape of `history -o json`."""
    s = history.summary
    return {
        "cronjob": f"{history.namespace}/{history.name}",
        "failing": history.failing,
        "schedule": history.schedule,
        "time_zone": history.time_zone,
        "schedule_text": history.schedule_text,
        "observed": history.observed_text,
        "suspended": history.suspended,
        "concurrency_policy": history.concurrency_policy,
        "successful_jobs_history_limit": history.successful_jobs_history_limit,
        "failed_jobs_history_limit": history.failed_jobs_history_limit,
        "last_schedule_time": _iso(history.last_schedule_time),
        "summary": {
            "runs": s.total,
            "succeeded": s.succeeded,
            "failed": s.failed,
            "running": s.running,
            "success_rate": round(s.success_rate, 3) if s.success_rate is not None else None,
            "typical_duration_seconds": s.typical_duration,
            "worst_duration_seconds": s.worst_duration,
            "worst_job": s.worst_job,
            "failure_streak": s.failure_streak,
            "last_success": _iso(s.last_success),
            "last_success_job": s.last_success_job,
            "evidence_lost": list(s.lost_evidence),
        },
        "warnings": [w.to_dict() for w in history.warnings],
        "runs": [run_dict(view, history) for view in history.runs],
        "hidden_runs": history.hidden,
        "debug_jobs": [left_job_dict(job) for job in history.left],
        "notes": list(history.notes),
        "now": _iso(history.now),
    }


def render_json(history: History) -> str:
    return json_report.document(to_dict(history))


def render_yaml(history: History) -> str:
    """The JSON document as YAML (same shape as -o json)."""
    return yaml_report.document(to_dict(history))


# ---------------------------------------------------------------------------------------------- markdown


def render_markdown(history: History) -> str:
    """A markdown report for an incident ticket: status, schedule, runs table, summary, warnings, verdicts."""
    lines = [
        f"## History of {code(f'{history.namespace}/{history.name}')}",
        "",
        f"**{status_line(history)}**",
        "",
        f"- {clean(history.schedule_text)}",
    ]
    if history.observed_text:
        lines.append(f"- {history.observed_text}")
    lines += [f"- {settings_line(history)}", ""]
    if history.runs:
        headers = (
            "Job",
            "Scheduled (UTC)",
            "Outcome",
            "Start",
            "Completion",
            "Duration",
            "Reason",
            "Retries",
            "Evidence",
        )
        rows = [
            (
                job_cell(v.run),
                scheduled_cell(v.run, history.zone),
                v.run.outcome,
                utc(v.run.start, seconds=True),
                utc(v.run.end, seconds=True),
                format_duration(v.run.duration(history.now)),
                reason_cell(v.run),
                str(v.run.retries),
                evidence_cell(v.run),
            )
            for v in history.runs
        ]
        lines += [f"### Runs ({len(history.runs)} shown, oldest first)", "", table(headers, rows), ""]
    lines += ["### Summary", ""] + [f"- {line}" for line in summary_lines(history)] + [""]
    if history.warnings:
        lines += ["### Warnings", ""]
        for warning in history.warnings:
            lines.append(f"- **{warning.id}**: {clean(warning.text)}")
            if warning.hint:
                lines.append(f"  - {clean(warning.hint)}")
        lines.append("")
    views = [v for v in history.runs if v.verdict is not None]
    if views:
        lines += ["### Verdicts (from the pods that remain, or recorded by record)", ""]
        for view in views:
            verdict = view.verdict
            assert verdict is not None
            source = "recorded" if view.run.recorded else "its pods"
            lines.append(
                f"- {code(view.run.job)} ({source}): **{verdict.verdict}** ({verdict.confidence:.2f}) — "
                f"{clean(verdict.summary)}"
            )
        lines.append("")
    target = f"{history.namespace}/{history.name}"
    steps = []
    if history.failing:
        steps.append(("Reproduce the failure with the evidence kept, and get the root cause:",
                      f"cronjob-doctor diagnose {target} --memory original,512Mi -o markdown"))
    if any(w.id.startswith("evidence") for w in history.warnings):
        steps.append(("Capture every run from now on, so the next failure keeps its logs:",
                      f"cronjob-doctor record {target}"))
    steps.append(("After a fix, check the next scheduled runs:", f"cronjob-doctor history {target}"))
    if history.left:
        lines += ["### Debug Jobs left by cronjob-doctor", "",
                  table(("Job", "State", "Status", "Why"),
                        [(j.name, j.state, j.outcome if j.finished else "still running", j.why) for j in history.left]),
                  ""]
    for step in left_next_steps(history.left):
        steps.insert(0, ("Adopt (follow and judge) or delete the debug Job a killed diagnose left:", step))
    lines += ["### Next steps", ""]
    for text, command in steps:
        lines += [text, "", fenced(command, "sh"), ""]
    if history.command:
        lines += ["### What ran", "", fenced(history.command, "sh"), ""]
    lines += [f"_note: {clean(note)}_" for note in history.notes]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------- writer


RENDERERS = {"text": render_text, "json": render_json, "yaml": render_yaml, "markdown": render_markdown}
