"""The schedule: a cron expression the controller cannot parse, `CRON_TZ=`/`TZ=` in it, an unknown timeZone,
no timeZone where local time is probably meant, and a suspended CronJob.

Kubernetes parses schedules with robfig/cron's standard parser: five fields (minute hour day-of-month month
day-of-week, day-of-week 0-6 only), month and day names, `*`, `?`, ranges, lists and steps, or the macros
@yearly @annually @monthly @weekly @daily @midnight @hourly and @every <duration>.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload

_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {n: i + 1 for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}),
    ("day of week", 0, 6, {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
)
_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_TZ_PREFIX = re.compile(r"^\s*(CRON_TZ|TZ)=(\S+)\s+")


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


class ScheduleInvalid(BaseCheck):
    id = "schedule-invalid"
    severity: Severity = "error"
    title = "Invalid cron schedule"
    help = "The API server rejects a schedule its cron parser cannot read; the CronJob never runs."
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        schedule = workload.spec.get("schedule")
        if not isinstance(schedule, str):
            yield self.finding(
                workload,
                message="spec.schedule is missing",
                path="spec.schedule",
                fix="set spec.schedule, e.g. '0 2 * * *'",
            )
            return
        error = schedule_error(_TZ_PREFIX.sub("", schedule))
        if error:
            yield self.finding(
                workload,
                message=f"schedule {schedule!r} is invalid: {error}",
                path="spec.schedule",
                fix="write five fields: minute hour day-of-month month day-of-week (crontab.guru checks them)",
            )


class ScheduleTimezonePrefix(BaseCheck):
    id = "schedule-tz-prefix"
    severity: Severity = "error"
    title = "CRON_TZ= or TZ= in the schedule"
    help = (
        "Kubernetes never supported CRON_TZ/TZ in spec.schedule; since timeZone went GA (1.27) the API server "
        "rejects it together with spec.timeZone, and newer releases reject it on create."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        schedule = workload.spec.get("schedule")
        match = _TZ_PREFIX.match(schedule) if isinstance(schedule, str) else None
        if not match:
            return
        both = " together with spec.timeZone" if workload.spec.get("timeZone") else ""
        yield self.finding(
            workload,
            message=f"schedule {schedule!r} sets {match.group(1)}={match.group(2)} in the schedule{both}: the API "
            "server rejects it",
            path="spec.schedule",
            fix=f"remove the prefix and set spec.timeZone: {match.group(2)}",
        )


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


def _known_zone(name: str) -> bool | None:
    """True/False when the tz database answers, None when the system has no tz database to ask."""
    zones = _zones()
    if zones is None:
        return None
    return name in zones or name == "UTC"


class TimezoneInvalid(BaseCheck):
    id = "timezone-invalid"
    severity: Severity = "error"
    title = "Unknown timeZone"
    help = "spec.timeZone must be an IANA tz database name (Europe/Berlin); the API server rejects others."
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        zone = workload.spec.get("timeZone")
        if not isinstance(zone, str) or not zone:
            return
        if zone.lower() == "local" or _known_zone(zone) is False:
            yield self.finding(
                workload,
                message=f"timeZone {zone!r} is not an IANA time zone name",
                path="spec.timeZone",
                fix="use a tz database name such as Etc/UTC or Europe/Berlin",
            )


class TimezoneMissing(BaseCheck):
    id = "timezone-missing"
    severity: Severity = "info"
    title = "Schedule at fixed hours without timeZone"
    help = (
        "Without spec.timeZone the schedule runs in the kube-controller-manager's time zone, UTC on nearly "
        "every cluster, not in the author's local time (and not with daylight saving)."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        schedule = workload.spec.get("schedule")
        if workload.spec.get("timeZone") or not isinstance(schedule, str) or _TZ_PREFIX.match(schedule):
            return
        fields = schedule.split()
        if len(fields) != 5 or not re.fullmatch(r"[0-9,\-]+", fields[1]):
            return  # every hour, or a step: the time zone does not matter much
        yield self.finding(
            workload,
            message=f"schedule {schedule!r} runs at hour {fields[1]} in the controller's time zone (UTC on most "
            "clusters), not local time",
            path="spec.timeZone",
            fix="set spec.timeZone (e.g. Etc/UTC to make it explicit, or Europe/Berlin if local time was meant)",
        )


class Suspended(BaseCheck):
    id = "suspended"
    severity: Severity = "info"
    title = "CronJob is suspended"
    help = "A suspended CronJob creates no Jobs; runs missed while suspended count toward missed schedules."
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        if workload.spec.get("suspend") is True:
            yield self.finding(
                workload,
                message="the CronJob is suspended: no runs are scheduled",
                path="spec.suspend",
                fix="set suspend: false to resume (with startingDeadlineSeconds set, missed runs are not started)",
            )
