"""When a debug pod will certainly never start, with plain pod states and a hand-moved clock."""

from __future__ import annotations

from typing import Any

import pytest

from cronjob_doctor.capture.never_starts import StartPolicy, StartWatch

NOT_FOUND = ('rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/x:1": '
             'failed to resolve reference "registry.example.com/x:1": not found')
UNAUTHORIZED = ('failed to pull and unpack image "ghcr.io/acme/x:1": failed to authorize: failed to fetch '
                "anonymous token: unexpected status: 401 Unauthorized")
DENIED = "pull access denied for acme/x, repository does not exist or may require 'docker login'"
TIMEOUT = 'failed to pull image "registry.example.com/x:1": dial tcp 10.0.0.9:443: i/o timeout'
NO_HOST = 'failed to resolve reference: dial tcp: lookup registry.example.com: no such host'


def pod(reason: str, message: str = "", name: str = "p1") -> dict[str, Any]:
    state = {"waiting": {"reason": reason, "message": message}} if reason != "Running" else {
        "running": {"startedAt": "2026-03-21T02:00:00Z"}}
    return {"metadata": {"name": name}, "status": {"phase": "Pending", "containerStatuses": [
        {"name": "backup", "state": state, "restartCount": 0}]}}


def pull_cycle(watch: StartWatch, message: str, *, cycles: int, start: float = 0.0) -> str | None:
    """ErrImagePull, then ImagePullBackOff, `cycles` times, 1 s apart; the first certain answer."""
    answers = []
    now = start
    for _ in range(cycles):
        answers.append(watch.update(pod("ErrImagePull", message), now))
        answers.append(watch.update(pod("ImagePullBackOff", f"Back-off: ErrImagePull: {message}"), now + 1))
        now += 2
    return next((answer for answer in answers if answer), None)


@pytest.mark.parametrize("message", [NOT_FOUND, UNAUTHORIZED, DENIED], ids=["not-found", "401", "denied"])
def test_a_pull_refused_twice_is_certain(message: str) -> None:
    watch = StartWatch(StartPolicy(pull_attempts=2, pull_seconds=600))
    assert pull_cycle(watch, message, cycles=1) is None  # one failed pull may be a registry's hiccup
    answer = pull_cycle(watch, message, cycles=1, start=2)
    assert answer is not None
    assert answer.startswith("container backup in pod p1 will never start: ErrImagePull: ")
    assert answer.endswith("(the pull failed 2 times with the same answer)")


def test_a_pull_refused_for_long_enough_is_certain_without_a_second_attempt() -> None:
    watch = StartWatch(StartPolicy(pull_attempts=5, pull_seconds=60))
    assert watch.update(pod("ImagePullBackOff", f"Back-off pulling image: ErrImagePull: {NOT_FOUND}"), 0) is None
    assert watch.due(59) is None
    assert (watch.due(61) or "").endswith("(for 61s)")


@pytest.mark.parametrize("message", [TIMEOUT, NO_HOST, "unexpected status: 503 Service Unavailable"])
def test_a_pull_error_that_may_pass_is_never_certain(message: str) -> None:
    watch = StartWatch(StartPolicy(pull_attempts=2, pull_seconds=60))
    assert pull_cycle(watch, message, cycles=10) is None
    assert watch.due(10_000) is None


@pytest.mark.parametrize("reason", ["InvalidImageName", "ErrImageNeverPull"])
def test_what_the_kubelet_never_retries_is_certain_at_once(reason: str) -> None:
    answer = StartWatch().update(pod(reason, "couldn't parse image name: invalid reference format"), 0)
    assert answer is not None and answer.endswith("(the kubelet does not retry it)")


def test_a_missing_secret_is_certain_only_after_the_kubelets_retry_window() -> None:
    watch = StartWatch(StartPolicy(config_seconds=120))
    missing = 'secret "tf-backup-s3-creds" not found'
    assert watch.update(pod("CreateContainerConfigError", missing), 0) is None
    assert watch.due(119) is None
    assert "CreateContainerConfigError: secret" in (watch.due(121) or "")


def test_a_missing_secret_created_meanwhile_heals_and_is_forgotten() -> None:
    watch = StartWatch(StartPolicy(config_seconds=120))
    watch.update(pod("CreateContainerConfigError", 'secret "x" not found'), 0)
    assert watch.update(pod("Running"), 60) is None  # the Secret appeared; the container started
    assert watch.due(500) is None


def test_the_first_pod_that_is_certain_is_named() -> None:
    watch = StartWatch()
    watch.update(pod("Running", name="a"), 0)
    answer = watch.update(pod("InvalidImageName", "invalid reference format", name="b"), 0)
    assert answer is not None and "in pod b will never start" in answer
