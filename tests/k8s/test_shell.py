"""`sh -c SCRIPT` detection (k8s/shell.py): one answer for the debug Job and for lint."""

from __future__ import annotations

from typing import Any

import pytest

from cronjob_doctor.k8s.shell import script_index, shell_script


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["sh", "-c", "true"], 2),
        (["/bin/bash", "-ec", "true"], 2),
        (["bash", "-x", "-c", "true"], 3),
        (["sh", "-o", "pipefail", "-c", "true"], 4),
        (["bash", "-euo", "pipefail", "-c", "true"], 4),
        (["bash", "--login", "-c", "true"], 3),
        (["sh", "-c", "-e", "true"], 3),  # POSIX: the script is the first operand after every option
        (["busybox", "sh", "-c", "true"], 3),
        (["/bin/busybox", "ash", "-c", "true"], 3),
        (["env", "A=1", "B=2", "sh", "-c", "true"], 5),
        (["/usr/bin/env", "-i", "bash", "-c", "true"], 4),
        (["sh", "-c", "--", "true"], 3),
        (["python", "-c", "print(1)"], None),
        (["sh", "script.sh"], None),
        (["sh", "-e", "script.sh"], None),
        (["sh", "-c"], None),
        (["busybox", "wget", "-q", "x"], None),
        ([], None),
    ],
)
def test_the_script_is_found_wherever_the_shell_puts_it(argv: list[str], expected: int | None) -> None:
    found = script_index(argv)
    assert (found[0] if found else None) == expected


def test_flags_and_options_are_reported_for_lint() -> None:
    found = shell_script({"command": ["bash", "-euo", "pipefail", "-c", "true"]})
    assert found is not None
    assert found.shell == "bash" and "e" in found.flags and found.options == ("pipefail",)


@pytest.mark.parametrize(
    ("container", "field", "index"),
    [
        ({"command": ["sh", "-c", "true"]}, "command", 2),
        ({"command": ["sh", "-c"], "args": ["true"]}, "args", 0),
        ({"args": ["sh", "-c", "true"]}, "args", 2),
        ({"command": ["/bin/sh"], "args": ["-ec", "true"]}, "args", 1),
    ],
)
def test_the_script_is_located_in_command_or_args(container: dict[str, Any], field: str, index: int) -> None:
    found = shell_script(container)
    assert found is not None and (found.field, found.index, found.text) == (field, index, "true")


@pytest.mark.parametrize("container", [{}, {"command": "sh -c true"}, {"command": ["/usr/local/bin/backup"]}])
def test_no_script_in_a_program_or_an_odd_shape(container: dict[str, Any]) -> None:
    assert shell_script(container) is None
