"""Parsing of what users type: NS/NAME, sizes, durations, diagnose flags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cronjob_doctor.diagnose.settings import DiagnoseSettings, parse_memory_list
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.duration import format_duration, parse_duration
from cronjob_doctor.k8s.names import Target, parse_target
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes, round_up_mi


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tofu-state/tf-state-backup", Target("tofu-state", "tf-state-backup")),
        ("tofu-state/tf-state-backup-29565120", Target("tofu-state", "tf-state-backup-29565120")),
        (" ns/a.b ", Target("ns", "a.b")),
    ],
)
def test_targets(text: str, expected: Target) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tf-state-backup", "expected NAMESPACE/NAME"),
        ("a/b/c", "expected NAMESPACE/NAME"),
        ("Tofu/x", "invalid namespace"),
        ("ns/Bad_Name", "invalid name"),
        ("/x", "namespace is empty"),
        ("ns/", "name is empty"),
        ("cronjob/tf-state-backup", "not KIND/NAME"),
        ("n" * 64 + "/x", "invalid namespace"),
    ],
)
def test_bad_targets_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_target(text)


def test_bare_name_uses_the_default_namespace() -> None:
    assert parse_target("x", default_namespace="ns") == Target("ns", "x")


@given(st.text(max_size=80))
def test_any_target_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        target = parse_target(text)
    except InputError:
        return
    assert target.namespace and target.name


@pytest.mark.parametrize(
    ("text", "value"),
    [("128Mi", 128 * 1024**2), ("1Gi", 1024**3), ("1G", 10**9), ("134217728", 134217728), ("1e3", 1000),
     ("0.5Gi", 512 * 1024**2), ("500k", 500_000)],
)
def test_sizes(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "12XB", "-1Mi", "Mi", "1.2.3Gi"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(InputError):
        parse_bytes(text)


def test_format_and_round_bytes() -> None:
    assert format_bytes(512 * 1024**2) == "512Mi"
    assert format_bytes(190 * 1024**2 + 1) == "190.0Mi"
    assert round_up_mi(182 * 1024**2) == "192Mi"


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "15x", "m15", "1h 30m", "-5s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(194400) == "2d6h"
    assert format_duration(21600) == "6h0m"
    assert format_duration(4.2) == "4.2s"


def test_memory_list() -> None:
    assert parse_memory_list("original,512Mi") == ("original", "512Mi")
    assert parse_memory_list(None) == ()
    for bad in ("512Mi,512Mi", "1Ki", "999Gi", "original,", "lots"):
        with pytest.raises(InputError):
            parse_memory_list(bad)


def test_diagnose_flags_are_validated_before_anything_runs() -> None:
    settings = DiagnoseSettings.from_flags(target="ns/cj", memory="original,1Gi", runs=3, timeout="15m")
    assert settings.memory == ("original", "1Gi") and settings.runs == 3 and settings.timeout_seconds == 900
    for kwargs in ({"runs": 0}, {"runs": 1000}, {"timeout": "0s"}, {"timeout": "30d"}, {"image": "a b"},
                   {"container": "Bad Name"}):
        with pytest.raises(InputError):
            DiagnoseSettings.from_flags(target="ns/cj", **kwargs)  # type: ignore[arg-type]
