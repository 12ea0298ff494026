"""The API server goes away for good in the middle of a run: a clear error within a bounded time (exit 3),
cleanup attempted, what is left in the cluster named with the command that removes it, and the bundle written
so far still readable and marked partial."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_mock import MockerFixture
from typer.testing import CliRunner

from cronjob_doctor.analyze import flow as analyze
from cronjob_doctor.cli import app
from cronjob_doctor.errors import ClusterError
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox

from .conftest import assert_bundle_readable, debug_jobs, run_diagnose

BOUND_SECONDS = 15.0
"""Generous for a loaded machine; with the short retry policy the error comes in ~3 s."""


def test_api_down_mid_run_is_a_cluster_error_naming_the_leftover_job(
    sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"

    def outage(line: int) -> None:
        if line == 10:
            sandbox.faults.down()

    started = time.monotonic()
    with pytest.raises(ClusterError) as raised:
        run_diagnose(kube, "tofu-state/tf-state-backup", bundle, on_line=outage)
    assert time.monotonic() - started < BOUND_SECONDS
    (job,) = debug_jobs(sandbox, "tofu-state")  # the API was gone: the Job could not be deleted
    name = job["metadata"]["name"]
    message = raised.value.message
    assert "lost the cluster" in message
    assert f"kubectl delete job -n tofu-state {name}" in message
    partial = json.loads((bundle / "partial.json").read_text())
    assert partial["left_in_cluster"] == [f"job/{name}"]
    assert partial["phase"] == "while writing the bundle"
    assert_bundle_readable(bundle)
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["partial"] is True
    assert len((bundle / "logs").rglob("*.log").__next__().read_text().splitlines()) >= 10
    # the partial bundle can still be judged offline
    assert analyze.run(analyze.AnalyzeSettings(bundle=bundle, write=False)).verdict is not None


def test_api_down_through_the_cli_exits_3_with_the_cleanup_command(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, mocker: MockerFixture
) -> None:
    mocker.patch("cronjob_doctor.cli.common.connect", return_value=kube)  # the CLI offers no flag for the retry budget
    mocker.patch(
        "cronjob_doctor.report.live.LiveView.log_line",
        side_effect=lambda *args: sandbox.faults.down(),  # at the first log line shown
    )
    started = time.monotonic()
    result = CliRunner().invoke(
        app, ["diagnose", "tofu-state/tf-state-backup", "--bundle", str(tmp_path / "b")], catch_exceptions=False
    )
    assert time.monotonic() - started < BOUND_SECONDS
    assert result.exit_code == 3, result.output
    (job,) = debug_jobs(sandbox, "tofu-state")
    assert "\nerror: lost the cluster while following job" in result.stderr
    assert f"kubectl delete job -n tofu-state {job['metadata']['name']}" in result.stderr
    assert "hint: " in result.stderr and "partial" in result.stderr
    assert "Traceback" not in result.output


def test_api_down_before_create_leaves_nothing_and_exits_3(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, mocker: MockerFixture
) -> None:
    """Cut between the evidence snapshot and the create: nothing to clean up, and the message says so."""
    from cronjob_doctor.diagnose import flow as diagnose

    real_plan = diagnose.plan

    def plan_then_outage(*args: object, **kwargs: object) -> object:
        planned = real_plan(*args, **kwargs)  # type: ignore[arg-type]
        sandbox.faults.down()
        return planned

    mocker.patch.object(diagnose, "plan", side_effect=plan_then_outage)
    with pytest.raises(ClusterError) as raised:
        run_diagnose(kube, "tofu-state/tf-state-backup", tmp_path / "b")
    assert "cannot reach" in raised.value.message
    assert debug_jobs(sandbox) == []
    assert_bundle_readable(tmp_path / "b")
