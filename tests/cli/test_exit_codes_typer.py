"""exit_codes() lets typer's own exits through with their code, whichever typer is installed.

typer 0.28 vendors click (`typer._click`) and raises `typer.exceptions.Exit`, no longer click's; click is not
even installed with it. common.py imported click and caught click's Exit: the CLI did not start on a fresh
install, and an Exit raised inside exit_codes() would have been taken for a crash (exit 70).
"""

from __future__ import annotations

import pytest
import typer
from rich.console import Console

from cronjob_doctor.cli.common import INTERNAL_ERROR, exit_codes


@pytest.mark.parametrize("code", [0, 1, 3])
def test_a_typer_exit_passes_through_with_its_code(code: int) -> None:
    with pytest.raises(typer.Exit) as raised, exit_codes(Console(stderr=True)):
        raise typer.Exit(code)
    assert raised.value.exit_code == code != INTERNAL_ERROR


def test_a_typer_abort_passes_through() -> None:
    with pytest.raises(typer.Abort), exit_codes(Console(stderr=True)):
        raise typer.Abort()
