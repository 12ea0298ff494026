"""A cluster that refuses connections is reported at once (kubectl takes 0.09 s), not after seconds of silent
retries; retries are for 429/5xx and dropped connections, and a long wait says what it waits for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.errors import Unreachable
from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor_sandbox import Sandbox


def _nothing_listening(tmp_path: Path) -> str:
    sandbox = Sandbox(seed=None, controllers=False)  # never started: its port refuses connections
    return str(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))


@pytest.mark.parametrize("args", [["diagnose", "tofu-state/tf-state-backup"], ["scan", "-A"],
                                  ["history", "tofu-state/tf-state-backup"]], ids=["diagnose", "scan", "history"])
def test_a_refused_first_connection_is_reported_in_well_under_a_second(args: list[str], tmp_path: Path) -> None:
    kubeconfig = _nothing_listening(tmp_path)
    started = time.monotonic()
    result = CliRunner().invoke(app, [*args, "--kubeconfig", kubeconfig, "--bundle", str(tmp_path / "b")]
                                if args[0] == "diagnose" else [*args, "--kubeconfig", kubeconfig])
    elapsed = time.monotonic() - started
    assert result.exit_code == 3, result.output
    assert "connection refused" in result.stderr
    assert elapsed < 0.5, f"{elapsed:.2f} s"
    assert "waiting:" not in result.stderr, "nothing was retried"


def test_once_the_cluster_answered_a_refused_connection_is_retried_and_said(
    sandbox: Sandbox, kubeconfig: str
) -> None:
    kube = Kube.connect(kubeconfig, retry=RetryPolicy(attempts=3, max_seconds=5, wait_initial=0.05, wait_max=0.1))
    waits: list[str] = []
    kube.on_retry = waits.append
    kube.get_cronjob("tofu-state", "tf-state-backup")  # the cluster has answered
    sandbox.faults.down()
    with pytest.raises(Unreachable, match="connection refused"):
        kube.get_cronjob("tofu-state", "tf-state-backup")
    assert len(waits) == 2
    assert waits[0].startswith("waiting: get cronjob tofu-state/tf-state-backup: connection failed; attempt 2 of 3")


def test_a_5xx_is_retried_and_each_wait_is_said(sandbox: Sandbox, kubeconfig: str) -> None:
    kube = Kube.connect(kubeconfig, retry=RetryPolicy(attempts=3, max_seconds=5, wait_initial=0.05, wait_max=0.1))
    waits: list[str] = []
    kube.on_retry = waits.append
    sandbox.faults.fail_next(2, 503, path_contains="/cronjobs/")
    assert kube.get_cronjob("tofu-state", "tf-state-backup")["metadata"]["name"] == "tf-state-backup"
    assert [w.split(": ", 2)[2].split(";")[0] for w in waits] == ["503 Service Unavailable"] * 2
