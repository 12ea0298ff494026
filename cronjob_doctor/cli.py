"""The typer app: parse flags into settings, call one flow, render the result, map errors to exit codes.

This is the only module that prints errors and the only one that knows exit codes besides errors.py. The
kubernetes client is imported lazily (through `kube`) so `--help`, `lint -f` and `analyze` never load it.
"""

from __future__ import annotations

import os
import sys
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Iterator, Optional

import typer
from rich.console import Console

from cronjob_doctor import __version__
from cronjob_doctor.errors import DoctorError

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

EXIT_CODES_HELP = (
    "Exit codes: 0 the run(s) succeeded / nothing wrong found; 1 a failure was diagnosed; "
    "2 usage or input error; 3 cannot reach or use the cluster (unreachable, unauthorised, forbidden, "
    "not found); 130 interrupted (after cleanup)."
)

app = typer.Typer(
    name="cronjob-doctor",
    help="Diagnose failing Kubernetes CronJobs: rerun them instrumented, keep every piece of evidence, "
    "and name the root cause.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=None,
)


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


KubeconfigOpt = Annotated[
    Optional[str],
    typer.Option("--kubeconfig", help="Path to the kubeconfig file (default: KUBECONFIG, ~/.kube/config, "
                 "in-cluster).", show_default=False),
]
ContextOpt = Annotated[
    Optional[str], typer.Option("--context", help="The kubeconfig context to use.", show_default=False)
]
OutputOpt = Annotated[
    Optional[OutputFormat],
    typer.Option("--output", "-o", help="Report format: text, json or markdown.", show_default=False),
]
NoColorOpt = Annotated[bool, typer.Option("--no-color", help="No colours (also: NO_COLOR set).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]


@dataclass(frozen=True)
class Common:
    """The flags every command shares, merged from the global position and the command's own."""

    kubeconfig: str | None
    context: str | None
    output: OutputFormat
    no_color: bool
    debug: bool


_GLOBAL: dict[str, object] = {}


def _common(
    kubeconfig: str | None = None,
    context: str | None = None,
    output: OutputFormat | None = None,
    no_color: bool = False,
    debug: bool = False,
) -> Common:
    return Common(
        kubeconfig=kubeconfig or _GLOBAL.get("kubeconfig"),  # type: ignore[arg-type]
        context=context or _GLOBAL.get("context"),  # type: ignore[arg-type]
        output=output or _GLOBAL.get("output") or OutputFormat.text,  # type: ignore[arg-type]
        no_color=no_color or bool(_GLOBAL.get("no_color")) or "NO_COLOR" in os.environ,
        debug=debug or bool(_GLOBAL.get("debug")),
    )


def consoles(common: Common) -> tuple[Console, Console]:
    """stdout carries only the report; progress, logs and errors go to stderr."""
    out = Console(no_color=common.no_color, highlight=False, soft_wrap=False)
    err = Console(stderr=True, no_color=common.no_color, highlight=False)
    return out, err


@contextmanager
def exit_codes(err: Console, *, debug: bool = False) -> Iterator[None]:
    """The one place that turns errors into `error: ...` / `hint: ...` lines and exit codes."""
    try:
        yield
    except DoctorError as exc:
        if debug:
            traceback.print_exc()
        err.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"hint: {exc.hint}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        raise typer.Exit(130) from None


def connect(common: Common) -> "Kube":
    """Build the cluster client from the kubeconfig flags (imports the kubernetes client only now)."""
    from cronjob_doctor.kube.client import Kube

    return Kube.connect(kubeconfig=common.kubeconfig, context=common.context)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cronjob-doctor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    _GLOBAL.update(kubeconfig=kubeconfig, context=context, output=output, no_color=no_color, debug=debug)


# Commands are registered below, each when it works.


def main() -> None:
    """Console-script entry point (`cronjob-doctor`, `kubectl-cronjob_doctor`, `python -m cronjob_doctor`)."""
    prog = os.path.basename(sys.argv[0]) if sys.argv else "cronjob-doctor"
    name = "kubectl cronjob-doctor" if prog.startswith("kubectl-") else "cronjob-doctor"
    app(prog_name=name)
