"""Silent failures: a run that exited 0 while its log shows the work failed gets the failure's family with
detail `silent` and a fix that names the script change; recovered errors and scanner reports do not."""

from __future__ import annotations

import pytest

from tests.builders import container, log, pod, terminated
from tests.rules._bundles import COMPLETE, answer, verdict_of

OK = container("backup", terminated(reason="Completed", exit_code=0))


def _ok_pod(script: str = "backup.sh") -> dict:
    return pod(OK, phase="Succeeded", script=script)


@pytest.mark.parametrize(("lines", "family"), [
    (["upload failed: ./a.tgz to s3://b/a.tgz An error occurred (SignatureDoesNotMatch) when calling the "
      "PutObject operation: The request signature we calculated does not match", "Upload finished"], "permission"),
    (["mc: <ERROR> Failed to perform mirroring Access denied.", "mirror finished"], "permission"),
    (['pg_dump: error: connection to server at "db" (10.0.0.4), port 5432 failed: FATAL:  password '
      'authentication failed for user "x"', "+ exit_code=0", "backup completed successfully"], "permission"),
    (["HTTP/1.1 500 INTERNAL SERVER ERROR", "Content-Type: application/json", "0"], "network"),
    (['pg_dump: error: could not translate host name "db.invalid" to address: Name or service not known',
      "Dump successful. Size: 0 bytes", "Job finished with status: Success"], "network"),
    (["mysqldump: Got error: 2005: \"Unknown MySQL server host 'db' (-2)\" when trying to connect"], "network"),
    (["mc: <ERROR> Unable to list comparison retrying.. The specified bucket does not exist.",
      "Total: 0 B, Transferred: 0 B, Speed: 0 B/s"], "script-error"),
])
def test_exit_0_with_an_unrecovered_error_is_the_failure_with_detail_silent(lines: list[str], family: str) -> None:
    got = verdict_of(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)})
    assert (got.verdict, got.detail) == (family, "silent")
    assert got.exit_code == 1
    assert any("set -euo pipefail" in r for r in got.remediation)


def test_silent_curl_http_error_fix_names_curl_fail() -> None:
    got = verdict_of(_ok_pod("set -x\ncurl -s -XPUT http://es:9200/_snapshot/x"), job_=COMPLETE,
                     logs={"backup": log("+ curl -s -XPUT http://es:9200/_snapshot/x",
                                         '{"error":{"type":"snapshot_missing_exception","reason":"r"},"status":404}')})
    assert (got.verdict, got.detail) == ("network", "silent")
    assert any("--fail" in r for r in got.remediation)


def test_a_retry_that_succeeded_is_not_silent() -> None:
    lines = ["ERROR : a.pmtiles: Post request put error: stream error: stream ID 1; INTERNAL_ERROR; received from peer",
             "ERROR : Attempt 1/3 failed with 2 errors and: stream error: stream ID 1; INTERNAL_ERROR",
             "ERROR : Attempt 2/3 succeeded"]
    assert answer(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)})[0] == "success"


def test_under_set_e_a_script_that_went_on_handled_its_error() -> None:
    script = "set -e\ncurl -sSLo /tmp/mc https://dl.min.io/mc || curl -sSLo /tmp/mc https://mirror/mc\nchmod +x /tmp/mc"
    lines = ["+ curl -sSLo /tmp/mc https://dl.min.io/mc", "curl: (28) Connection timed out after 10001 milliseconds",
             "+ curl -sSLo /tmp/mc https://mirror/mc", "+ chmod +x /tmp/mc"]
    assert answer(_ok_pod(script), job_=COMPLETE, logs={"backup": log(*lines)})[0] == "success"


def test_under_set_e_without_pipefail_a_failed_pipeline_is_still_silent() -> None:
    script = "set -e\npg_dump -h db app | gzip > /b/app.gz\necho done"
    lines = ["+ pg_dump -h db app | gzip > /b/app.gz", 'pg_dump: error: connection to server at "db" (10.0.0.4), '
             'port 5432 failed: FATAL:  password authentication failed for user "app"', "+ echo done", "done"]
    got = verdict_of(_ok_pod(script), job_=COMPLETE, logs={"backup": log(*lines)})
    assert (got.verdict, got.detail) == ("permission", "silent")
    assert any("pipefail" in r for r in got.remediation)


