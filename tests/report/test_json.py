"""The JSON report is exactly Verdict.to_dict(), written untouched by rich."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from cronjob_doctor import report
from cronjob_doctor.errors import InputError
from cronjob_doctor.report import json as json_report
from cronjob_doctor.rules.base import Evidence, Verdict
from tests.report.verdicts import INCIDENT


def test_render_is_the_verdict_dict() -> None:
    assert json.loads(json_report.render(INCIDENT)) == INCIDENT.to_dict()


def test_incident_json_carries_runs_and_context() -> None:
    data = json.loads(json_report.render(INCIDENT))
    assert [run["outcome"] for run in data["runs"]] == ["failed", "succeeded"]
    assert data["runs"][1]["peak_memory_bytes"] == 182 * 1024**2
    assert data["context"]["target"] == "tofu-state/tf-state-backup"
    assert [f["verdict"] for f in data["findings"]] == ["oom", "network"]


def test_write_leaves_markup_emoji_and_long_lines_alone() -> None:
    verdict = Verdict(
        verdict="network",
        confidence=0.8,
        summary="[bold]curl[/bold] :warning: " + "x" * 200,
        evidence=(Evidence("logs/p/c.log:9", "curl: (28) [timeout] after 30001 ms"),),
    )
    console = Console(file=io.StringIO(), width=40, color_system="truecolor", force_terminal=True)
    report.write(console, verdict, fmt="json")
    written = console.file.getvalue()  # type: ignore[attr-defined]
    assert written == json_report.render(verdict) + "\n"
    assert json.loads(written) == verdict.to_dict()


def test_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown output format 'xml'"):
        report.write(Console(file=io.StringIO()), INCIDENT, fmt="xml")
