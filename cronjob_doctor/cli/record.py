"""`cronjob-doctor record`: capture every scheduled run into a bundle while it happens."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cronjob_doctor.cli import common as cli_common
from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import Common, command, consoles, install_sigterm, resolve_target
from cronjob_doctor.cli.completion import complete_target
from cronjob_doctor.errors import InputError

HELP = (
    "Watch CronJobs and capture every run into a bundle while it happens (pods, every log line, status "
    "changes, events), then write its verdict: the next failure keeps its evidence even after cleanup. One line "
    "per finished run on stdout (-o json: JSON lines). Bundles: BUNDLE/<namespace>/<cronjob>/<job>/. Restarts "
    "resume open runs; runs that ended while it was down are captured from what remains and marked partial.\n\n"
    "NS/NAME is one CronJob; without it every CronJob in -n NAMESPACE (default: the context's) or in all "
    "namespaces (-A), filtered by --selector.\n\n"
    "--on-failure CMD runs through /bin/sh for each failed run with CRONJOB_DOCTOR_BUNDLE, _VERDICT, "
    "_VERDICT_FILE, _SUMMARY, _NAMESPACE, _CRONJOB, _JOB, _OUTCOME, _REASON, _CONFIDENCE, _PARTIAL set.\n\n"
    "Exit codes: 130 stopped by Ctrl-C/SIGTERM (open runs closed as partial, resumed at the next start); with "
    "--once/--duration 0 if no recorded run failed, 1 if one did, 4 if one was captured only partially; 2 usage "
    "error; 3 cannot reach or use the cluster at start (later outages are retried forever); 70 internal error."
)


@command(app, "record", help=HELP, formats=("text", "json"))
def record_cmd(
    common: Common,
    target: Annotated[
        str | None,
        typer.Argument(metavar="[NS/NAME]", autocompletion=complete_target, show_default=False,
                       help="One CronJob (or NAME with -n)."),
    ] = None,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    selector: Annotated[
        str | None,
        typer.Option("--selector", "-l", metavar="SELECTOR", show_default=False,
                     help="Only CronJobs matching this label selector."),
    ] = None,
    bundle: Annotated[str, typer.Option("--bundle", metavar="DIR", help="Bundle root directory.")] = (
        "cronjob-doctor-records"
    ),
    on_failure: Annotated[
        str | None,
        typer.Option("--on-failure", metavar="CMD", show_default=False,
                     help="Shell command to run for each failed run."),
    ] = None,
    keep_last: Annotated[
        int | None,
        typer.Option("--keep-last", min=1, metavar="N", show_default=False,
                     help="Keep the N newest bundles per CronJob."),
    ] = None,
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", metavar="SIZE", show_default=False,
                     help="Size budget for the bundle root, e.g. 2Gi (oldest removed first; the newest bundle of "
                     "each CronJob is always kept)."),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", min=0, max=65535, metavar="PORT", show_default=False,
                     help="Serve Prometheus metrics on this port (0 picks a free one)."),
    ] = None,
    metrics_address: Annotated[
        str, typer.Option("--metrics-address", metavar="ADDRESS",
                          help="Address the metrics server binds to (0.0.0.0 serves every interface).")
    ] = "127.0.0.1",
    once: Annotated[bool, typer.Option("--once", help="Exit after the first run that started after record "
                                       "started is recorded.")] = False,
    no_redact: Annotated[
        bool,
        typer.Option("--no-redact", help="Keep Secret values and credentials in the bundle logs (redacted by "
                     "default; Secret values need `get secrets`, credential patterns always apply)."),
    ] = False,
    duration: Annotated[
        str | None,
        typer.Option("--duration", metavar="DURATION", show_default=False,
                     help="Exit after this long, e.g. 24h (open runs are closed as partial)."),
    ] = None,
) -> int:
    import threading
    from pathlib import Path

    from cronjob_doctor import report
    from cronjob_doctor.k8s.duration import parse_duration
    from cronjob_doctor.k8s.names import check_namespace
    from cronjob_doctor.k8s.quantity import parse_bytes
    from cronjob_doctor.record import flow
    from cronjob_doctor.record.model import RecordedRun

    out, err = consoles(common)
    install_sigterm()
    if target and all_namespaces:
        raise InputError("give NS/NAME or -A, not both")
    if target and selector:
        raise InputError("--selector filters CronJobs in a namespace; it does not apply to NS/NAME")
    if all_namespaces and common.namespace:
        raise InputError("give -A or -n NAMESPACE, not both")
    if common.namespace is not None:
        check_namespace(common.namespace)
    limit = parse_bytes(max_bytes) if max_bytes is not None else None
    seconds = parse_duration(duration) if duration is not None else None
    cronjob = None
    scope: str | None = None
    if target:
        parsed, kube = resolve_target(common, target)
        scope, cronjob = parsed.namespace, parsed.name
    else:
        kube = cli_common.connect(common)
        scope = None if all_namespaces else (common.namespace or kube.default_namespace)
    settings = flow.RecordSettings(
        namespace=scope, cronjob=cronjob, selector=selector, root=Path(bundle), on_failure=on_failure,
        keep_last=keep_last, max_bytes=limit, metrics_port=metrics_port, metrics_addr=metrics_address, once=once,
        duration_seconds=seconds, redact=not no_redact,
    )
    fmt = common.output or "text"

    def emit(result: RecordedRun) -> None:
        report.write(out, result, fmt=fmt)

    def log(message: str) -> None:
        err.print(f"record: {message}", markup=False, highlight=False, soft_wrap=True)

    outcome = flow.run(settings, kube=kube, emit=emit, log=log, stop=threading.Event(), environ=dict(os.environ))
    return outcome.exit_code
