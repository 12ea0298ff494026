"""The text report stays readable at 80 columns and in a pipe: nothing wider, nothing cut off with an ellipsis."""

from __future__ import annotations

import io
import json
import shlex
from dataclasses import replace

import pytest
from rich.cells import cell_len
from rich.console import Console

from cronjob_doctor import report
from cronjob_doctor.report.parts import is_code_line, remediation_blocks
from cronjob_doctor.rules.base import DebugRun, Evidence, Verdict
from tests.report.verdicts import INCIDENT

LONG_URL = (
    "https://dl.min.io/client/mc/release/linux-amd64/archive/mc.RELEASE.2024-06-12T14-34-03Z"
    + "?x="
    + "a" * 60
)
LONG_SOURCE = (
    "logs/tf-state-backup-doctor-0123456789abcdef-x7k2p/backup-container-with-a-long-name.previous.log:1234"
)

WORDY = replace(
    INCIDENT,
    evidence=(
        *INCIDENT.evidence,
        Evidence(LONG_SOURCE, f"+ curl -fsSL -o /tmp/mc {LONG_URL}"),
        Evidence("events.json", "Warning BackoffLimitExceeded Job has reached the specified backoff limit " * 3),
    ),
    runs=(
        *INCIDENT.runs,
        DebugRun(
            job="tf-state-backup-doctor-g5h6i",
            variant="original",
            memory_limit="128Mi",
            outcome="failed",
            reason="BackoffLimitExceeded",
            exit_code=137,
            duration_seconds=8130.0,
            verdict="deadline",
        ),
    ),
    notes=("the log of backup-x7 was cut at 10Mi by the kubelet's log rotation; " * 2,),
)


def piped(verdict: Verdict, monkeypatch: pytest.MonkeyPatch) -> str:
    """Render as `cronjob-doctor ... | less` would: not a terminal, width left to rich's default."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)
    console = Console(file=io.StringIO())
    assert not console.is_terminal and console.width == 80
    report.write(console, verdict, fmt="text")
    return console.file.getvalue()  # type: ignore[attr-defined]


@pytest.mark.parametrize("verdict", [INCIDENT, WORDY], ids=["incident", "wordy"])
def test_no_line_but_code_is_wider_than_80(verdict: Verdict, monkeypatch: pytest.MonkeyPatch) -> None:
    out = piped(verdict, monkeypatch)
    code = {line.strip() for item in verdict.remediation for block in remediation_blocks(item)
            if block.kind == "code" for line in block.text.splitlines()}
    assert max(cell_len(line) for line in out.splitlines() if line.strip() not in code) <= 80


def test_commands_and_dockerfiles_are_never_wrapped_so_they_paste(monkeypatch: pytest.MonkeyPatch) -> None:
    patch = ("kubectl patch cronjob tf-state-backup -n tofu-state --type=strategic -p '"
             + json.dumps({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
                 {"name": "backup", "resources": {"limits": {"memory": "320Mi"}}}]}}}}}}, separators=(",", ":"))
             + "'")
    dockerfile = ("FROM alpine:3.20\nRUN curl -fsSL --retry 3 --connect-timeout 10 --max-time 300 -o /usr/local/bin/mc "
                  "https://dl.min.io/client/mc/release/linux-amd64/mc \\\n    && chmod 0755 /usr/local/bin/mc")
    verdict = replace(INCIDENT, remediation=(f"apply: {patch}", f"bake them into the image:\n{dockerfile}"))
    lines = [line.strip() for line in piped(verdict, monkeypatch).splitlines()]
    assert patch in lines
    argv = shlex.split(patch)
    json.loads(argv[argv.index("-p") + 1])  # what a paste gives kubectl: valid JSON
    assert all(line.strip() in lines for line in dockerfile.splitlines())


@pytest.mark.parametrize("verdict", [INCIDENT, WORDY], ids=["incident", "wordy"])
def test_nothing_is_truncated_with_an_ellipsis(verdict: Verdict, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "…" not in piped(verdict, monkeypatch)


def test_long_evidence_wraps_and_keeps_every_character(monkeypatch: pytest.MonkeyPatch) -> None:
    squeezed = "".join(piped(WORDY, monkeypatch).split())
    for item in WORDY.evidence:
        assert "".join(item.source.split()) in squeezed
        assert "".join(item.text.split()) in squeezed


def test_long_reason_wraps_inside_the_runs_table(monkeypatch: pytest.MonkeyPatch) -> None:
    squeezed = "".join(piped(WORDY, monkeypatch).split())
    assert "BackoffLimitExceeded" in squeezed and "2h15m" in squeezed


def test_at_120_columns_evidence_stays_on_one_line() -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    report.write(console, INCIDENT, fmt="text")
    lines = console.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert any(line.strip() == INCIDENT.evidence[1].text for line in lines)
    assert max(cell_len(line) for line in lines if not is_code_line(line.strip())) <= 120
