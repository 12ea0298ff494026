"""The rich text report, rendered to a string as rich's own tests do."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from cronjob_doctor import report
from cronjob_doctor.report import text
from cronjob_doctor.rules.base import Evidence, Finding, Verdict
from tests.report.verdicts import INCIDENT


def render(verdict: Verdict, *, width: int = 100, color_system: str | None = None) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=color_system)  # type: ignore[arg-type]
    console.print(text.render(verdict), crop=False)  # as report.write() prints it: code is never cropped
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_headline_names_verdict_and_confidence_in_words() -> None:
    out = render(INCIDENT)
    assert "VERDICT: oom (confidence 0.95)" in out
    assert "cronjob-doctor: tofu-state/tf-state-backup" in out
    assert "The container was OOMKilled at the 128Mi limit" in out


def test_evidence_lists_each_source_then_its_text() -> None:
    lines = render(INCIDENT, width=140).splitlines()
    source = next(
        i for i, line in enumerate(lines) if "pods.json tf-state-backup-doctor-a1b2c-x7k2p/backup" in line
    )
    assert "container backup terminated: reason OOMKilled, exit code 137" in lines[source + 1]


def test_runner_ups_are_listed_but_not_the_winner() -> None:
    out = render(INCIDENT, width=140)
    assert "Other candidates:" in out
    assert "network 0.40 — curl downloads from dl.k8s.io" in out
    assert "oom 0.95" not in out


def test_no_root_cause_section_when_nothing_else_fired() -> None:
    alone = replace(INCIDENT, findings=INCIDENT.findings[:1])
    assert "Other candidates" not in render(alone)


def test_fix_prints_code_lines_verbatim() -> None:
    lines = [line.strip() for line in render(INCIDENT, width=200).splitlines()]
    assert "Raise the memory limit to 256Mi (measured peak 182Mi plus headroom):" in " ".join(lines)
    assert "FROM alpine:3.20" in lines
    assert "RUN apk add --no-cache curl" in lines
    assert "COPY --from=minio/mc:latest /usr/bin/mc /usr/local/bin/mc" in lines
    patch = next(line for line in lines if line.startswith("kubectl -n tofu-state patch"))
    assert patch == INCIDENT.remediation[0].splitlines()[1]


def test_runs_table_shows_outcome_reason_exit_peak_and_duration() -> None:
    lines = render(INCIDENT).splitlines()
    oom = next(line for line in lines if line.lstrip().startswith("original"))
    ok = next(line for line in lines if line.lstrip().startswith("512Mi"))
    assert oom.split() == ["original", "1", "failed", "OOMKilled", "137", "-", "/", "128Mi", "21.4s", "oom"]
    assert ok.split() == [
        "512Mi",
        "1",
        "succeeded",
        "-",
        "0",
        "182Mi",
        "/",
        "512Mi",
        "(36%)",
        "38.2s",
        "success",
    ]


def test_bundle_cleanup_and_notes_close_the_report() -> None:
    noted = replace(INCIDENT, notes=("rule network raised KeyError: 'status'",))
    out = render(noted, width=120)
    assert "Bundle: bundles/tf-state-backup" in out
    assert "Cleanup: deleted 2 debug Jobs (tf-state-backup-doctor-a1b2c, tf-state-backup-doctor-d3e4f)" in out
    assert "- rule network raised KeyError: 'status'" in out


def test_empty_sections_are_left_out() -> None:
    out = render(Verdict(verdict="unknown", confidence=0.0, summary="No rule matched the bundle."))
    assert "VERDICT: unknown (confidence 0.00)" in out
    for heading in ("Evidence", "Root cause", "Fix", "Runs", "Bundle:", "Cleanup:", "Notes"):
        assert heading not in out


@pytest.mark.parametrize(
    ("verdict_id", "sgr"),
    [("success", "\x1b[1;32m"), ("unknown", "\x1b[1;33m"), ("oom", "\x1b[1;31m"), ("network", "\x1b[1;31m")],
)
def test_headline_colour_follows_severity(verdict_id: str, sgr: str) -> None:
    out = render(Verdict(verdict=verdict_id, confidence=0.5, summary="s"), color_system="standard")
    assert f"{sgr}VERDICT: {verdict_id}" in out


def test_log_text_is_never_read_as_markup_or_terminal_control() -> None:
    odd = Verdict(
        verdict="script-error",
        confidence=0.7,
        summary="exit 1 after [bold]mc cp[/bold]",
        evidence=(
            Evidence(
                "logs/p/c.log:3", "mc: <ERROR> [red]Access Denied.[/red] \x1b[2J\x1b]0;pwned\x07 :thumbs_up:"
            ),
        ),
        findings=(Finding("script-error", 0.7, "exit 1 after [bold]mc cp[/bold]"),),
    )
    out = render(odd, color_system="standard")
    assert "exit 1 after [bold]mc cp[/bold]" in out
    assert "mc: <ERROR> [red]Access Denied.[/red]  :thumbs_up:" in out
    assert "\x1b[2J" not in out and "pwned" not in out


def test_write_prints_the_renderable_to_the_console() -> None:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    report.write(console, INCIDENT, fmt="text")
    assert console.file.getvalue() == render(INCIDENT)  # type: ignore[attr-defined]


def test_only_the_runner_up_id_is_bold_not_its_summary() -> None:
    out = render(INCIDENT, width=140, color_system="standard")
    assert "\x1b[1mnetwork 0.40\x1b[0m — curl downloads" in out
