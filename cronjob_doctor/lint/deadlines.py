"""Deadlines: no activeDeadlineSeconds (a hung download holds the run, and with Forbid every later run, for
days), no startingDeadlineSeconds, and one under 10 seconds (the controller may never start the job)."""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload


class ActiveDeadlineMissing(BaseCheck):
    id = "active-deadline-missing"
    severity: Severity = "warning"
    title = "No activeDeadlineSeconds"
    help = (
        "Without activeDeadlineSeconds a run stuck on a stalled download or a hung connection never ends: it "
        "fails days later or never, and with concurrencyPolicy Forbid it blocks every later run."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        if workload.job_spec.get("activeDeadlineSeconds") is not None:
            return
        forbid = workload.spec.get("concurrencyPolicy") == "Forbid" if workload.is_cronjob else False
        yield self.finding(
            workload,
            message="no activeDeadlineSeconds: a hung run is never stopped"
            + (" and, with concurrencyPolicy Forbid, blocks every later run" if forbid else ""),
            path=f"{workload.job_path}.activeDeadlineSeconds",
            fix="set activeDeadlineSeconds to a few times the normal run time, below the schedule interval "
            "(the Job then fails with reason DeadlineExceeded)",
        )


class StartingDeadlineMissing(BaseCheck):
    id = "starting-deadline-missing"
    severity: Severity = "info"
    title = "No startingDeadlineSeconds"
    help = (
        "Without startingDeadlineSeconds a run missed while the controller was down starts whenever it comes "
        "back, and after more than 100 missed schedules the CronJob stops scheduling."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        if workload.spec.get("startingDeadlineSeconds") is not None:
            return
        yield self.finding(
            workload,
            message="no startingDeadlineSeconds: a missed run starts late at any time, and after 100 missed "
            "schedules the controller stops creating Jobs",
            path="spec.startingDeadlineSeconds",
            fix="set startingDeadlineSeconds (e.g. 300 to 3600) so a late run is skipped and counted as missed",
        )


class StartingDeadlineTooShort(BaseCheck):
    id = "starting-deadline-too-short"
    severity: Severity = "warning"
    title = "startingDeadlineSeconds under 10 seconds"
    help = (
        "The CronJob controller may take several seconds to notice a schedule; a starting deadline under "
        "10 seconds can make it skip runs, or never start the job at all."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        value = workload.spec.get("startingDeadlineSeconds")
        if not isinstance(value, int) or value >= 10:
            return
        yield self.finding(
            workload,
            message=f"startingDeadlineSeconds is {value}: under 10 s the job may be skipped or never start",
            path="spec.startingDeadlineSeconds",
            fix="set startingDeadlineSeconds to 60 or more",
        )
