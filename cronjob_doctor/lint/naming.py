"""Names the API server or the CronJob controller cannot use: a CronJob name over 52 characters (Job names
append `-<11-digit-ish scheduled time>` and must stay a 63-character label value), a Job name over 63."""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload

CRONJOB_NAME_MAX = 52
JOB_NAME_MAX = 63


class NameTooLong(BaseCheck):
    id = "name-too-long"
    severity: Severity = "error"
    title = "Name too long"
    help = (
        "The CronJob controller names each Job <cronjob>-<scheduled minutes>, and the Job name is copied into "
        "the pods' job-name label (63 characters at most): the API server rejects CronJob names over 52."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        limit = CRONJOB_NAME_MAX if workload.is_cronjob else JOB_NAME_MAX
        if len(workload.name) <= limit:
            return
        yield self.finding(
            workload,
            message=f"{workload.kind} name is {len(workload.name)} characters, over the {limit} allowed"
            + (": the API server rejects it (Job names add 11 characters)" if workload.is_cronjob else ""),
            path="metadata.name",
            fix=f"shorten the name to at most {limit} characters",
        )
