"""The command line: parse flags into settings, call one flow, render the result, map errors to exit codes.

app.py holds the typer app and the common options' global position, common.py what every command shares, and
one module per command its flags. Importing this package registers the commands, in the order `--help` lists
them: what an operator needs first comes first.
"""

from __future__ import annotations

# isort: off
from cronjob_doctor.cli import diagnose, history, scan, analyze, record, lint, demo  # noqa: F401  registration
# isort: on
from cronjob_doctor.cli.app import app, main

__all__ = ["app", "main"]
