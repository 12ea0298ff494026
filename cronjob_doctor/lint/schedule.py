"""The schedule: a cron expression the controller cannot parse, `CRON_TZ=`/`TZ=` in it, an unknown timeZone,
no timeZone where local time is probably meant, and a suspended CronJob.

Kubernetes parses schedules with robfig/cron's standard parser: five fields (minute hour day-of-month month
day-of-week, day-of-week 0-6 only), month and day names, `*`, `?`, ranges, lists and steps, or the macros
@yearly @annually @monthly @weekly @daily @midnight @hourly and @every <duration>.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cronjob_doctor.k8s.schedule import TZ_PREFIX, known_zone, schedule_error
from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload


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
        error = schedule_error(TZ_PREFIX.sub("", schedule))
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
        match = TZ_PREFIX.match(schedule) if isinstance(schedule, str) else None
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
        if zone.lower() == "local" or known_zone(zone) is False:
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
        if workload.spec.get("timeZone") or not isinstance(schedule, str) or TZ_PREFIX.match(schedule):
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
