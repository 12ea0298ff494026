"""`cronjob-doctor history NS/NAME`: past runs of a CronJob, a summary and the warnings an SRE needs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import Common, command, consoles, resolve_target
from cronjob_doctor.cli.completion import complete_target

HELP = (
    "Past runs of a CronJob: each Job's scheduled time (UTC and the CronJob's timeZone), outcome, reason, "
    "duration, retries, and whether its pods and logs still exist; a summary; warnings (evidence about to be "
    "lost, hangs, overlaps, schedule surprises, missed runs); verdicts for failed runs whose pods remain (or, with "
    "--bundles, whose record bundle holds them).\n\n"
    "NS/NAME is the CronJob, or the Job named in a KubeJobFailed alert (NS/NAME-<scheduled time>): a Job "
    "already pruned by the CronJob controller falls back to its CronJob.\n\n"
    "Exit codes: 0 the latest finished run succeeded (or nothing finished); 1 the CronJob is failing now (its "
    "latest finished run failed); 2 usage error; 3 cannot reach or use the cluster; 70 internal error."
)


@command(app, "history", help=HELP, formats=("text", "json", "yaml", "markdown"))
def history_cmd(
    common: Common,
    target: Annotated[str, typer.Argument(metavar="NS/NAME", autocompletion=complete_target,
                                          help="The CronJob (or NAME with -n).")],
    limit: Annotated[
        int, typer.Option("--limit", min=0, metavar="N",
                          help="Show the N most recent runs (0: all); the summary counts all.")
    ] = 20,
    bundles: Annotated[
        str | None,
        typer.Option("--bundles", metavar="DIR", show_default=False,
                     help="A `record` bundle root: show the recorded verdict of runs whose pods are gone."),
    ] = None,
) -> int:
    from cronjob_doctor import report
    from cronjob_doctor.history import flow

    out, _err = consoles(common)
    parsed, kube = resolve_target(common, target)
    settings = flow.HistorySettings(target=parsed, limit=limit, bundles=Path(bundles) if bundles else None)
    result = replace(flow.run(settings, kube=kube), command=common.command)
    report.write(out, result, fmt=common.output or "text")
    return result.exit_code