def test_a_retried_error_followed_by_more_work_recovered() -> None:
    lines = ["WARNING: Retrying (Retry(total=4)) after connection broken by 'ProtocolError('Connection aborted.', "
             "ConnectionResetError(104, 'Connection reset by peer'))': /simple/boto3/",
             "Collecting boto3", "Downloading boto3-1.34.0-py3-none-any.whl (139 kB)", "Installing collected packages",
             "Successfully installed boto3-1.34.0"]
    assert answer(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)})[0] == "success"


@pytest.mark.parametrize("lines", [
    ["[INFO] 4 Worker Node Security Configuration", "[FAIL] 4.2.6 Ensure that the --protect-kernel-defaults "
     "argument is set to true (Automated)", "== Summary total ==", "19 checks PASS", "2 checks FAIL"],
    ["Total: 3 (HIGH: 2, CRITICAL: 1)", "│ libssl1.1 │ CVE-2022-2068 │ CRITICAL │ 1.1.1n │ 1.1.1n-1 │ openssl: "
     "command injection via Permission denied paths │"],
    ["find: '/proc/1/map_files': Permission denied", "rotated"],
])
def test_scanner_findings_and_generic_noise_in_a_completed_run_are_success(lines: list[str]) -> None:
    got = verdict_of(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)})
    assert got.verdict == "success"
    assert got.exit_code == 0


def test_a_failed_run_is_never_silent() -> None:
    lines = ["mc: <ERROR> Failed to perform mirroring Access denied."]
    got = verdict_of(pod(container("backup", terminated(exit_code=1))), job_=None, logs={"backup": log(*lines)})
    assert (got.verdict, got.detail) == ("permission", "object-store")


def test_a_wait_loop_that_retried_until_ready_is_not_silent() -> None:
    script = "until curl -fsI http://localhost:15021/healthz/ready; do sleep 1; done\nrun-migrations"
    lines = ["+ curl -fsI http://localhost:15021/healthz/ready",
             "curl: (7) Failed to connect to localhost port 15021 after 0 ms: Connection refused", "+ sleep 1",
             "+ curl -fsI http://localhost:15021/healthz/ready", "HTTP/1.1 200 OK", "+ run-migrations",
             "migrated 12 tables"]
    assert answer(_ok_pod(script), job_=COMPLETE, logs={"backup": log(*lines)})[0] == "success"


def test_the_same_error_again_and_again_then_more_work_is_a_retry_loop() -> None:
    lines = ["waiting for db: dial tcp 10.0.0.4:5432: connect: connection refused"] * 3 + [
        "connected", "applied 4 migrations", "done"]
    assert answer(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)})[0] == "success"


@pytest.mark.parametrize(("lines", "family"), [
    (["upload failed: ./db.sql.gz to s3://b/db.sql.gz [Errno 2] No such file or directory: './db.sql.gz'",
      "backup done"], "script-error"),
    (["ERROR : db.sql.gz: Failed to copy: object not found", "Transferred: 0 B / 0 B"], "script-error"),
    (["<html><head><title>502 Bad Gateway</title></head>", "<body><h1>502 Bad Gateway</h1></body></html>"],
     "network"),
    (["psql:/scripts/migrate.sql:12: ERROR:  relation \"accounts\" does not exist", "migration finished"],
     "script-error"),
])
def test_tools_that_print_a_failure_and_exit_0_are_silent(lines: list[str], family: str) -> None:
    assert answer(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)}) == (family, "silent")


def test_a_closing_failed_line_is_explained_by_the_cause_before_it() -> None:
    lines = ['pg_dump: error: connection to server at "db" (10.0.0.4), port 5432 failed: FATAL:  password '
             'authentication failed for user "x"', 'pg_dumpall: error: pg_dump failed on database "app", exiting']
    assert answer(_ok_pod(), job_=COMPLETE, logs={"backup": log(*lines)}) == ("permission", "silent")
    failed = answer(pod(container("backup", terminated(exit_code=1))), job_=None, logs={"backup": log(*lines)})
    assert failed == ("permission", "database")
