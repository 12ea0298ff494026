"""history_checks.py: each warning fires on the situation it names, and stays quiet otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta

from cronjob_doctor.history.checks import CronJobWarning, warnings
from cronjob_doctor.k8s import schedule
from cronjob_doctor.k8s import scheduled_runs as runs
from tests.builders import at_minutes, container, daily_cronjob, pod, scheduled_job, terminated

DAY = 1440
FIRST = 29562240  # 2026-03-17 08:00 UTC, as in the incident
NOW = at_minutes(FIRST + 4 * DAY) + timedelta(hours=1)


def check(cj: dict, jobs: list[dict], pods: list[dict] | None = None, now: datetime = NOW) -> dict[str, CronJobWarning]:
    parsed, _ = schedule.parse(cj["spec"]["schedule"], cj["spec"].get("timeZone"))
    records = runs.scheduled_runs(cj, jobs, pods or [])
    found = warnings(cj, records, schedule=parsed, now=now)
    return {w.id: w for w in found}


def daily(*outcomes: str, took: float = 74) -> list[dict]:
    return [scheduled_job(FIRST + i * DAY, outcome, took=took) for i, outcome in enumerate(outcomes)]


def healthy() -> dict:
    return daily_cronjob(failed_limit=3, restart="Never", active_deadline=600, concurrency="Forbid")


def test_a_healthy_cronjob_gets_no_warning() -> None:
    assert check(healthy(), daily("Complete", "Complete", "Complete", "Complete", "Complete")) == {}


def test_failed_runs_without_pods_have_lost_their_evidence() -> None:
    found = check(healthy(), daily("Complete", "Complete", "Failed", "Complete", "Failed"))
    assert "evidence-lost" in found
    assert (
        f"2 failed runs have no pods left (tf-state-backup-{FIRST + 2 * DAY}, tf-state-backup-{FIRST + 4 * DAY})"
        in found["evidence-lost"].text
    )


def test_a_failed_run_whose_pod_remains_has_not_lost_it() -> None:
    jobs = daily("Complete", "Failed")
    assert "evidence-lost" not in check(healthy(), jobs, [pod(container("backup", terminated()), of=jobs[1])])


def test_history_limit_of_one_puts_the_next_failures_evidence_at_risk() -> None:
    cj = daily_cronjob(failed_limit=None, restart="Never", active_deadline=600, concurrency="Forbid")
    found = check(cj, daily("Complete"))
    assert "failedJobsHistoryLimit is 1 (the default)" in found["evidence-at-risk"].text
    assert "cronjob-doctor record tofu-state/tf-state-backup" in (found["evidence-at-risk"].hint or "")


def test_onfailure_and_ttl_are_named_as_evidence_risks() -> None:
    cj = daily_cronjob(failed_limit=5, restart="OnFailure", ttl=60, active_deadline=600, concurrency="Forbid")
    found = check(cj, daily("Complete"))
    text = found["evidence-at-risk"].text
    assert "restartPolicy OnFailure" in text and "ttlSecondsAfterFinished 60" in text


def test_runs_at_times_the_schedule_never_fires_are_called_out() -> None:
    cj = healthy()
    cj["spec"]["schedule"] = "0 2 * * *"
    found = check(cj, daily("Complete", "Complete"), now=at_minutes(FIRST + DAY) + timedelta(hours=1))
    text = found["schedule-mismatch"].text
    assert "scheduled at 08:00 UTC" in text and "schedule `0 2 * * *` fires at 02:00 UTC" in text


def test_a_run_far_longer_than_usual_without_a_deadline_is_a_hang() -> None:
    cj = daily_cronjob(failed_limit=3, restart="Never", concurrency="Forbid")
    jobs = [*daily("Complete", "Complete", "Complete"), scheduled_job(FIRST + 3 * DAY, "Failed", took=6 * 3600)]
    pods = [pod(container("backup", terminated()), of=jobs[-1])]
    found = check(cj, jobs, pods, now=at_minutes(FIRST + 3 * DAY) + timedelta(hours=7))
    assert "hang" in found
    assert "ran 6h0m" in found["hang"].text and "typical 1m14s" in found["hang"].text


def test_a_deadline_silences_the_hang_warning() -> None:
    jobs = [*daily("Complete", "Complete", "Complete"), scheduled_job(FIRST + 3 * DAY, "Failed", took=6 * 3600)]
    assert "hang" not in check(healthy(), jobs, now=at_minutes(FIRST + 3 * DAY) + timedelta(hours=7))


def test_a_running_job_past_the_threshold_is_a_hang_too() -> None:
    cj = daily_cronjob(failed_limit=3, restart="Never", concurrency="Forbid")
    jobs = [*daily("Complete", "Complete"), scheduled_job(FIRST + 2 * DAY, "Running")]
    found = check(cj, jobs, now=at_minutes(FIRST + 2 * DAY) + timedelta(hours=3))
    assert "has been running for 2h59m" in found["hang"].text  # started 1s after the fire time


def test_overlapping_runs_under_allow_are_reported() -> None:
    cj = daily_cronjob(schedule="0 * * * *", failed_limit=3, restart="Never", active_deadline=99999)
    # the first ran 1h30m, past the next start
    jobs = [scheduled_job(FIRST, took=5400), scheduled_job(FIRST + 60, took=60)]
    found = check(cj, jobs, now=at_minutes(FIRST + 120))
    assert "overlap" in found
    assert (
        f"tf-state-backup-{FIRST + 60} started while tf-state-backup-{FIRST} was still running" in found["overlap"].text
    )


def test_forbid_means_no_overlap_warning() -> None:
    cj = daily_cronjob(schedule="0 * * * *", failed_limit=3, restart="Never", active_deadline=99999,
                       concurrency="Forbid")
    jobs = [scheduled_job(FIRST, took=5400), scheduled_job(FIRST + 60, took=60)]
    assert "overlap" not in check(cj, jobs, now=at_minutes(FIRST + 120))


def test_a_gap_the_history_limits_cannot_explain_is_a_missed_schedule() -> None:
    jobs = [scheduled_job(FIRST + d * DAY) for d in (0, 1, 3)]  # no Job for FIRST + 2 days
    found = check(healthy(), jobs, now=at_minutes(FIRST + 3 * DAY) + timedelta(hours=1))
    assert "no Job for 1 scheduled time(s)" in found["missed"].text


def test_a_gap_older_than_the_kept_successes_is_explained_by_pruning() -> None:
    # successfulJobsHistoryLimit 3: older successes are deleted, so the gap before them says nothing.
    jobs = [scheduled_job(FIRST, "Failed"), *(scheduled_job(FIRST + d * DAY) for d in (2, 3, 4))]
    assert "missed" not in check(healthy(), jobs, [pod(container("backup", terminated()), of=jobs[0])])


def test_fire_times_since_the_last_schedule_without_a_job_are_missed() -> None:
    cj = healthy()
    cj["status"] = {"lastScheduleTime": "2026-03-17T08:00:00Z"}
    found = check(cj, [scheduled_job(FIRST)], now=at_minutes(FIRST + 3 * DAY) + timedelta(hours=1))
    assert "the schedule fired 3 time(s) since 2026-03-17 08:00 UTC with no Job" in found["missed"].text


def test_a_suspended_cronjob_is_said_and_not_counted_as_missing_runs() -> None:
    cj = daily_cronjob(suspend=True, failed_limit=3, restart="Never", active_deadline=600, concurrency="Forbid")
    found = check(cj, [scheduled_job(FIRST)], now=at_minutes(FIRST + 5 * DAY))
    assert set(found) == {"suspended"}
