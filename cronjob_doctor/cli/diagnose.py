"""`cronjob-doctor diagnose NS/NAME`: clone, run instrumented, follow, keep the evidence, judge, clean up."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import typer

from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import EXIT_CODES_HELP, Common, command, consoles, install_sigterm, resolve_target
from cronjob_doctor.cli.completion import complete_target
from cronjob_doctor.errors import InputError

if TYPE_CHECKING:
    from cronjob_doctor.diagnose.flow import Outcome
    from cronjob_doctor.diagnose.settings import DiagnoseSettings
    from cronjob_doctor.kube.client import Kube

HELP = (
    "Clone the CronJob into a one-off debug Job (raised memory, set -x), follow it, keep every log line, "
    "pod status and event on disk, print the root cause with its evidence and the fix, then clean up.\n\n"
    "NS/NAME is the CronJob, or the failed Job named in the alert (NS/JOB); a Job already pruned by the "
    "CronJob controller falls back to the CronJob its name starts with.\n\n" + EXIT_CODES_HELP
)


@command(app, "diagnose", help=HELP, formats=("text", "json", "yaml", "markdown"))
def diagnose_cmd(
    common: Common,
    target: Annotated[str, typer.Argument(metavar="NS/NAME", autocompletion=complete_target,
                                          help="The CronJob or one of its Jobs (or NAME with -n).")],
    memory: Annotated[
        str | None,
        typer.Option(metavar="SIZE[,SIZE...]", show_default=False,
                     help="Memory limit(s), comma-separated; 'original' keeps the CronJob's. "
                     "Default: the larger of 512Mi and 4x the original limit, never lowering a "
                     "container's own limit."),
    ] = None,
    runs: Annotated[int, typer.Option(metavar="N", help="Runs per memory variant.")] = 1,
    image: Annotated[str | None, typer.Option(metavar="IMAGE", show_default=False,
                                              help="Try a candidate fix image.")] = None,
    container: Annotated[
        str | None, typer.Option(metavar="NAME", show_default=False,
                                 help="Container to instrument (default: every shell container).")
    ] = None,
    timeout: Annotated[
        str | None,
        typer.Option(metavar="DURATION", show_default=False,
                     help="Deadline per debug Job (activeDeadlineSeconds), e.g. 15m. Default: the CronJob's own "
                     "activeDeadlineSeconds, else 30m."),
    ] = None,
    bundle: Annotated[
        str | None, typer.Option(metavar="DIR", show_default=False,
                                 help="Bundle directory, new or empty (default: a new "
                                 "./cronjob-doctor-<ns>-<cronjob>-<UTC time>, -2, -3... when taken).")
    ] = None,
    bundle_subdir: Annotated[
        bool, typer.Option("--bundle-subdir", help="When --bundle names a directory that is not empty, write into "
                           "a fresh subdirectory of it (without this flag it is refused).")
    ] = False,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the debug Job(s) in the cluster.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the debug Job(s) as YAML for kubectl apply -f - and their "
                           "diff against the jobTemplate (as YAML comments); create nothing.")
    ] = False,
    no_trace: Annotated[bool, typer.Option("--no-trace", help="Do not prepend set -x.")] = False,
    no_sample: Annotated[bool, typer.Option("--no-sample", help="Do not run the memory sampler.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Run where diagnose would refuse: even if another "
                                        "diagnose of it is running, beside a debug Job a diagnose that is gone "
                                        "left running, and with --bundle on a directory that is not empty (as "
                                        "--bundle-subdir).")] = False,
    adopt: Annotated[bool, typer.Option("--adopt", help="Take over the debug Job(s) a diagnose that is gone "
                                        "(killed) left behind: follow to the end, judge, clean up.")] = False,
    delete_orphans: Annotated[bool, typer.Option("--delete-orphans", help="Delete the debug Jobs a diagnose "
                                                 "that is gone left behind, then run as usual.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream container logs to the terminal.")] = False,
    no_redact: Annotated[
        bool,
        typer.Option("--no-redact", help="Keep Secret values and credentials in the terminal, bundle logs and "
                     "report (redacted by default)."),
    ] = False,
) -> int:
    from cronjob_doctor.diagnose.settings import DiagnoseSettings

    install_sigterm()
    if dry_run and common.output == "markdown":
        raise InputError("--dry-run writes the debug Jobs as YAML (text, yaml) or a JSON List (json), not markdown")
    parsed, kube = resolve_target(common, target)  # loads the kubeconfig; no request is sent before the flags pass
    settings = DiagnoseSettings.from_flags(
        target=str(parsed), memory=memory, runs=runs, image=image, container=container, timeout=timeout,
        bundle=bundle, bundle_subdir=bundle_subdir or force, keep=keep, dry_run=dry_run, trace=not no_trace,
        sample=not no_sample, force=force, adopt=adopt, delete_orphans=delete_orphans, show_logs=not quiet,
        redact=not no_redact,
    )
    return run_diagnose(settings, common=common, kube=kube).exit_code


def run_diagnose(settings: DiagnoseSettings, *, common: Common, kube: Kube, command_text: str | None = None) -> Outcome:
    """The diagnose flow with the live view on stderr and the report (or the dry run) on stdout."""
    from cronjob_doctor import report
    from cronjob_doctor.diagnose import flow
    from cronjob_doctor.report.live import LiveView

    out, err = consoles(common)
    view = LiveView(err, plain=not err.is_terminal)
    hooks = flow.Hooks(header=view.header, phase=view.phase, log_line=view.log_line, note=view.note,
                       hint=view.hint)
    kube.on_retry = view.note  # a retried call is a wait: say what for
    try:
        outcome = flow.run(settings, kube=kube, hooks=hooks, now=datetime.now(timezone.utc),
                           command=command_text or common.command)
    finally:
        view.close()
    if outcome.dry_run is not None:
        fmt = common.output or "text"
        report.write(out, outcome.dry_run, fmt=fmt)
        if fmt == "json":  # the Jobs on stdout for kubectl apply; what changed, for the reader, on stderr
            for job in outcome.dry_run.jobs:
                err.print(job.diff, markup=False, highlight=False, soft_wrap=True, end="")
    elif outcome.verdict is not None:
        report.write(out, outcome.verdict, fmt=common.output or "text")
    return outcome
