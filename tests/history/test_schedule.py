"""schedule.py: fire times, plain descriptions, and what the parser refuses."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cronjob_doctor.k8s import schedule

NOW = datetime(2026, 3, 23, 12, 0, tzinfo=timezone.utc)


def parsed(expression: str, zone: str | None = None) -> schedule.Schedule:
    result, problem = schedule.parse(expression, zone)
    assert result is not None, problem
    return result


@pytest.mark.parametrize(
    ("expression", "zone", "text"),
    [
        ("0 8 * * *", None, "schedule `0 8 * * *` fires at 08:00 UTC"),
        ("0 2 * * *", "America/Chicago", ("schedule `0 2 * * *` (America/Chicago) fires at 02:00 America/Chicago "
                                         "(07:00 UTC)")),
        ("*/15 * * * *", None, "schedule `*/15 * * * *` fires every 15m (next 2026-03-23 12:15 UTC)"),
        ("@hourly", None, "schedule `@hourly` fires every 1h (next 2026-03-23 13:00 UTC)"),
        ("0 3 * * 1", None, "schedule `0 3 * * 1` fires at 03:00 UTC, not every day (next Mon 2026-03-30)"),
    ],
)
def test_describe_says_when_the_schedule_fires(expression: str, zone: str | None, text: str) -> None:
    assert schedule.describe(parsed(expression, zone), NOW) == text


def test_tz_prefix_sets_the_zone() -> None:
    result = parsed("CRON_TZ=Europe/Berlin 30 1 * * *")
    assert (result.expression, result.zone_name) == ("30 1 * * *", "Europe/Berlin")


@pytest.mark.parametrize(
    ("expression", "zone", "problem"),
    [
        ("", None, "no schedule"),
        ("0 8 * * * *", None, "not a 5-field"),
        ("61 8 * * *", None, "not a cron expression"),
        ("0 8 * * *", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_unreadable_schedules_say_why(expression: str, zone: str | None, problem: str) -> None:
    result, why = schedule.parse(expression, zone)
    assert result is None and why is not None and problem in why


def test_matches_is_true_only_at_fire_times() -> None:
    daily = parsed("0 8 * * *")
    assert daily.matches(datetime(2026, 3, 19, 8, 0, tzinfo=timezone.utc))
    assert not daily.matches(datetime(2026, 3, 19, 2, 0, tzinfo=timezone.utc))


def test_zoned_schedule_fires_at_the_local_time() -> None:
    chicago = parsed("0 2 * * *", "America/Chicago")
    # CDT (UTC-5) from 8 March 2026
    assert chicago.matches(datetime(2026, 3, 19, 7, 0, tzinfo=timezone.utc))
    assert chicago.previous_fire(NOW) == datetime(2026, 3, 23, 7, 0, tzinfo=timezone.utc)


def test_fires_between_excludes_both_ends() -> None:
    daily = parsed("0 8 * * *")
    fires = daily.fires_between(
        datetime(2026, 3, 19, 8, tzinfo=timezone.utc), datetime(2026, 3, 22, 8, tzinfo=timezone.utc)
    )
    assert [f.day for f in fires] == [20, 21]
