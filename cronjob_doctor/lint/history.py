"""Evidence retention: how long a failed run's Job, pods and logs survive.

- failedJobsHistoryLimit (default 1) keeps only the newest failed Job; 0 deletes each one at once.
- ttlSecondsAfterFinished under 15 minutes deletes the failed Job before KubeJobFailed (`for: 15m`) fires.
- restartPolicy OnFailure restarts the container in the same pod: only the previous log survives, and the Job
  controller deletes the pod when backoffLimit is reached.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload

ALERT_FOR_SECONDS = 900
"""kube-prometheus' KubeJobFailed alert has `for: 15m`."""
DEFAULT_BACKOFF_LIMIT = 6


class FailedHistoryShort(BaseCheck):
    id = "failed-history-short"
    severity: Severity = "warning"
    title = "Only one failed Job is kept"
    help = (
        "failedJobsHistoryLimit 1 (the default) keeps only the newest failed Job: the next failure deletes "
        "the previous one with its pods and logs, so intermittent failures leave at most one piece of evidence."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        value = workload.spec.get("failedJobsHistoryLimit")
        if value is not None and (not isinstance(value, int) or value != 1):
            return
        shown = "is unset (default 1)" if value is None else "is 1"
        yield self.finding(
            workload,
            message=f"failedJobsHistoryLimit {shown}: each failure deletes the previous failed Job, its pods "
            "and logs",
            path="spec.failedJobsHistoryLimit",
            fix="set failedJobsHistoryLimit: 3 or more (and ship logs off the cluster, or run "
            "cronjob-doctor record)",
        )


class FailedHistoryZero(BaseCheck):
    id = "failed-history-zero"
    severity: Severity = "error"
    title = "Failed Jobs are deleted at once"
    help = (
        "failedJobsHistoryLimit 0 deletes every failed Job, with its pods and logs, as soon as it fails: "
        "there is nothing to inspect and KubeJobFailed never fires."
    )
    cronjob_only = True

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        if workload.spec.get("failedJobsHistoryLimit") != 0:
            return
        yield self.finding(
            workload,
            message="failedJobsHistoryLimit is 0: a failed Job, its pods and logs are deleted at once and "
            "KubeJobFailed never fires",
            path="spec.failedJobsHistoryLimit",
            fix="set failedJobsHistoryLimit: 3",
        )


class TtlTooShort(BaseCheck):
    id = "ttl-too-short"
    severity: Severity = "error"
    title = "ttlSecondsAfterFinished under 15 minutes"
    help = (
        "A finished Job, failed ones included, is deleted ttlSecondsAfterFinished seconds after it ends. Under "
        "15 minutes the KubeJobFailed alert (for: 15m) never fires and the logs are gone before anyone looks."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        value = workload.job_spec.get("ttlSecondsAfterFinished")
        if not isinstance(value, int) or value >= ALERT_FOR_SECONDS:
            return
        yield self.finding(
            workload,
            message=f"ttlSecondsAfterFinished is {value}: failed Jobs are deleted before KubeJobFailed "
            "(for: 15m) can fire, with their pods and logs",
            path=f"{workload.job_path}.ttlSecondsAfterFinished",
            fix="remove ttlSecondsAfterFinished from CronJob templates (the history limits clean up) or set "
            "it to 86400 or more",
        )


class RestartOnFailure(BaseCheck):
    id = "restart-on-failure"
    severity: Severity = "warning"
    title = "restartPolicy OnFailure loses the evidence"
    help = (
        "With OnFailure the container restarts in the same pod: only the last previous log survives, and the "
        "Job controller deletes the pod when backoffLimit is reached, so a BackoffLimitExceeded Job has no pod "
        "and no termination reason left."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        if workload.pod_spec.get("restartPolicy") != "OnFailure":
            return
        backoff = workload.job_spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)
        if not isinstance(backoff, int) or backoff <= 0:
            return
        shown = "default 6" if "backoffLimit" not in workload.job_spec else str(backoff)
        yield self.finding(
            workload,
            message=f"restartPolicy OnFailure with backoffLimit {shown}: retries restart the container in "
            "place, only the last previous log survives, and the pod is deleted at BackoffLimitExceeded",
            path=f"{workload.pod_path}.restartPolicy",
            fix="set restartPolicy: Never (one pod per attempt, each kept with its logs and termination "
            "reason until the Job is removed)",
        )
