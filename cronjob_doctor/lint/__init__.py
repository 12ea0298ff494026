"""Static checks of CronJob (and Job) specs: one family per module, one registry.

A new check takes a class in its family module (or a new module), one line here and one test case.
"""

from __future__ import annotations

from cronjob_doctor.lint.base import Check
from cronjob_doctor.lint.concurrency import ConcurrencyAllow
from cronjob_doctor.lint.deadlines import (
    ActiveDeadlineMissing,
    StartingDeadlineMissing,
    StartingDeadlineTooShort,
)
from cronjob_doctor.lint.downloads import DownloadNoRetry, DownloadNoTimeout, RuntimeDownload
from cronjob_doctor.lint.history import FailedHistoryShort, FailedHistoryZero, RestartOnFailure, TtlTooShort
from cronjob_doctor.lint.images import ImageLatest
from cronjob_doctor.lint.naming import NameTooLong
from cronjob_doctor.lint.resources import MemoryBelowDownloads, MemoryLimitMissing, MemoryTmpfs
from cronjob_doctor.lint.schedule import (
    ScheduleInvalid,
    ScheduleTimezonePrefix,
    Suspended,
    TimezoneInvalid,
    TimezoneMissing,
)
from cronjob_doctor.lint.scripts import ScriptNoErrexit, ScriptNoPipefail
from cronjob_doctor.lint.secrets import SecretInCommand, SecretLiteralEnv

CHECKS: tuple[Check, ...] = (
    ScheduleInvalid(),
    ScheduleTimezonePrefix(),
    TimezoneInvalid(),
    NameTooLong(),
    MemoryBelowDownloads(),
    FailedHistoryZero(),
    TtlTooShort(),
    RuntimeDownload(),
    DownloadNoTimeout(),
    DownloadNoRetry(),
    MemoryLimitMissing(),
    MemoryTmpfs(),
    ActiveDeadlineMissing(),
    FailedHistoryShort(),
    RestartOnFailure(),
    ScriptNoErrexit(),
    ScriptNoPipefail(),
    SecretInCommand(),
    SecretLiteralEnv(),
    ImageLatest(),
    ConcurrencyAllow(),
    StartingDeadlineTooShort(),
    StartingDeadlineMissing(),
    TimezoneMissing(),
    Suspended(),
)
"""Every check, in report order within a severity."""

CHECKS_BY_ID: dict[str, Check] = {check.id: check for check in CHECKS}

__all__ = ["CHECKS", "CHECKS_BY_ID"]
