"""The sampler's snippet, token and line parser, with plain strings (tests/shells/ runs the snippet in real shells)."""

from __future__ import annotations

import time

import pytest

from cronjob_doctor.debugjob.sampler import (
    MARKER,
    MemorySample,
    above_limit,
    instrument,
    parse_sample,
    snippet,
    split_instrumented,
    token,
)
from cronjob_doctor.redact import Redactor

LINE = f"{MARKER} sampler=ab12c-f00d current=1048576 peak=2097152"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (LINE, MemorySample(1048576, 2097152)),
        (LINE + "  ", MemorySample(1048576, 2097152)),
        (f"{MARKER} sampler=ab12c-f00d current=? peak=?", MemorySample(None, None)),
        (f"{MARKER} sampler=ab12c-f00d current=1048576 peak=?", MemorySample(1048576, None)),
        ("uploading... " + LINE, MemorySample(1048576, 2097152, "uploading... ")),
        (f"{MARKER} sampler=guess current=1 peak=999 " + LINE, MemorySample(1048576, 2097152,
                                                                      f"{MARKER} sampler=guess current=1 peak=999 ")),
        # a workload's lines: no token, another token, the right token with anything after it, a bad number
        (f"{MARKER} current=1 peak=999999999999", None),
        (f"{MARKER} sampler=ab12c current=1 peak=999999999999", None),
        (f"{MARKER} sampler=ab12c-f00dx current=1 peak=999999999999", None),
        (LINE + " and more", None),
        (f"{MARKER} sampler=ab12c-f00d current=1e9 peak=1", None),
        (f"{MARKER} sampler=ab12c-f00d current={'9' * 21} peak=1", None),
        ("an ordinary line", None),
    ],
)
def test_only_the_runs_own_sampler_lines_are_samples(text: str, expected: MemorySample | None) -> None:
    assert parse_sample(text, "ab12c-f00d") == expected


@pytest.mark.parametrize("run_token", [None, ""])
def test_without_a_token_no_line_is_a_sample(run_token: str | None) -> None:
    assert parse_sample(LINE, run_token) is None


def test_highest_of_current_and_peak() -> None:
    assert MemorySample(5, 7).highest == 7 and MemorySample(5, None).highest == 5
    assert MemorySample(None, None).highest is None


@pytest.mark.parametrize(("limit", "noise"), [(None, False), (2097152, False), (2097151, True)])
def test_a_sample_above_the_limit_is_noise(limit: int | None, noise: bool) -> None:
    assert above_limit(MemorySample(1048576, 2097152), limit) is noise


def test_the_token_is_the_run_id_and_the_nonce() -> None:
    assert token("ab12c", "f00d") == "ab12c-f00d" and token("ab12c") == "ab12c"


@pytest.mark.parametrize("bad", ["", "a b", 'a"b', "a$(id)", "-leading", "a" * 101, "a\nb"])
def test_a_token_that_could_break_out_of_the_shell_string_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="sampler token"):
        snippet(bad)


def test_the_snippet_is_one_line_and_prints_its_token() -> None:
    text = snippet("ab12c-f00d")
    assert "\n" not in text and f'echo "{MARKER} sampler=ab12c-f00d current=$a peak=$b"' in text


@pytest.mark.parametrize("trace", [True, False])
@pytest.mark.parametrize("script", ["echo hi", "set -e\necho hi\n", "", "#!/bin/sh\necho hi"])
def test_split_instrumented_gives_back_the_token_and_the_script(script: str, trace: bool) -> None:
    made = instrument(script, token="ab12c-f00d", trace=trace)
    assert made.count("\n") == script.count("\n"), "the script's line numbers stay the same"
    assert split_instrumented(made) == ("ab12c-f00d", ("set -x; " if trace else "") + script)


def test_a_script_without_the_sampler_has_no_token() -> None:
    assert split_instrumented("set -x; echo hi") == (None, "set -x; echo hi")
    assert split_instrumented(f"echo '{LINE}'") == (None, f"echo '{LINE}'")


def test_redaction_leaves_sampler_lines_readable() -> None:
    # diagnose redacts every log line before the follower parses it: the token must not look like a credential.
    assert Redactor({"S3_SECRET_KEY": "Vq3n8sLk2PzR7wYt"}).redact(LINE) == LINE


def test_parsing_is_linear_in_the_line() -> None:
    hostile = (MARKER + " sampler=ab12c-f00d current=1") * 40_000 + "x" * 1_000_000
    started = time.perf_counter()
    assert parse_sample(hostile, "ab12c-f00d") is None
    assert time.perf_counter() - started < 0.5
