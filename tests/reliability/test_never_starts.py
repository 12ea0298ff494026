"""A debug pod that can never start (image not found, an invalid image name, a Secret missing for good) stops
the follow as soon as that is certain, gives the verdict and cleans up, instead of waiting for the debug Job's
deadline (30 minutes by default; 36 s in the sandbox's compressed time)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cronjob_doctor.capture.never_starts import StartPolicy
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox

from .conftest import debug_jobs, run_diagnose

DEADLINE_SECONDS = 1800 * 0.02
"""The debug Job's default deadline in the sandbox's time (0.02 real seconds per simulated second)."""


def _stopped_early(outcome: diagnose.Outcome) -> str:
    assert outcome.verdict is not None
    [note] = [n for n in outcome.verdict.notes if "stopped following early" in n]
    return note


def test_an_image_that_does_not_exist_stops_the_follow_at_once(
    sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    started = time.monotonic()
    outcome = run_diagnose(kube, "images/report-gen", tmp_path / "b")
    assert time.monotonic() - started < DEADLINE_SECONDS / 3
    verdict = outcome.verdict
    assert verdict is not None and verdict.verdict == "image-pull"
    assert [f.verdict for f in verdict.findings] == ["image-pull"], "no deadline runner-up, no OOM candidate"
    assert "will never start: ErrImagePull" in _stopped_early(outcome)
    assert "(the pull failed 2 times with the same answer)" in _stopped_early(outcome)
    assert outcome.exit_code == 1 and not outcome.partial
    assert debug_jobs(sandbox) == [], "the debug Job is cleaned up"


def test_an_invalid_image_name_stops_at_first_sight(sandbox: Sandbox, kube: Kube, tmp_path: Path) -> None:
    outcome = run_diagnose(kube, "ok/log-rotate", tmp_path / "b", image="Alpine:3.20")
    assert outcome.verdict is not None and outcome.verdict.verdict == "image-pull"
    assert "will never start: InvalidImageName" in _stopped_early(outcome)
    assert debug_jobs(sandbox) == []


def test_a_secret_missing_beyond_the_retry_window_stops_the_follow(
    sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    def needs_a_missing_secret(cronjob: dict[str, Any]) -> None:
        container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        container["env"] = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "rotate-token", "key": "t"}}}]

    sandbox.store.mutate("cronjobs", "ok", "log-rotate", needs_a_missing_secret)
    settings = replace(DiagnoseSettings.from_flags(target="ok/log-rotate", bundle=str(tmp_path / "b")),
                       start_policy=StartPolicy(config_seconds=1.0))
    outcome = diagnose.run(settings, kube=kube, hooks=diagnose.Hooks(), now=datetime.now(timezone.utc),
                           command="test")
    assert outcome.verdict is not None and outcome.verdict.verdict == "config", outcome.verdict.summary
    assert "will never start: CreateContainerConfigError" in _stopped_early(outcome)
    assert "longer than the kubelet's retry window" in _stopped_early(outcome)
    assert debug_jobs(sandbox) == []
