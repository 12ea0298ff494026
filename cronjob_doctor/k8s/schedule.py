"""A CronJob's schedule as the controller reads it: fire times in its time zone, a plain description
(`schedule `0 8 * * *` fires at 08:00 UTC`), and checks of observed scheduled times against it.

Cron syntax is croniter's job (a well-kept library rather than a hand-written parser). Pure: callers pass `now`.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped]

MAX_FIRES = 5000
"""Cap on fire times walked between two observations (a per-minute schedule over 3 days is 4320)."""


@dataclass(frozen=True)
class Schedule:
    """A parsed `spec.schedule` with the zone it fires in."""

    expression: str
    """The cron expression without a `TZ=`/`CRON_TZ=` prefix."""
    zone: tzinfo
    zone_name: str
    """`UTC` unless spec.timeZone (or a TZ= prefix) names one; the controller's zone is UTC in practice."""

    def fires_after(self, moment: datetime) -> Iterator[datetime]:
        """Fire times strictly after `moment`, in UTC."""
        walker = croniter(self.expression, moment.astimezone(self.zone))
        while True:
            yield walker.get_next(datetime).astimezone(timezone.utc)

    def next_fire(self, moment: datetime) -> datetime:
        return next(self.fires_after(moment))

    def previous_fire(self, moment: datetime) -> datetime:
        """The latest fire time at or before `moment`, in UTC."""
        walker = croniter(self.expression, (moment + timedelta(seconds=1)).astimezone(self.zone))
        fire: datetime = walker.get_prev(datetime)
        return fire.astimezone(timezone.utc)

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires at `moment` (to the minute)."""
        return self.previous_fire(moment) == moment.astimezone(timezone.utc).replace(second=0, microsecond=0)

    def fires_between(self, start: datetime, end: datetime) -> list[datetime]:
        """Fire times strictly between `start` and `end` (at most MAX_FIRES)."""
        out: list[datetime] = []
        for fire in self.fires_after(start):
            if fire >= end or len(out) >= MAX_FIRES:
                break
            out.append(fire)
        return out


def suspended(cronjob: Any) -> bool:
    """spec.suspend: true: the controller starts no Job on the schedule until it is resumed (Jobs already
    started and Jobs created by hand still run)."""
    spec = cronjob.get("spec") if isinstance(cronjob, dict) else None
    return isinstance(spec, dict) and spec.get("suspend") is True


def resume_command(namespace: str, name: str) -> str:
    """The kubectl command that resumes a suspended CronJob (a hint for the reader; the tool never runs it)."""
    return f"kubectl patch cronjob -n {namespace} {name} -p '{{\"spec\":{{\"suspend\":false}}}}'"


_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {n: i + 1 for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}),
    ("day of week", 0, 6, {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
)
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
TZ_PREFIX = re.compile(r"^\s*(CRON_TZ|TZ)=(\S+)\s+")


def _value(text: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    number = names.get(text.lower())
    if number is None:
        if not text.isdigit():
            raise ValueError(f"{field}: {text!r} is not a number" + (" or a name" if names else ""))
        number = int(text)
    if not low <= number <= high:
        hint = " (Sunday is 0; 7 is not accepted)" if field == "day of week" and number == 7 else ""
        raise ValueError(f"{field}: {number} is outside {low}-{high}{hint}")
    return number


def _check_field(text: str, field: str, low: int, high: int, names: dict[str, int]) -> None:
    for part in text.split(","):
        if not part:
            raise ValueError(f"{field}: empty list item in {text!r}")
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{field}: bad step {step!r} in {part!r}")
        if base in ("*", "?"):
            if base == "?" and field not in ("day of month", "day of week"):
                raise ValueError(f"{field}: '?' is only allowed for day of month and day of week")
            continue
        start, dash, end = base.partition("-")
        first = _value(start, low, high, names, field)
        if dash:
            last = _value(end, low, high, names, field)
            if first > last:
                raise ValueError(f"{field}: range {base!r} runs backwards")


def schedule_error(schedule: str) -> str | None:
    """Why Kubernetes would reject `schedule` (the TZ prefix already removed), or None when it parses."""
    text = schedule.strip()
    if not text:
        return "the schedule is empty"
    if text.startswith("@"):
        if text in _MACROS:
            return None
        if re.fullmatch(r"@every\s+(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+", text):
            return None
        return f"unknown macro {text.split()[0]!r}"
    fields = text.split()
    if len(fields) != 5:
        extra = " (a seconds field is not supported)" if len(fields) == 6 else ""
        return f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}{extra}"
    for value, (field, low, high, names) in zip(fields, _FIELDS, strict=False):
        try:
            _check_field(value, field, low, high, names)
        except ValueError as exc:
            return str(exc)
    return None


@functools.cache
def _zones() -> frozenset[str] | None:
    """The tz database's zone names, read once: listing them walks the zoneinfo directories (~10 ms), and
    `scan` checks every CronJob of a cluster. None when the system has no tz database to ask."""
    try:
        import zoneinfo

        zones = zoneinfo.available_timezones()
    except (ImportError, OSError):
        return None
    return frozenset(zones) or None


def known_zone(name: str) -> bool | None:
    """True/False when the tz database answers, None when the system has no tz database to ask."""
    zones = _zones()
    if zones is None:
        return None
    return name in zones or name == "UTC"


def parse(expression: str | None, time_zone: str | None = None) -> tuple[Schedule | None, str | None]:
    """Parse a CronJob's schedule; returns the Schedule, or None and why it cannot be read."""
    text = (expression or "").strip()
    zone_name = time_zone or "UTC"
    # Before spec.timeZone existed, `CRON_TZ=` / `TZ=` prefixes set the zone; the API now rejects new ones.
    for prefix in ("CRON_TZ=", "TZ="):
        if text.startswith(prefix):
            zone_part, _, text = text.partition(" ")
            zone_name = zone_part[len(prefix):]
            text = text.strip()
    if not text:
        return None, "the CronJob has no schedule"
    try:
        zone: tzinfo = timezone.utc if zone_name == "UTC" else ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return None, f"unknown time zone {zone_name!r}"
    # Kubernetes takes 5 fields or a macro (robfig/cron's rules); croniter would take more.
    if not text.startswith("@") and len(text.split()) != 5:
        return None, f"schedule {text!r} is not a 5-field cron expression"
    problem = schedule_error(text)
    if problem is not None:
        return None, f"schedule {text!r} is not a cron expression the CronJob controller accepts: {problem}"
    if not croniter.is_valid(text):
        return None, f"schedule {text!r} is not a cron expression this tool can read"
    return Schedule(expression=text, zone=zone, zone_name=zone_name), None


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def describe(schedule: Schedule, now: datetime) -> str:
    """One plain sentence: `schedule `0 8 * * *` fires at 08:00 UTC`, with the UTC time when zoned, else the
    period (`fires every 15m`)."""
    head = f"schedule `{schedule.expression}`"
    if schedule.zone_name != "UTC":
        head += f" ({schedule.zone_name})"
    fires = []
    for fire in schedule.fires_after(now):
        fires.append(fire)
        if len(fires) >= 8:
            break
    local_times = sorted({_clock(f.astimezone(schedule.zone)) for f in fires})
    if len(local_times) <= 3:
        text = f"{head} fires at " + ", ".join(f"{t} {schedule.zone_name}" for t in local_times)
        if schedule.zone_name != "UTC":
            utc_times = sorted({_clock(f) for f in fires})
            text += " (" + ", ".join(f"{t} UTC" for t in utc_times) + ")"
        spans = {(b - a).total_seconds() for a, b in itertools.pairwise(fires)}
        if spans and max(spans) > 86400:
            text += f", not every day (next {fires[0]:%a %Y-%m-%d})"
        return text
    gaps = sorted((b - a).total_seconds() for a, b in itertools.pairwise(fires))
    period = _span(gaps[len(gaps) // 2]) if gaps else "?"
    return f"{head} fires every {period} (next {fires[0]:%Y-%m-%d %H:%M} UTC)"

