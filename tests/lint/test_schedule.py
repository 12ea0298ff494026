"""The cron parser Kubernetes uses (robfig/cron standard), as a table."""

from __future__ import annotations

import pytest

from cronjob_doctor.lint.schedule import schedule_error


@pytest.mark.parametrize(
    "schedule",
    ["0 8 * * *", "*/5 * * * *", "0 0 1,15 * ?", "0 9-17/2 * JAN-DEC mon-fri", "@hourly", "@every 1h30m",
     "59 23 31 12 6"],
)
def test_valid(schedule: str) -> None:
    assert schedule_error(schedule) is None


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("", "empty"),
        ("0 8 * *", "expected 5 fields"),
        ("0 0 8 * * *", "a seconds field is not supported"),
        ("60 * * * *", "minute: 60 is outside 0-59"),
        ("0 24 * * *", "hour: 24 is outside 0-23"),
        ("0 8 0 * *", "day of month: 0 is outside 1-31"),
        ("0 8 * 13 *", "month: 13 is outside 1-12"),
        ("0 8 * * 7", "Sunday is 0; 7 is not accepted"),
        ("0 8 * * fun", "'fun' is not a number or a name"),
        ("H 8 * * *", "'H' is not a number"),
        ("*/0 * * * *", "bad step"),
        ("0 18-8 * * *", "runs backwards"),
        ("? 8 * * *", "only allowed for day of month"),
        ("@fortnightly", "unknown macro"),
    ],
)
def test_invalid(schedule: str, why: str) -> None:
    error = schedule_error(schedule)
    assert error is not None and why in error
