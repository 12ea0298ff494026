"""One diagnose per CronJob at a time: a Lease named after the CronJob is created-or-failed at the start (the
lock), renewed while the run lasts (the heartbeat) and deleted at the end. Two diagnoses started in the same
second: one wins, the other says so (exit 3). Two runs never share a default bundle directory."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor.capture.heartbeat import Session, lease_manifest, micro_time
from cronjob_doctor.cli import app
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.lock import LeaseLock
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.errors import Conflict
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

from .conftest import SHORT, debug_jobs, run_diagnose

NS, CRONJOB = "ok", "log-rotate"


def _leases(sandbox: Sandbox, namespace: str = NS) -> list[dict[str, Any]]:
    return sandbox.store.list("leases", namespace)[0]


def _foreign_lease(sandbox: Sandbox, *, renewed_ago: float) -> None:
    """A Lease held by a diagnose on another machine, last renewed `renewed_ago` seconds ago."""
    now = datetime.now(timezone.utc)
    other = Session("far00001", "ci-runner-7", 4242, now - timedelta(minutes=10))
    lease = lease_manifest(namespace=NS, cronjob=CRONJOB, session=other, now=now)
    lease["spec"]["renewTime"] = micro_time(now - timedelta(seconds=renewed_ago))
    sandbox.store.create("leases", lease)


def test_two_diagnoses_started_in_the_same_second_one_wins_the_other_says_so(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # both use the default bundle directory, named by the second
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = threading.Barrier(2)
    results: list[Any] = []

    def one() -> None:
        kube = Kube.connect(kubeconfig, retry=SHORT)
        settings = DiagnoseSettings.from_flags(target=f"{NS}/{CRONJOB}", redact=False)
        start.wait()
        try:
            results.append(diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(), now=now, command="test"))
        except Conflict as exc:
            results.append(exc)
        finally:
            kube.close()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    losers = [r for r in results if isinstance(r, Conflict)]
    winners = [r for r in results if not isinstance(r, Conflict)]
    assert len(losers) == len(winners) == 1, results
    assert losers[0].exit_code == 3
    assert f"another diagnose of cronjob {NS}/{CRONJOB} is running" in losers[0].message
    assert winners[0].verdict.verdict == "success"
    creates = [r for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs")]
    assert len(creates) == 1, "the loser created nothing"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("cronjob-doctor-")] == [
        Path(winners[0].verdict.context["bundle"]).name]
    assert _leases(sandbox) == [], "the winner released the lock"


def test_runs_in_the_same_second_never_share_a_default_bundle_directory(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    settings = DiagnoseSettings.from_flags(target=f"{NS}/{CRONJOB}", redact=False)
    roots = set()
    for _ in range(2):
        outcome = diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(), now=now, command="test")
        assert outcome.verdict is not None
        roots.add(outcome.verdict.context["bundle"])
    assert len(roots) == 2
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    assert all(Path(root).name.startswith(f"cronjob-doctor-{NS}-{CRONJOB}-{stamp}") for root in roots)


def test_a_live_lease_from_another_machine_refuses_with_exit_3(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    _foreign_lease(sandbox, renewed_ago=5)
    result = CliRunner().invoke(app, ["diagnose", f"{NS}/{CRONJOB}", "--kubeconfig", kubeconfig,
                                      "--bundle", str(tmp_path / "b")])
    assert result.exit_code == 3, result.output
    assert (f"error: another diagnose of cronjob {NS}/{CRONJOB} is running: diagnose pid 4242 on ci-runner-7 "
            "renewed its lease 5s ago") in result.stderr
    assert "its lease expires in 5" in result.stderr  # 60 s lease, renewed 5 s ago: 54 or 55 s left
    assert debug_jobs(sandbox) == [] and not (tmp_path / "b").exists()


def test_an_expired_lease_is_taken_over_and_said_so(sandbox: Sandbox, kube: Kube, tmp_path: Path) -> None:
    _foreign_lease(sandbox, renewed_ago=300)
    outcome = run_diagnose(kube, f"{NS}/{CRONJOB}", tmp_path / "b", redact=False)
    assert outcome.verdict is not None and outcome.verdict.verdict == "success"
    assert any(n.startswith("took over the lock of a diagnose that is gone: its diagnose (pid 4242 on "
                            "ci-runner-7) stopped renewing its lease 5m ago") for n in outcome.verdict.notes)
    puts = [r for r in sandbox.requests if r.method == "PUT" and "/leases/" in r.path]
    assert puts and puts[0].body["spec"]["leaseTransitions"] == 1
    assert _leases(sandbox) == []


def test_force_runs_beside_a_live_diagnose_and_says_so(sandbox: Sandbox, kube: Kube, tmp_path: Path) -> None:
    _foreign_lease(sandbox, renewed_ago=1)
    outcome = run_diagnose(kube, f"{NS}/{CRONJOB}", tmp_path / "b", redact=False, force=True)
    assert outcome.verdict is not None
    assert any("ran beside it without the lock (--force)" in n for n in outcome.verdict.notes)
    [lease] = _leases(sandbox)
    assert lease["spec"]["holderIdentity"] == "far00001@ci-runner-7", "the other run's lock is left alone"


def test_the_heartbeat_renews_the_lease_and_notices_when_it_is_taken(sandbox: Sandbox, kube: Kube) -> None:
    me = Session.new(host="here", pid=1, now=datetime.now(timezone.utc))
    lock = LeaseLock(kube, namespace=NS, cronjob=CRONJOB, session=me, clock=lambda: datetime.now(timezone.utc),
                     pid_alive=lambda pid: True, renew_seconds=0.05)
    lock.acquire()
    first = _leases(sandbox)[0]["spec"]["renewTime"]
    lock.start_heartbeat()
    wait_until(lambda: _leases(sandbox)[0]["spec"]["renewTime"] != first, what="a renewal")
    # someone takes the lease (as after our heartbeat lapsed during an outage): the next renewal notices
    other = Session("thief001", "elsewhere", 7, datetime.now(timezone.utc))

    def steal(obj: dict[str, Any]) -> None:
        obj["spec"]["holderIdentity"] = other.identity
        obj["metadata"]["annotations"] = other.annotations()

    sandbox.store.mutate("leases", NS, f"cronjob-doctor-{CRONJOB}", steal)
    wait_until(lambda: not lock.held, what="the lost lock to be noticed")
    assert any(n.startswith(f"lost the lock {NS}/cronjob-doctor-{CRONJOB} to another diagnose (pid 7 on elsewhere)")
               for n in lock.notes)
    lock.release()
    assert _leases(sandbox)[0]["spec"]["holderIdentity"] == other.identity, "never deletes someone else's lease"
