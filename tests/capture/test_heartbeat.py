"""Who holds a diagnose Lease and whether it still runs, with plain data: expiry, a dead pid on this host, a
released Lease; and the debug Jobs left in the cluster sorted into running, orphan and kept."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cronjob_doctor.capture import heartbeat
from cronjob_doctor.capture.heartbeat import Session, lease_manifest, micro_time, owner_state
from cronjob_doctor.scan.orphans import classify

NOW = datetime(2026, 3, 21, 2, 0, 0, tzinfo=timezone.utc)
HERE = "laptop"


def session(host: str = HERE, pid: int = 4242, sid: str = "abcd1234") -> Session:
    return Session(sid, host, pid, NOW - timedelta(minutes=5))


def lease(renewed_ago: float, *, who: Session | None = None, held: bool = True) -> dict[str, Any]:
    who = who or session()
    made = lease_manifest(namespace="tofu-state", cronjob="tf-state-backup", session=who, now=NOW)
    made["spec"]["renewTime"] = micro_time(NOW - timedelta(seconds=renewed_ago))
    if not held:
        made["spec"]["holderIdentity"] = None
    return made


def alive(pid: int) -> bool:
    return True


def dead(pid: int) -> bool:
    return False


def test_micro_time_has_exactly_six_fraction_digits() -> None:
    # metav1.MicroTime is parsed with "2006-01-02T15:04:05.000000Z07:00": no more, no fewer digits
    assert micro_time(NOW) == "2026-03-21T02:00:00.000000Z"
    assert micro_time(NOW + timedelta(microseconds=5)) == "2026-03-21T02:00:00.000005Z"


@pytest.mark.parametrize(
    ("the_lease", "host", "pid_alive", "is_alive", "why"),
    [
        (lease(5), HERE, alive, True, "renewed its lease 5s ago"),
        (lease(5), HERE, dead, False, "is no longer running"),
        (lease(5, who=session(host="ci-runner-7")), HERE, dead, True, "pid 4242 on ci-runner-7"),
        (lease(61), "elsewhere", alive, False, "stopped renewing its lease 61s ago"),
        (lease(600), "elsewhere", alive, False, "stopped renewing its lease 10m ago"),
        (lease(5, held=False), HERE, alive, False, "released"),
        (None, HERE, alive, False, "no lease"),
    ],
    ids=["fresh", "dead-pid-here", "other-host-pid-not-checked", "expired", "long-expired", "released", "none"],
)
def test_owner_state(the_lease: Any, host: str, pid_alive: Any, is_alive: bool, why: str) -> None:
    state = owner_state(the_lease, now=NOW, host=host, pid_alive=pid_alive)
    assert state.alive is is_alive
    assert why in state.why


def job(name: str, *, who: Session | None, finished: bool = False, keep: bool = False,
        managed: bool = True) -> dict[str, Any]:
    annotations = who.annotations() if who else {}
    if keep:
        annotations[heartbeat.KEEP_ANNOTATION] = "true"
    labels = {"cronjob-doctor/source": "tf-state-backup"}
    if managed:
        labels["app.kubernetes.io/managed-by"] = "cronjob-doctor"
    status: dict[str, Any] = {"active": 1}
    if finished:
        status = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
    return {"apiVersion": "batch/v1", "kind": "Job", "status": status,
            "metadata": {"name": name, "namespace": "tofu-state", "labels": labels, "annotations": annotations,
                         "creationTimestamp": "2026-03-21T01:55:00Z"}}


def test_debug_jobs_are_sorted_into_running_orphan_and_kept() -> None:
    live, gone = session(sid="live0001", host="ci"), session(sid="gone0001", host="ci")
    jobs = [
        job("tf-state-backup-doctor-aaaaa", who=live),
        job("tf-state-backup-doctor-bbbbb", who=gone),
        job("tf-state-backup-doctor-ccccc", who=gone, keep=True, finished=True),
        job("tf-state-backup-doctor-ddddd", who=None),
        job("tf-state-backup-29565120", who=None, managed=False),
    ]
    left = classify(jobs, [lease(3, who=live)], now=NOW, host=HERE, pid_alive=alive)
    states = {item.name.rsplit("-", 1)[1]: item.state for item in left}
    assert states == {"aaaaa": "running", "bbbbb": "orphan", "ccccc": "kept", "ddddd": "orphan"}
    orphan = next(item for item in left if item.name.endswith("bbbbb"))
    assert orphan.describe() == (
        "job tf-state-backup-doctor-bbbbb (still running) was left by a diagnose that is gone: its diagnose "
        "(pid 4242 on ci) holds no lease: it stopped without cleaning up"
    )


def test_without_readable_leases_a_remote_debug_job_is_unknown_not_an_orphan() -> None:
    left = classify([job("tf-state-backup-doctor-aaaaa", who=session(host="ci"))], None, now=NOW, host=HERE,
                    pid_alive=alive)
    assert [item.state for item in left] == ["unknown"]
