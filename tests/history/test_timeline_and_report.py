"""timeline.build() and the history renderers, on plain dicts: summary numbers, exit codes, the three formats."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from rich.console import Console

from cronjob_doctor.history import model as timeline
from cronjob_doctor.report import history as report
from cronjob_doctor.rules.base import Evidence, Verdict
from tests.builders import at_minutes, container, daily_cronjob, pod, scheduled_job, terminated

DAY = 1440
FIRST = 29562240
INCIDENT = [(FIRST, "Complete"), (FIRST + DAY, "Complete"), (FIRST + 2 * DAY, "Failed"), (FIRST + 3 * DAY, "Complete"),
            (FIRST + 4 * DAY, "Failed")]
NOW = at_minutes(FIRST + 4 * DAY) + timedelta(hours=2)


def incident(**kwargs: object) -> timeline.History:
    jobs = [scheduled_job(m, o, took=161 if o == "Failed" else 74) for m, o in INCIDENT]
    return timeline.build(daily_cronjob(), jobs, [], now=NOW, **kwargs)  # type: ignore[arg-type]


def text_of(history: timeline.History, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(report.render_text(history))
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_summary_of_the_incident_pattern() -> None:
    s = incident().summary
    assert (s.total, s.succeeded, s.failed, s.failure_streak) == (5, 3, 2, 1)
    assert s.success_rate == 0.6
    assert s.typical_duration == 74 and s.worst_duration == 161
    assert s.last_success_job == f"tf-state-backup-{FIRST + 3 * DAY}"
    assert s.lost_evidence == (f"tf-state-backup-{FIRST + 2 * DAY}", f"tf-state-backup-{FIRST + 4 * DAY}")


def test_failing_now_exits_1_and_a_later_success_exits_0() -> None:
    assert incident().exit_code == 1
    jobs = [scheduled_job(m, o) for m, o in INCIDENT] + [scheduled_job(FIRST + 5 * DAY, "Complete")]
    assert timeline.build(daily_cronjob(), jobs, [], now=NOW + timedelta(days=1)).exit_code == 0


def test_no_jobs_is_not_failing() -> None:
    history = timeline.build(daily_cronjob(), [], [], now=NOW)
    assert history.exit_code == 0
    assert "No Jobs of this CronJob exist" in text_of(history)


def test_limit_shows_the_latest_runs_and_counts_all() -> None:
    history = incident(limit=2)
    assert [v.run.job for v in history.runs] == [
        f"tf-state-backup-{FIRST + 3 * DAY}",
        f"tf-state-backup-{FIRST + 4 * DAY}",
    ]
    assert history.hidden == 3 and history.summary.total == 5


def test_last_success_falls_back_to_the_cronjob_status() -> None:
    cj = daily_cronjob(status={"lastSuccessfulTime": "2026-03-10T08:01:14Z"})
    history = timeline.build(cj, [scheduled_job(FIRST, "Failed")], [], now=NOW)
    assert history.summary.last_success is not None and history.summary.last_success.day == 10


def test_text_report_fits_80_columns_and_names_what_matters() -> None:
    out = text_of(incident())
    assert max(len(line) for line in out.splitlines()) <= 80
    assert all(line == line.rstrip() for line in out.splitlines())  # nothing padded out for pipes
    assert "FAILING" in out
    assert "schedule `0 8 * * *` fires at 08:00 UTC" in out
    for suffix in (FIRST + 2 * DAY, FIRST + 4 * DAY):
        row = next(line for line in out.splitlines() if line.startswith(str(suffix)))
        assert "failed" in row and "BackoffLimitExceeded" in row and "pods gone" in row
    assert "2 failed runs have no pods left" in " ".join(out.split())


def test_time_zone_runs_show_local_time_too() -> None:
    history = timeline.build(daily_cronjob(schedule="0 3 * * *", time_zone="Europe/Berlin"),
                             [scheduled_job(29565180)], [], now=NOW)  # 2026-03-19 09:00 UTC = 10:00 CET
    out = text_of(history)
    assert "2026-03-19 09:00" in out and "2026-03-19 10:00 CET" in out


def test_json_report_has_every_run_field() -> None:
    data = json.loads(report.render_json(incident()))
    assert data["failing"] is True and data["summary"]["failure_streak"] == 1
    failed = data["runs"][2]
    assert failed["job"] == f"tf-state-backup-{FIRST + 2 * DAY}"
    assert failed["scheduled"] == "2026-03-19T08:00:00Z" and failed["scheduled_from"] == "name"
    assert (failed["outcome"], failed["reason"], failed["pods"], failed["evidence_lost"]) == (
        "failed", "BackoffLimitExceeded", [], True)
    assert failed["duration_seconds"] == 161
    assert {w["id"] for w in data["warnings"]} >= {"evidence-lost", "evidence-at-risk"}


def test_markdown_report_has_a_runs_table_and_warnings() -> None:
    md = report.render_markdown(incident())
    assert "| Job | Scheduled (UTC) | Outcome |" in md
    assert f"| tf-state-backup-{FIRST + 2 * DAY} | 2026-03-19 08:00 | failed |" in md
    assert "**evidence-lost**" in md


def test_verdicts_of_failed_runs_with_pods_are_shown() -> None:
    failed = scheduled_job(FIRST, "Failed")
    verdict = Verdict(
        verdict="oom",
        confidence=0.9,
        summary="the container was OOMKilled",
        evidence=(Evidence("pods.json x/backup", "OOMKilled, exit 137"),),
        remediation=("raise the limit",),
    )
    oom = pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), of=failed)
    history = timeline.build(daily_cronjob(), [failed], [oom], now=NOW,
                             verdicts={failed["metadata"]["name"]: verdict})
    out = text_of(history)
    assert "OOMKilled, exit 137" in out and "oom (confidence 0.90)" in out
    assert json.loads(report.render_json(history))["runs"][0]["verdict"]["verdict"] == "oom"
    assert "**oom**" in report.render_markdown(history)


def test_escape_sequences_from_the_api_do_not_reach_the_terminal() -> None:
    failed = scheduled_job(FIRST, "Failed", reason="Bad\x1b[31mReason")
    out = text_of(timeline.build(daily_cronjob(), [failed], [], now=NOW))
    assert "\x1b" not in out and "BadReason" in out


def test_yaml_report_is_the_json_document() -> None:
    import yaml

    history = incident()
    assert yaml.safe_load(report.render_yaml(history)) == json.loads(report.render_json(history))


def test_reasons_are_never_cut_mid_word_and_the_legend_explains_manual_runs() -> None:
    from cronjob_doctor import report as reports
    from cronjob_doctor.k8s.jobs import INSTANTIATE_ANNOTATION

    manual = scheduled_job(None, "Failed", name="manual-run", reason="BackoffLimitExceeded",
                           annotations={INSTANTIATE_ANNOTATION: "manual"})
    failed = scheduled_job(FIRST, "Failed", reason="BackoffLimitExceeded")
    made = timeline.build(daily_cronjob(), [failed, manual], [], now=NOW)
    console = Console(file=io.StringIO(), width=80, color_system=None)
    reports.write(console, made, fmt="text")
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert out.count("BackoffLimitExceeded") == 2, out  # whole, in both rows
    assert "(manual): made by hand (kubectl create job --from=cronjob/...)" in " ".join(out.split())


def test_commands_in_warnings_are_printed_whole_at_80_columns() -> None:
    from cronjob_doctor import report as reports

    made = timeline.build(daily_cronjob(), [scheduled_job(FIRST, "Failed")], [], now=NOW)
    console = Console(file=io.StringIO(), width=80, color_system=None)
    reports.write(console, made, fmt="text")
    lines = [line.strip() for line in console.file.getvalue().splitlines()]  # type: ignore[attr-defined]
    commands = [line for line in lines if line.startswith("cronjob-doctor ")]
    assert "cronjob-doctor diagnose tofu-state/tf-state-backup" in commands
    assert "cronjob-doctor record tofu-state/tf-state-backup" in commands
