"""triage.build() and the scan renderers on plain dicts: rows, ranking worst first, --failing, formats."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

from rich.console import Console

from cronjob_doctor.report import scan as report
from cronjob_doctor.scan import model as triage
from tests.builders import container, daily_cronjob, pod, scheduled_job, terminated

NOW = datetime(2026, 3, 25, tzinfo=timezone.utc)


def cj(name: str, namespace: str = "apps", **kwargs: object) -> dict:
    return daily_cronjob(name, namespace=namespace, uid=f"uid-{namespace}-{name}", **kwargs)  # type: ignore[arg-type]


def jb(of: dict, minutes: int, outcome: str = "Complete") -> dict:
    meta = of["metadata"]
    return scheduled_job(minutes, outcome, cronjob_name=meta["name"], namespace=meta["namespace"],
                         owner_uid=meta["uid"])


def scan(cronjobs: list[dict], jobs: list[dict], pods: list[dict] | None = None, **kwargs: object) -> triage.Scan:
    return triage.build(cronjobs, jobs, pods or [], scope="all namespaces", now=NOW, **kwargs)  # type: ignore[arg-type]


def fixture() -> tuple[list[dict], list[dict], list[dict]]:
    ok, flaky, broken, idle, paused = (
        cj("ok"),
        cj("flaky"),
        cj("broken", "team"),
        cj("idle"),
        cj("paused", suspend=True),
    )
    jobs = [jb(ok, 10), jb(ok, 20), jb(flaky, 10, "Failed"), jb(flaky, 20, "Failed"), jb(flaky, 30),
            jb(broken, 10), jb(broken, 20, "Failed"), jb(broken, 30, "Failed"), jb(paused, 5)]
    pods = [pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), of=jobs[7])]
    return [ok, flaky, broken, idle, paused], jobs, pods


def test_rows_carry_the_triage_facts() -> None:
    result = scan(*fixture())
    broken = next(r for r in result.rows if r.name == "broken")
    assert (broken.last_outcome, broken.failure_streak, broken.lost_evidence) == ("failed", 2, 1)
    assert broken.last_reason == "BackoffLimitExceeded / OOMKilled / exit 137"
    assert broken.last_success is not None and broken.last_schedule == datetime.fromtimestamp(30 * 60, timezone.utc)
    flaky = next(r for r in result.rows if r.name == "flaky")
    assert (flaky.failing, flaky.lost_evidence) == (False, 2)


def test_failing_cronjobs_come_first_then_lint_errors_then_lost_evidence() -> None:
    cronjobs, jobs, pods = fixture()
    lint = {("apps", "idle"): 2}
    result = scan(cronjobs, jobs, pods, lint_errors=lint)
    assert [r.name for r in result.rows] == ["broken", "idle", "flaky", "paused", "ok"]
    assert (result.total, result.failing, result.exit_code) == (5, 1, 1)


def test_only_failing_filters_rows_but_counts_all() -> None:
    result = scan(*fixture(), only_failing=True)
    assert [r.name for r in result.rows] == ["broken"]
    assert result.total == 5


def test_nothing_failing_exits_0() -> None:
    ok = cj("ok")
    assert scan([ok], [jb(ok, 10)]).exit_code == 0


def test_text_table_fits_80_columns() -> None:
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(report.render_text(scan(*fixture())))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in out.splitlines()) <= 80
    assert all(line == line.rstrip() for line in out.splitlines())  # nothing padded out for pipes
    assert "team/broken" in out and "next: cronjob-doctor history team/broken" in out
    assert "1 failing now" in out


def test_json_and_markdown_rank_the_same_way() -> None:
    result = scan(*fixture())
    data = json.loads(report.render_json(result))
    assert [c["name"] for c in data["cronjobs"]][:1] == ["broken"]
    assert data["cronjobs"][0]["failing"] is True and data["failing"] == 1
    md = report.render_markdown(result)
    assert md.index("team/broken") < md.index("apps/ok")


def test_yaml_report_is_the_json_document() -> None:
    import yaml

    result = scan(*fixture())
    assert yaml.safe_load(report.render_yaml(result)) == json.loads(report.render_json(result))
