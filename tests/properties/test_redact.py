"""Redactor: the credential patterns on the lines `set -x` really prints, and properties over arbitrary text:
a Secret value never survives, redaction is idempotent, and --no-redact is the identity."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cronjob_doctor.redact import MASK, MIN_SECRET_LENGTH, Redactor


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "+ mc alias set backup http://minio:9000 AKIAIOSFODNN7EXAMPLE s3cr3t",
            "+ mc alias set backup http://minio:9000 *** ***",
        ),
        (
            "+ /tmp/mc config host add s3 https://s3.example.com ak sk",
            "+ /tmp/mc config host add s3 https://s3.example.com *** ***",
        ),
        ("key AKIAIOSFODNN7EXAMPLE in use", "key *** in use"),
        ("curl -H 'Authorization: Bearer eyJhbGciOi.x' https://api", "curl -H 'Authorization: Bearer ***' https://api"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***"),
        ("token Bearer abcdefgh12345678", "token Bearer ***"),
        ("psql postgres://backup:hunter22@db:5432/app", "psql postgres://backup:***@db:5432/app"),
        ("+ mysqldump --password=hunter2 app", "+ mysqldump --password=*** app"),
        ("+ vault login --token s.abcdef", "+ vault login --token ***"),
        ("+ curl -u admin:pa55 https://x", "+ curl -u admin:*** https://x"),
        ("+ export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "+ export AWS_SECRET_ACCESS_KEY=***"),
        ('{"password": "x1y2z3"}', '{"password": ***}'),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl end", "jwt *** end"),
        # evidence the rules need stays readable
        ("mc: <ERROR> The Access Key Id you provided does not exist in our records.", None),
        ('psql: FATAL:  password authentication failed for user "backup"', None),
        ('Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:rbac:default"', None),
        ("curl: (6) Could not resolve host: dl.min.io", None),
        ("##cronjob-doctor-mem current=1363148 peak=1363148", None),
    ],
)
def test_credential_patterns(line: str, expected: str | None) -> None:
    assert Redactor().redact(line) == (line if expected is None else expected)


def test_secret_values_are_named_and_counted() -> None:
    redactor = Redactor({"S3_SECRET_KEY": "Vq3n8sLk2PzR7wYt", "SHORT": "abc"})
    assert redactor.redact("echo Vq3n8sLk2PzR7wYt abc") == "echo <redacted:S3_SECRET_KEY> abc"
    assert (redactor.secret_hits, redactor.pattern_hits) == (1, 0)
    assert redactor.note() == "redacted 1 secret value in logs and reports; --no-redact to keep them"


def test_each_line_of_a_multi_line_secret_is_redacted() -> None:
    pem = "-----BEGIN KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----"
    assert Redactor({"TLS_KEY": pem}).redact("MIIBVQIBADANBgkqhkiG9w0BAQEFAASC") == "<redacted:TLS_KEY>"


secret_values = st.text(
    st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters="<>*"),
    min_size=MIN_SECRET_LENGTH,
    max_size=40,
)
"""Without <, > and *, a value cannot be formed across a placeholder or mask boundary."""
texts = st.text(max_size=200)


@settings(max_examples=300, deadline=None)
@given(value=secret_values, before=texts, after=texts)
def test_a_secret_value_never_survives(value: str, before: str, after: str) -> None:
    assume(value not in "<redacted:X>" and value not in MASK)
    assert value not in Redactor({"X": value}).redact(before + value + after)


@settings(max_examples=300, deadline=None)
@given(text=texts, value=secret_values)
def test_redaction_is_idempotent_and_off_is_identity(text: str, value: str) -> None:
    redactor = Redactor({"X": value})
    once = redactor.redact(text)
    assert redactor.redact(once) == once
    assert Redactor({"X": value}, enabled=False).redact(text) == text


def test_short_values_do_not_mangle_names() -> None:
    # A 4-letter access key "sync" would otherwise rewrite every pod name of the minio-sync CronJob.
    redactor = Redactor({"ACCESS_KEY": "sync"})
    assert redactor.redact("pod minio-sync-doctor-ab12c-x7k2p") == "pod minio-sync-doctor-ab12c-x7k2p"
