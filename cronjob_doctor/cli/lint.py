"""`cronjob-doctor lint NS/NAME | -f FILE`: static checks of CronJob specs."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import Common, command, consoles, resolve_target
from cronjob_doctor.cli.completion import complete_target
from cronjob_doctor.errors import InputError

HELP = (
    "Static checks of CronJob (and Job) specs: run-time downloads, memory below what the script downloads, "
    "missing deadlines, history limits that lose the evidence, secrets on command lines, schedules, ...\n\n"
    "Reads a live CronJob (NS/NAME) or manifest files (-f; multi-document YAML, JSON, List kinds, Helm "
    "and kustomize output; '-' is stdin). --list-checks shows every check.\n\n"
    "Exit codes: 0 no error-severity finding; 1 at least one error-severity finding (reported whatever "
    "--severity says); 2 usage error or an unreadable or malformed file; 3 cannot reach or use the cluster; "
    "70 internal error."
)


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


@command(app, "lint", help=HELP, formats=("text", "json", "yaml", "markdown", "sarif"))
def lint_cmd(
    common: Common,
    target: Annotated[
        str | None,
        typer.Argument(metavar="[NS/NAME]", autocompletion=complete_target, show_default=False,
                       help="The CronJob to read from the cluster (or NAME with -n)."),
    ] = None,
    files: Annotated[
        list[str] | None,
        typer.Option("--file", "-f", metavar="FILE", show_default=False,
                     help="Manifest file to lint ('-' reads stdin); repeatable."),
    ] = None,
    severity: Annotated[
        Severity, typer.Option("--severity", help="Report findings of this severity and above.")
    ] = Severity.info,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", metavar="CHECK", show_default=False, help="Check id not to run; repeatable."),
    ] = None,
    list_checks: Annotated[bool, typer.Option("--list-checks", help="List every check and exit.")] = False,
) -> int:
    from cronjob_doctor import report
    from cronjob_doctor.lint import CHECKS
    from cronjob_doctor.lint.flow import LintSettings, run

    out, _err = consoles(common)
    if list_checks:
        for check in CHECKS:
            out.file.write(f"{check.id:<28} {check.severity:<8} {check.title}\n")
        return 0
    if target and files:
        raise InputError("give NS/NAME or -f FILE, not both")
    kube, live = None, None
    if target:
        live, kube = resolve_target(common, target)
    settings = LintSettings(files=tuple(files or ()), target=live, threshold=severity.value, skip=tuple(skip or ()))
    result = run(settings, stdin=sys.stdin, kube=kube)
    report.write(out, result, fmt=common.output or "text")
    return result.exit_code
