"""`cronjob-doctor analyze BUNDLE_DIR`: the verdict engine alone, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import EXIT_CODES_HELP, Common, command, consoles

HELP = (
    "Judge a saved bundle offline: the root cause, its evidence and the fix. BUNDLE_DIR is a bundle written by "
    "diagnose/record (a run, or the root of several), or a directory of raw dumps (kubectl get pod -o json > "
    "pods.json, kubectl get events -o json > events.json, job.json, cronjob.json, logs/<pod>/<container>.log); "
    "every file is optional.\n\n" + EXIT_CODES_HELP
)


@command(app, "analyze", help=HELP, formats=("text", "json", "yaml", "markdown"), cluster=False)
def analyze_cmd(
    common: Common,
    bundle_dir: Annotated[str, typer.Argument(metavar="BUNDLE_DIR", help="The bundle directory to analyze.")],
    write: Annotated[bool, typer.Option("--write", help="Also write verdict.json into the bundle.")] = False,
) -> int:
    from cronjob_doctor import report
    from cronjob_doctor.analyze import flow

    out, err = consoles(common)
    outcome = flow.run(flow.AnalyzeSettings(bundle=Path(bundle_dir), write=write, command=common.command))
    report.write(out, outcome.verdict, fmt=common.output or "text")
    if outcome.written is not None:
        err.print(f"wrote {outcome.written}", markup=False, highlight=False)
    return outcome.exit_code

