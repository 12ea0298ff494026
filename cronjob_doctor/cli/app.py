"""The typer app and its callback: the common options in the global position, `--version`, the entry point.

Commands register themselves on `app` from their own modules (cli/<command>.py), imported by cli/__init__.py
in the order `--help` lists them: the one an operator needs first comes first.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cronjob_doctor import __version__
from cronjob_doctor.cli.common import (
    EXIT_CODES_HELP,
    Common,
    ContextOpt,
    DebugOpt,
    KubeconfigOpt,
    NamespaceOpt,
    NoColorOpt,
    OutputOpt,
)

app = typer.Typer(
    name="cronjob-doctor",
    help="Diagnose failing Kubernetes CronJobs: rerun them instrumented, keep every piece of evidence, "
    "and name the root cause.\n\n"
    "The common flags (--kubeconfig, --context, -n, -o, --no-color, --debug) work before or after the command "
    "name.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=True,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cronjob-doctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    ctx.obj = Common().merge(kubeconfig=kubeconfig, context=context, namespace=namespace, output=output,
                             no_color=no_color, debug=debug)


def main() -> None:
    """Console-script entry point (`cronjob-doctor`, `kubectl-cronjob_doctor`, `python -m cronjob_doctor`)."""
    prog = os.path.basename(sys.argv[0]) if sys.argv else "cronjob-doctor"
    name = "kubectl cronjob-doctor" if prog.startswith("kubectl-") else "cronjob-doctor"
    app(prog_name=name)
