"""Fixes are exact, ready-to-apply text."""

from __future__ import annotations

import json
import shlex

import pytest

from cronjob_doctor.rules import remediation

MI = 1024 * 1024


@pytest.mark.parametrize(("peak", "limit", "expected"), [
    (128 * MI, None, "192Mi"), (180 * MI, 128 * MI, "320Mi"), (None, 128 * MI, "256Mi"), (None, None, None),
    (10 * MI, None, "64Mi"),
])
def test_suggested_limit_is_peak_times_1_5_rounded_to_64mi(peak: int | None, limit: int | None,
                                                           expected: str | None) -> None:
    assert remediation.suggested_limit(peak, limit) == expected


def test_memory_patch_is_a_valid_strategic_merge_command() -> None:
    lines = remediation.memory_limit_patch(name="tf-state-backup", namespace="tofu-state", container="backup",
                                           limit="192Mi")
    argv = shlex.split(lines[0].removeprefix("apply: "))
    assert argv[:7] == ["kubectl", "patch", "cronjob", "tf-state-backup", "-n", "tofu-state", "--type=strategic"]
    body = json.loads(argv[8])
    container = body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "backup", "resources": {"limits": {"memory": "192Mi"}}}
    assert "memory: 192Mi" in lines[1]


def test_deadline_patch_is_a_json_patch() -> None:
    lines = remediation.active_deadline_patch(name="cj", namespace="ns", seconds=1800)
    argv = shlex.split(lines[0].removeprefix("apply: "))
    assert argv[6] == "--type=json"
    assert json.loads(argv[8]) == [{"op": "add", "path": "/spec/jobTemplate/spec/activeDeadlineSeconds",
                                    "value": 1800}]


def test_deadline_for_is_three_times_the_slowest_success_in_minutes() -> None:
    assert remediation.deadline_for([100.0, 125.0]) == 600
    assert remediation.deadline_for([400.0]) == 1200


def test_bake_into_image_turns_runtime_installs_into_dockerfile_lines() -> None:
    lines = remediation.bake_into_image(image="alpine:3.20", commands=[
        "apk add --no-cache curl", "curl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc",
        "echo done"])
    text = lines[0]
    assert "FROM alpine:3.20" in text and "RUN apk add --no-cache curl" in text
    assert "-o /usr/local/bin/mc https://dl.min.io/client/mc/release/linux-amd64/mc" in text
    assert "--retry 3 --retry-connrefused" in text


def test_harden_curl_adds_retry_and_max_time_once() -> None:
    hardened = remediation.harden_curl("curl -sSLo /tmp/mc https://x/mc")
    assert hardened == "curl --retry 3 --retry-connrefused --connect-timeout 10 --max-time 300 -sSLo /tmp/mc https://x/mc"
    assert remediation.harden_curl(hardened) is None
