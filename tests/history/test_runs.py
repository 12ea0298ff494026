"""runs.py: which Jobs belong to a CronJob, when each was scheduled, how it ended, what evidence is left."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import objects
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import scheduled_runs as runs
from tests.builders import CRONJOB as NAME
from tests.builders import container, daily_cronjob, pod, scheduled_job, terminated, waiting


def test_scheduled_time_prefers_the_annotation_over_the_name() -> None:
    made = scheduled_job(29565120, annotations={joblib.SCHEDULED_ANNOTATION: "2026-03-19T02:00:00-06:00"})
    moment, source = joblib.scheduled_time(made, NAME)
    assert moment == datetime(2026, 3, 19, 8, 0, tzinfo=timezone.utc)
    assert source == "annotation"


def test_eight_digit_suffix_is_minutes_since_the_epoch() -> None:
    moment, source = joblib.scheduled_time(scheduled_job(29565120), NAME)
    assert moment == datetime(2026, 3, 19, 8, 0, tzinfo=timezone.utc)
    assert source == "name"


def test_ten_digit_suffix_of_old_controllers_is_seconds() -> None:
    moment, _ = joblib.scheduled_time(scheduled_job(name=f"{NAME}-1773907200"), NAME)
    assert moment == datetime(2026, 3, 19, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", [f"{NAME}-manual-x2", f"{NAME}-abc", "other-29565120", f"{NAME}-"])
def test_names_without_a_numeric_suffix_of_this_cronjob_have_no_scheduled_time(name: str) -> None:
    assert joblib.scheduled_time(scheduled_job(name=name), NAME) == (None, None)


@given(st.integers(min_value=1, max_value=99_999_999))
def test_minutes_suffix_round_trips(minutes: int) -> None:
    moment = joblib.suffix_time(f"{NAME}-{minutes}", NAME)
    assert moment is not None and int(moment.timestamp()) // 60 == minutes


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        (scheduled_job(1, "Complete"), joblib.SUCCEEDED),
        (scheduled_job(1, "Complete", failed=2), joblib.SUCCEEDED),  # earlier pods failed, a retry passed
        (scheduled_job(1, "Failed"), joblib.FAILED),
        (scheduled_job(1, "Failed", reason="DeadlineExceeded"), joblib.FAILED),
        (scheduled_job(1, "Running"), joblib.RUNNING),
        (scheduled_job(1, "Running", suspend=True), joblib.SUSPENDED),
    ],
)
def test_outcome_comes_from_the_conditions(made: dict, expected: str) -> None:
    assert joblib.outcome(made) == expected


def test_failure_target_alone_is_already_a_failure() -> None:
    made = scheduled_job(1, "Running")
    made["status"]["conditions"] = [{"type": "FailureTarget", "status": "True", "reason": "PodFailurePolicy"}]
    assert joblib.outcome(made) == joblib.FAILED
    assert joblib.failure_reason(made)[0] == "PodFailurePolicy"


def test_a_false_condition_does_not_count() -> None:
    made = scheduled_job(1, "Running")
    made["status"]["conditions"] = [{"type": "Failed", "status": "False"}]
    assert joblib.outcome(made) == joblib.RUNNING


def test_failed_job_ends_at_its_failed_condition() -> None:
    made = scheduled_job(29565120, "Failed", took=161)
    record = runs.scheduled_run(made, [], cronjob_name=NAME)
    assert record.duration() == 161
    assert record.reason == "BackoffLimitExceeded"
    assert record.evidence_lost


def test_pod_termination_reason_and_exit_code_are_kept_while_pods_exist() -> None:
    made = scheduled_job(29565120, "Failed")
    oom = pod(container("backup", terminated(reason="OOMKilled", exit_code=137)), of=made)
    record = runs.scheduled_run(made, [oom], cronjob_name=NAME)
    assert (record.pod_reason, record.exit_code) == ("OOMKilled", 137)
    assert record.logs and not record.evidence_lost


def test_last_state_of_a_restarted_container_is_the_reason_under_onfailure() -> None:
    made = scheduled_job(29565120, "Failed")
    restarted = pod(container("backup", waiting("CrashLoopBackOff"), restarts=2,
                              last=terminated(reason="OOMKilled", exit_code=137)), of=made, phase="Running")
    record = runs.scheduled_run(made, [restarted], cronjob_name=NAME)
    assert (record.pod_reason, record.exit_code) == ("OOMKilled", 137)
    # failed=1 (the Job) + 2 restarts, less the final failure itself
    assert record.retries == 2


def test_retries_of_a_success_count_every_failed_attempt() -> None:
    assert runs.scheduled_run(scheduled_job(1, "Complete", failed=2), [], cronjob_name=NAME).retries == 2
    assert runs.scheduled_run(scheduled_job(1, "Failed", failed=3), [], cronjob_name=NAME).retries == 2


def test_manual_runs_are_marked() -> None:
    made = scheduled_job(name=f"{NAME}-manual-1", annotations={joblib.INSTANTIATE_ANNOTATION: "manual"})
    assert runs.scheduled_run(made, [], cronjob_name=NAME).manual


def test_pods_are_matched_by_controller_uid_not_only_by_name() -> None:
    current = scheduled_job(1, "Failed", uid="new")
    earlier = scheduled_job(1, "Failed", uid="old")  # a deleted Job of the same name
    mine, theirs = pod(of=current, name=f"{NAME}-1-a"), pod(of=earlier, name=f"{NAME}-1-b")
    legacy = pod(of=current, name=f"{NAME}-1-c", controller_uid=None)
    assert [p["metadata"]["name"] for p in podlib.pods_of(current, [mine, theirs, legacy])] == [
        f"{NAME}-1-a", f"{NAME}-1-c"]


def test_jobs_are_found_by_owner_uid_and_orphans_by_name() -> None:
    owned = scheduled_job(29565120)
    orphan = scheduled_job(29563680, owner_uid="deleted-cronjob-uid")
    unowned = scheduled_job(29562240, owner_uid=None)
    stranger = scheduled_job(name="tf-state-backup-manual", owner_uid=None)
    other = scheduled_job(29565120, cronjob_name="tf-state-backup-2", owner_uid="other-uid")
    found = {
        objects.name_of(j): orphan_flag
        for j, orphan_flag in joblib.jobs_of(daily_cronjob(), [owned, orphan, unowned, stranger, other])
    }
    assert found == {f"{NAME}-29565120": False, f"{NAME}-29563680": True, f"{NAME}-29562240": True}


def test_group_jobs_agrees_with_jobs_of_for_every_cronjob() -> None:
    cronjobs = [daily_cronjob(), daily_cronjob("tf-state-backup-2", uid="uid-2"),
                daily_cronjob("x", namespace="other", uid="uid-x")]
    jobs = [scheduled_job(10), scheduled_job(11, owner_uid=None),
            scheduled_job(12, cronjob_name="tf-state-backup-2", owner_uid="uid-2"),
            scheduled_job(13, cronjob_name="tf-state-backup-2", owner_uid=None),
            scheduled_job(14, cronjob_name="x", namespace="other", owner_uid="uid-x"),
            scheduled_job(15, cronjob_name="x", owner_uid=None)]  # right name, wrong namespace
    grouped = joblib.group_jobs(cronjobs, jobs)
    for cj in cronjobs:
        key = (objects.namespace_of(cj), objects.name_of(cj))
        assert [objects.name_of(j) for j, _ in joblib.jobs_of(cj, grouped[key])] == [
            objects.name_of(j) for j, _ in joblib.jobs_of(cj, jobs)]


def test_streak_counts_back_from_the_latest_finished_run_and_skips_running_ones() -> None:
    made = [scheduled_job(m, outcome) for m, outcome in enumerate(("Complete", "Failed", "Failed", "Running"), 1)]
    records = runs.scheduled_runs(daily_cronjob(), made, [])
    assert runs.failure_streak(records) == 2
    assert runs.is_failing(records)
    assert runs.last_success(records).job == f"{NAME}-1"


def test_runs_are_sorted_by_scheduled_time() -> None:
    records = runs.scheduled_runs(daily_cronjob(), [scheduled_job(3), scheduled_job(1), scheduled_job(2)], [])
    assert [r.job for r in records] == [f"{NAME}-1", f"{NAME}-2", f"{NAME}-3"]


def test_median_duration_counts_successes_only() -> None:
    made = [scheduled_job(1, took=60), scheduled_job(2, took=80), scheduled_job(3, "Failed", took=9000)]
    records = runs.scheduled_runs(daily_cronjob(), made, [])
    assert runs.median_duration(records) == 70

