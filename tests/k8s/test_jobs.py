"""How a Job ended, one semantics for every command (k8s/jobs.py), from the API's own JSON."""

from __future__ import annotations

from typing import Any

import pytest

from cronjob_doctor.k8s import jobs as joblib


def job(*conditions: tuple[str, str], **status: Any) -> dict[str, Any]:
    return {"metadata": {"name": "backup-29568000"},
            "status": {**status, "conditions": [{"type": t, "status": "True", "reason": r,
                                                 "lastTransitionTime": "2026-03-21T08:02:00Z"}
                                                for t, r in conditions]}}


@pytest.mark.parametrize(("conditions", "expected"), [
    ((), "running"),
    ((("Complete", ""),), "succeeded"),
    ((("SuccessCriteriaMet", ""),), "succeeded"),
    ((("Failed", "BackoffLimitExceeded"),), "failed"),
    ((("FailureTarget", "BackoffLimitExceeded"),), "failed"),
    ((("Suspended", ""),), "suspended"),
    # failed pods before a retry that passed: the Complete condition wins
    ((("Complete", ""), ("Failed", "")), "succeeded"),
])
def test_outcome_from_conditions(conditions: tuple[tuple[str, str], ...], expected: str) -> None:
    assert joblib.outcome(job(*conditions)) == expected


def test_final_outcome_is_unknown_until_the_controller_decides() -> None:
    assert joblib.final_outcome(job()) == "unknown"
    assert joblib.final_outcome({"status": {}}) == "unknown"
    assert joblib.final_outcome(job(("FailureTarget", "DeadlineExceeded"))) == "failed"


def test_a_complete_job_with_failed_pods_succeeded_and_has_no_failure_reason() -> None:
    made = job(("Complete", ""), failed=1, startTime="2026-03-21T08:00:01Z",
               completionTime="2026-03-21T08:01:15Z")
    assert joblib.outcome(made) == "succeeded"
    assert joblib.failure_reason(made) == (None, None)
    assert joblib.duration_seconds(made) == 74.0


def test_failure_target_gives_the_reason_before_the_failed_condition_appears() -> None:
    assert joblib.failure_reason(job(("FailureTarget", "PodFailurePolicy"))) == ("PodFailurePolicy", None)


def test_a_failed_job_ends_when_its_failed_condition_appeared() -> None:
    made = job(("Failed", "DeadlineExceeded"), startTime="2026-03-21T08:00:00Z")
    assert joblib.end_time(made) is not None
    assert joblib.duration_seconds(made) == 120.0


def test_a_running_job_has_no_end() -> None:
    assert joblib.end_time(job(startTime="2026-03-21T08:00:00Z")) is None
    assert joblib.duration_seconds(job(startTime="2026-03-21T08:00:00Z")) is None


@pytest.mark.parametrize(("name", "expected"), [
    ("tf-state-backup-29568000", "tf-state-backup"),
    ("tf-state-backup-1774000000", "tf-state-backup"),
    ("pg-dump-2-29568000", "pg-dump-2"),
    ("tf-state-backup", None),
    ("tf-state-backup-12", None),
    ("tf-state-backup-doctor-x7k2p", None),
])
def test_the_cronjob_prefix_of_a_scheduled_job_name(name: str, expected: str | None) -> None:
    assert joblib.cronjob_prefix(name) == expected
