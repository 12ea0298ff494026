"""Config failures beyond missing objects: create-container-config, not-executable, bad arguments, missing
environment, and a liveness probe that kills a batch container."""

from __future__ import annotations

import pytest

from tests.builders import container, event, job, log, pod, terminated, waiting
from tests.rules._bundles import FAILED, answer, verdict_of


def test_run_as_non_root_with_a_root_image_is_create_container_config() -> None:
    p = pod(container("r", waiting("CreateContainerConfigError", "container has runAsNonRoot and image will run as "
                                                               "root")), phase="Pending")
    got = verdict_of(p, job_=job())
    assert (got.verdict, got.detail) == ("config", "create-container-config")
    assert "runAsUser" in got.remediation[0]


def test_exit_126_is_not_executable_even_without_a_log() -> None:
    assert answer(pod(container("c", terminated(exit_code=126))), job_=FAILED,
                  events=[event("Started", "Started container c", type_="Normal")]) == ("config", "not-executable")


@pytest.mark.parametrize("line", [
    "Error: unknown command \"ingestt\" for \"datahub\"",
    "usage: backup.py [-h] --bucket BUCKET\nbackup.py: error: the following arguments are required: --bucket",
    "flag provided but not defined: -recipe",
])
def test_usage_errors_are_bad_args(line: str) -> None:
    got = verdict_of(pod(container("c", terminated(exit_code=2))), job_=FAILED, logs={"c": log(*line.split("\n"))})
    assert (got.verdict, got.detail) == ("config", "bad-args")


def test_unbound_variable_is_missing_env() -> None:
    got = verdict_of(pod(container("c", terminated(exit_code=1))), job_=FAILED,
                     logs={"c": log("/backup.sh: line 3: S3_BUCKET: unbound variable")})
    assert (got.verdict, got.detail) == ("config", "missing-env")


def test_a_killing_event_naming_the_liveness_probe_is_enough() -> None:
    p = pod(container("c", waiting("CrashLoopBackOff"), last=terminated(exit_code=137), restarts=2), phase="Running")
    ev = [event("Killing", "Container c failed liveness probe, will be restarted", type_="Normal")]
    assert answer(p, job_=job(), events=ev) == ("config", "liveness-probe")


@pytest.mark.parametrize(("message", "detail"), [
    ('Error creating: pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != '
     "false", "admission"),
    ('Error creating: admission webhook "validate.kyverno.svc" denied the request: policy require-labels',
     "admission"),
    ('Error creating: pods "x" is forbidden: error looking up service account batch/backup: serviceaccount "backup" '
     "not found", "missing-serviceaccount"),
])
def test_the_api_refusing_the_pod_spec_is_config(message: str, detail: str) -> None:
    ev = [event("FailedCreate", message, kind="Job", name="tf-state-backup-29565120", component="job-controller")]
    assert answer(job_=job(), events=ev) == ("config", detail)


def test_a_missing_config_file_is_config() -> None:
    line = "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'"
    assert answer(pod(container("c", terminated(exit_code=1))), job_=FAILED, logs={"c": log(line)}) == \
        ("config", "missing-file")


@pytest.mark.parametrize(("line", "detail"), [
    ("ModuleNotFoundError: No module named 'boto3'", "missing-module"),
    ("/usr/bin/env: 'bash\r': No such file or directory", "command-not-found"),
    ("The connection to the server localhost:8080 was refused - did you specify the right host or port?",
     "missing-kubeconfig"),
])
def test_the_image_or_pod_lacking_what_the_command_needs_is_config(line: str, detail: str) -> None:
    got = answer(pod(container("c", terminated(exit_code=1))), job_=FAILED, logs={"c": log(line)})
    assert got == ("config", detail)


@pytest.mark.parametrize(("line", "detail"), [
    ("pg_dump: aborting because of server version mismatch", "version"),
    ("jq: error (at <stdin>:2006): Cannot iterate over null (null)", "data"),
    ("json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)", "data"),
])
def test_script_errors_with_a_named_cause(line: str, detail: str) -> None:
    got = answer(pod(container("c", terminated(exit_code=1))), job_=FAILED, logs={"c": log(line)})
    assert got == ("script-error", detail)
