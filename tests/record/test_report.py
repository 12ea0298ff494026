"""The one-line-per-run renderers of `record`."""

from __future__ import annotations

import json

from cronjob_doctor.record.model import RecordedRun
from cronjob_doctor.report import record as record_report

RESULT = RecordedRun(namespace="tofu-state", cronjob="tf-state-backup", job="tf-state-backup-29568000",
                   outcome="failed", reason="BackoffLimitExceeded", verdict="oom", confidence=0.954,
                   summary="container backup was OOMKilled\n(exit 137)", bundle="rec/tofu-state/x", partial=True,
                   finished_at="2026-03-21T08:02:41Z", duration_seconds=160.0)


def test_text_line_is_one_grepable_line() -> None:
    line = record_report.text_line(RESULT)
    assert line == (
        "2026-03-21T08:02:41Z failed tofu-state/tf-state-backup job=tf-state-backup-29568000 "
        "reason=BackoffLimitExceeded verdict=oom(0.95) duration=2m40s bundle=rec/tofu-state/x partial "
        "- container backup was OOMKilled (exit 137)"
    )


def test_json_line_round_trips() -> None:
    line = record_report.json_line(RESULT)
    assert "\n" not in line
    data = json.loads(line)
    assert data["verdict"] == "oom" and data["confidence"] == 0.95 and data["partial"] is True
