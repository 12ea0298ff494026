"""The capture never claims more than it has: a log stream that ends early (cleanly, as a proxy's idle timeout
ends it, or cut) is resumed and confirmed against the log's last line once the container has terminated; a log
that still cannot be read to its end makes the run and the bundle partial, names the container, lowers the
confidence and never exits 0 — in diagnose and in record."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_mock import MockerFixture
from typer.testing import CliRunner

from cronjob_doctor.capture.completeness import INCOMPLETE_EXIT_CODE, PARTIAL_CONFIDENCE_FACTOR
from cronjob_doctor.cli import app
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.record import flow as record
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.testing.faults import Faults
from tests.waiting import wait_until

from .conftest import captured_lines, debug_jobs, pods_of, run_diagnose

NS = "tofu-state"

EVERY_REQUEST_ENDED_AFTER_3 = lambda f: f.end_logs_after(3, once=False)  # noqa: E731
EVERY_REQUEST_CUT_AFTER_3 = lambda f: f.cut_logs_after(3, once=False)  # noqa: E731


def _diagnose_under(
    fault: Callable[[Faults], None], sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> tuple[Any, Path, str, list[str]]:
    """diagnose of the incident CronJob with `fault` armed once its debug Job exists: the outcome, the bundle,
    the debug pod's name and the lines its container really wrote."""
    bundle = tmp_path / "b"
    outcome = run_diagnose(kube, f"{NS}/tf-state-backup", bundle, keep=True, redact=False,
                           on_created=lambda: fault(sandbox.faults))
    (job,) = debug_jobs(sandbox, NS)
    (pod,) = pods_of(sandbox, NS, job["metadata"]["name"])
    return outcome, bundle, pod, sandbox.logs.written(NS, pod, "backup")


@pytest.mark.parametrize("fault", [EVERY_REQUEST_ENDED_AFTER_3, EVERY_REQUEST_CUT_AFTER_3], ids=["ended", "cut"])
def test_a_log_that_cannot_be_read_to_its_end_makes_the_diagnose_partial(
    fault: Callable[[Faults], None], sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    outcome, bundle, pod, written = _diagnose_under(fault, sandbox, kube, tmp_path)
    captured = captured_lines(bundle, pod, "backup")
    assert len(captured) < len(written)  # the fault really kept lines out of reach
    assert captured == written[: len(captured)]  # what was captured is right, in order
    verdict = outcome.verdict
    assert verdict is not None
    assert outcome.exit_code == INCOMPLETE_EXIT_CODE != 0
    assert verdict.context["partial"] is True
    assert verdict.notes[0].startswith(f"partial capture: the log of {pod}/backup could not be read to its end")
    assert any(n.startswith(f"the log of container backup in pod {pod} is incomplete") for n in verdict.notes)
    assert verdict.confidence <= 0.95 * PARTIAL_CONFIDENCE_FACTOR
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["partial"] is True
    assert [(g["pod"], g["container"]) for g in meta["incomplete_logs"]] == [(pod, "backup")]
    marker = json.loads((bundle / "partial.json").read_text())
    assert marker["partial"] is True and marker["incomplete_logs"][0]["container"] == "backup"
    assert json.loads((bundle / "verdict.json").read_text())["context"]["partial"] is True


@pytest.mark.parametrize(
    "fault",
    [
        lambda f: f.end_logs_after(3),
        lambda f: f.end_logs_after(40),
        lambda f: f.cut_logs_after(3),
    ],
    ids=["ended-once-after-3", "ended-once-after-40", "cut-once-after-3"],
)
def test_a_stream_that_ends_early_once_is_resumed_and_the_log_is_whole(
    fault: Callable[[Faults], None], sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    outcome, bundle, pod, written = _diagnose_under(fault, sandbox, kube, tmp_path)
    assert captured_lines(bundle, pod, "backup") == written
    assert outcome.verdict is not None and outcome.verdict.verdict == "oom"
    assert not outcome.partial and outcome.exit_code == 1
    assert not (bundle / "partial.json").exists()
    assert sandbox.faults.ends + sandbox.faults.cuts == 1


def test_the_cli_exits_4_and_the_report_names_the_incomplete_log(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, mocker: MockerFixture
) -> None:
    mocker.patch("cronjob_doctor.cli.common.connect", return_value=kube)
    sandbox.faults.end_logs_after(3, once=False)
    result = CliRunner().invoke(
        app, ["diagnose", f"{NS}/tf-state-backup", "--bundle", str(tmp_path / "b"), "-q"], catch_exceptions=False
    )
    assert result.exit_code == INCOMPLETE_EXIT_CODE, result.output
    report = " ".join(result.stdout.split())  # prose in the report wraps at the terminal's width
    assert "partial capture: the log of tf-state-backup-doctor-" in report
    assert "/backup could not be read to its end" in report
    assert "the exit code is 4" in report


def test_record_marks_a_run_with_an_incomplete_log_partial_and_exits_4(
    sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    settings = record.RecordSettings(namespace=NS, cronjob="tf-state-backup", root=tmp_path / "rec", once=True,
                                     retry_initial=0.2, retry_max=0.5, resync_seconds=1.0, heartbeat_seconds=0.5,
                                     grace_seconds=5.0)
    logs: list[str] = []
    outcome: list[Any] = []
    stop = threading.Event()
    thread = threading.Thread(target=lambda: outcome.append(
        record.run(settings, kube=kube, emit=lambda run: None, log=logs.append, stop=stop)), daemon=True)
    thread.start()
    wait_until(lambda: any(m.startswith("recording ") for m in logs), what="the recorder to start")
    sandbox.faults.end_logs_after(3, once=False)
    job = sandbox.cluster.trigger_cronjob(NS, "tf-state-backup")
    thread.join(60)
    stop.set()
    assert not thread.is_alive()
    [done] = outcome
    [result] = done.fresh
    assert result.job == job and result.partial
    assert done.exit_code == INCOMPLETE_EXIT_CODE
    bundle = Path(result.bundle)
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["state"] == "partial"
    assert [g["container"] for g in meta["incomplete_logs"]] == ["backup"]
    verdict = json.loads((bundle / "verdict.json").read_text())
    assert verdict["notes"][0].startswith("partial capture: the log of ")
    assert result.confidence == verdict["confidence"] <= 0.95 * PARTIAL_CONFIDENCE_FACTOR
