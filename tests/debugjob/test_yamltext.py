"""The YAML we print is read back as written, also by readers that take more strings for numbers than PyYAML."""

from __future__ import annotations

import pytest
import yaml

from cronjob_doctor.debugjob import yamltext

# Go's YAML (kubectl) reads each of these as a number when it is left plain.
NUMBER_LIKE = ["578e0", "1e3", "1_000", "0o17", "0b1", "0x1f", ".5", "+1", "-2", ".inf", "0777", "12345"]


@pytest.mark.parametrize("value", NUMBER_LIKE)
def test_a_string_that_reads_as_a_number_is_quoted(value: str) -> None:
    text = yamltext.dump({"v": value})
    assert text in (f"v: '{value}'\n", f'v: "{value}"\n')
    assert yaml.safe_load(text) == {"v": value}


@pytest.mark.parametrize("value", ["backup", "tf-state-backup", "alpine:3.20", "e10", "inf", "doctor-578e0", "128Mi",
                                   "3600s"])
def test_other_strings_stay_plain(value: str) -> None:
    assert yamltext.dump({"v": value}) == f"v: {value}\n"


def test_scripts_are_block_scalars_only_when_asked() -> None:
    script = "set -e\necho 1e3\n"
    assert yamltext.dump({"s": script}, block_scripts=True) == "s: |\n  set -e\n  echo 1e3\n"
    assert yaml.safe_load(yamltext.dump({"s": script})) == {"s": script}


def test_non_ascii_text_stays_readable() -> None:
    assert yamltext.dump({"note": "Größe überschritten"}) == "note: Größe überschritten\n"
