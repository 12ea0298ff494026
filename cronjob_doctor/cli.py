"""The typer app: parse flags into settings, call one flow, render the result, map errors to exit codes.

This is the only module that prints errors and the only one that knows exit codes besides errors.py. The
kubernetes client is imported lazily (through `kube`) so `--help`, `lint -f` and `analyze` never load it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from cronjob_doctor import __version__
from cronjob_doctor.errors import DoctorError

if TYPE_CHECKING:
    from rich.console import Console

    from cronjob_doctor.diagnose.settings import DiagnoseSettings
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
    yaml = "yaml"
    markdown = "markdown"


KubeconfigOpt = Annotated[
    str | None,
    typer.Option("--kubeconfig", help="Path to the kubeconfig file (default: KUBECONFIG, ~/.kube/config, "
                 "in-cluster).", show_default=False),
]
ContextOpt = Annotated[
    str | None, typer.Option("--context", help="The kubeconfig context to use.", show_default=False)
]
OutputOpt = Annotated[
    OutputFormat | None,
    typer.Option("--output", "-o", help="Report format: text, json, yaml or markdown.",
                 show_default=False),
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
    """stdout carries only the report; progress, logs and errors go to stderr.

    --no-color / NO_COLOR turn off every escape sequence, bold and dim too (color_system=None): rich's no_color
    alone keeps them, and log collectors that force a terminal would then store them. rich is imported here,
    not at the top: `--help` and `--version` never need it (a third of their start-up)."""
    from rich.console import Console

    if common.no_color:
        out = Console(no_color=True, color_system=None, highlight=False, soft_wrap=False)
        err = Console(stderr=True, no_color=True, color_system=None, highlight=False)
        return out, err
    out = Console(highlight=False, soft_wrap=False)
    err = Console(stderr=True, highlight=False)
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


def connect(common: Common) -> Kube:
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


@app.command(
    "analyze",
    help="Judge a saved bundle offline: the root cause, its evidence and the fix. BUNDLE_DIR is a bundle written "
    "by diagnose/record, or a directory of raw dumps (kubectl get pod -o json > pods.json, kubectl get events "
    "-o json > events.json, job.json, cronjob.json, logs/<pod>/<container>.log); every file is optional.\n\n"
    + EXIT_CODES_HELP,
)
def analyze_cmd(
    ctx: typer.Context,
    bundle_dir: Annotated[str, typer.Argument(metavar="BUNDLE_DIR", help="The bundle directory to analyze.")],
    write: Annotated[bool, typer.Option("--write", help="Also write verdict.json into the bundle.")] = False,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    from pathlib import Path

    from cronjob_doctor import report
    from cronjob_doctor.analyze import flow as analyze

    common = _common(None, None, output, no_color, debug)
    out, err = consoles(common)
    with exit_codes(err, debug=common.debug):
        outcome = analyze.run(
            analyze.AnalyzeSettings(bundle=Path(bundle_dir), write=write, command=_command_line(ctx))
        )
        report.write(out, outcome.verdict, fmt=common.output.value)
        if outcome.written is not None:
            err.print(f"wrote {outcome.written}", markup=False, highlight=False)
    raise typer.Exit(outcome.exit_code)


@app.command(
    "history",
    help="Past runs of a CronJob: each Job's scheduled time (UTC and the CronJob's timeZone), outcome, reason, "
    "duration, retries, and whether its pods and logs still exist; a summary; warnings (evidence about to be "
    "lost, hangs, overlaps, schedule surprises, missed runs); verdicts for failed runs whose pods remain.\n\n"
    "Exit codes: 0 the latest finished run succeeded (or nothing finished); 1 the CronJob is failing now (its "
    "latest finished run failed); 2 usage error; 3 cannot reach or use the cluster.",
)
def history_cmd(
    ctx: typer.Context,
    target: Annotated[str, typer.Argument(metavar="NAMESPACE/NAME", help="The CronJob (or NAME with -n).")],
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace for a bare NAME (default: the context's namespace).",
                     show_default=False),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Show the N most recent runs (0: all); the summary counts all.")
    ] = 20,
    bundles: Annotated[
        str | None,
        typer.Option("--bundles", help="A `record` bundle root: show the recorded verdict of runs whose pods are "
                     "gone.", show_default=False),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    from cronjob_doctor.history import flow as history
    from cronjob_doctor.k8s.names import parse_target
    from cronjob_doctor.report import history as history_report

    common = _common(kubeconfig, context, output, no_color, debug)
    out, err = consoles(common)
    with exit_codes(err, debug=common.debug):
        if namespace is None and "/" not in target:
            kube = connect(common)
            parsed = parse_target(target, default_namespace=kube.default_namespace)
        else:
            parsed = parse_target(target, default_namespace=namespace)
            kube = connect(common)
        from pathlib import Path

        settings = history.HistorySettings(target=parsed, limit=limit, bundles=Path(bundles) if bundles else None)
        result = replace(history.run(settings, kube=kube), command=_command_line(ctx))
        history_report.write(out, result, fmt=common.output.value)
    raise typer.Exit(result.exit_code)


@app.command(
    "scan",
    help="Triage every CronJob in scope, worst first: last schedule, last success, last outcome and reason, "
    "failure streak, failed runs whose evidence is lost, suspension, lint errors. Three list calls however many "
    "CronJobs there are.\n\n"
    "Exit codes: 0 no CronJob in scope is failing; 1 at least one is failing now (its latest finished run "
    "failed); 2 usage error; 3 cannot reach or use the cluster.",
)
def scan_cmd(
    ctx: typer.Context,
    all_namespaces: Annotated[
        bool, typer.Option("--all-namespaces", "-A", help="Scan every namespace.")
    ] = False,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace to scan (default: the context's namespace).",
                     show_default=False),
    ] = None,
    failing: Annotated[bool, typer.Option("--failing", help="Show only the CronJobs failing now.")] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    from cronjob_doctor.errors import InputError
    from cronjob_doctor.k8s.names import check_namespace
    from cronjob_doctor.report import scan as scan_report
    from cronjob_doctor.scan import flow as scan

    common = _common(kubeconfig, context, output, no_color, debug)
    out, err = consoles(common)
    with exit_codes(err, debug=common.debug):
        if all_namespaces and namespace:
            raise InputError("give -A or -n NAMESPACE, not both")
        if namespace is not None:
            check_namespace(namespace)
        kube = connect(common)
        scope = None if all_namespaces else (namespace or kube.default_namespace)
        result = scan.run(scan.ScanSettings(namespace=scope, only_failing=failing), kube=kube)
        result = replace(result, command=_command_line(ctx))
        scan_report.write(out, result, fmt=common.output.value)
    raise typer.Exit(result.exit_code)


class LintOutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


class LintSeverity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


@app.command(
    "lint",
    help="Static checks of CronJob (and Job) specs: run-time downloads, memory below what the script downloads, "
    "missing deadlines, history limits that lose the evidence, secrets on command lines, schedules, ...\n\n"
    "Reads a live CronJob (NAMESPACE/NAME) or manifest files (-f; multi-document YAML, JSON, List kinds, Helm "
    "and kustomize output; '-' is stdin). --list-checks shows every check.\n\n"
    "Exit codes: 0 no error-severity finding; 1 at least one error-severity finding (reported whatever "
    "--severity says); 2 usage error or an unreadable or malformed file; 3 cannot reach or use the cluster.",
)
def lint_cmd(
    target: Annotated[
        str | None,
        typer.Argument(metavar="[TARGET]", help="NAMESPACE/CRONJOB to read from the cluster (or NAME with -n).",
                       show_default=False),
    ] = None,
    files: Annotated[
        list[str] | None,
        typer.Option("--file", "-f", help="Manifest file to lint ('-' reads stdin); repeatable.", show_default=False),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace for a bare NAME (default: the context's namespace).",
                     show_default=False),
    ] = None,
    severity: Annotated[
        LintSeverity, typer.Option("--severity", help="Report findings of this severity and above.")
    ] = LintSeverity.info,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help="Check id not to run; repeatable.", show_default=False)
    ] = None,
    list_checks: Annotated[bool, typer.Option("--list-checks", help="List every check and exit.")] = False,
    output: Annotated[
        LintOutputFormat | None,
        typer.Option("--output", "-o", help="Report format: text, json, markdown or sarif (SARIF 2.1.0).",
                     show_default=False),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    from cronjob_doctor.errors import InputError
    from cronjob_doctor.k8s.names import parse_target
    from cronjob_doctor.lint import CHECKS
    from cronjob_doctor.lint.flow import LintSettings, run
    from cronjob_doctor.report import lint as lint_render
    from cronjob_doctor.report import sarif

    common = _common(kubeconfig, context, None, no_color, debug)
    out, err = consoles(common)
    fmt = output.value if output else common.output.value
    if list_checks:
        for check in CHECKS:
            out.file.write(f"{check.id:<28} {check.severity:<8} {check.title}\n")
        raise typer.Exit(0)
    with exit_codes(err, debug=common.debug):
        if target and files:
            raise InputError("give NAMESPACE/NAME or -f FILE, not both")
        kube = None
        live = None
        if target:
            if namespace is None and "/" not in target:
                kube = connect(common)
                namespace = kube.default_namespace
            live = parse_target(target, default_namespace=namespace)
            kube = kube or connect(common)
        settings = LintSettings(
            files=tuple(files or ()), target=live, threshold=severity.value, skip=tuple(skip or ())
        )
        result = run(settings, stdin=sys.stdin, kube=kube)
    if fmt == "json":
        out.file.write(lint_render.to_json(result) + "\n")
    elif fmt == "sarif":
        out.file.write(sarif.render(result) + "\n")
    elif fmt == "markdown":
        out.file.write(lint_render.markdown(result))
    else:
        out.print(lint_render.text(result))
    raise typer.Exit(result.exit_code)


NamespaceOpt = Annotated[
    str | None,
    typer.Option("--namespace", "-n", help="Namespace for a bare NAME (default: the context's namespace).",
                 show_default=False),
]


def _install_sigterm() -> None:
    """SIGTERM (kubectl plugin killed, CI cancelled) cleans up like Ctrl-C: raise KeyboardInterrupt in the main
    thread so every flow's `finally:` runs."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Not the main thread (embedded use): nothing to install.
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, handler)


def _run_diagnose(settings: DiagnoseSettings, *, common: Common, kube: Kube, command: str) -> int:
    """Run the diagnose flow with the live view on stderr and the report on stdout; return the exit code."""
    from datetime import datetime, timezone

    from cronjob_doctor import report
    from cronjob_doctor.diagnose import flow as diagnose
    from cronjob_doctor.report.live import LiveView

    out, err = consoles(common)
    view = LiveView(err, plain=not err.is_terminal)
    hooks = diagnose.Hooks(header=view.header, phase=view.phase, log_line=view.log_line, note=view.note)
    try:
        outcome = diagnose.run(settings, kube=kube, hooks=hooks, now=datetime.now(timezone.utc), command=command)
    finally:
        view.close()
    if outcome.dry_run_text is not None:
        out.file.write(outcome.dry_run_text)
        return 0
    assert outcome.verdict is not None
    report.write(out, outcome.verdict, fmt=common.output.value)
    return outcome.exit_code


@app.command(
    "diagnose",
    help="Clone the CronJob into a one-off debug Job (raised memory, set -x), follow it, keep every log line, "
    "pod status and event on disk, print the root cause with its evidence and the fix, then clean up.\n\n"
    "TARGET is NAMESPACE/CRONJOB, or the failed Job named in the alert (NAMESPACE/JOB).\n\n" + EXIT_CODES_HELP,
)
def diagnose_cmd(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(metavar="TARGET", help="NAMESPACE/CRONJOB or NAMESPACE/JOB (or NAME with -n).")
    ],
    namespace: NamespaceOpt = None,
    memory: Annotated[
        str | None,
        typer.Option(
            help="Memory limit(s), comma-separated; 'original' keeps the CronJob's. "
            "Default: the larger of 512Mi and 4x the original limit.",
            show_default=False,
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="Runs per memory variant.")] = 1,
    image: Annotated[str | None, typer.Option(help="Try a candidate fix image.", show_default=False)] = None,
    container: Annotated[
        str | None, typer.Option(help="Container to instrument (default: every shell container).", show_default=False)
    ] = None,
    timeout: Annotated[str, typer.Option(help="Deadline per debug Job (activeDeadlineSeconds), e.g. 15m.")] = "30m",
    bundle: Annotated[
        str | None,
        typer.Option(help="Bundle directory (default ./cronjob-doctor-<ns>-<cronjob>-<UTC time>).", show_default=False),
    ] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Leave the debug Job(s) in the cluster.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the debug Job and its diff against the jobTemplate; create nothing."),
    ] = False,
    no_trace: Annotated[bool, typer.Option("--no-trace", help="Do not prepend set -x.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Run even if another diagnose of it is running.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream container logs to the terminal.")] = False,
    no_redact: Annotated[
        bool,
        typer.Option(
            "--no-redact",
            help="Keep Secret values and credentials in the terminal, bundle logs and report (redacted by default).",
        ),
    ] = False,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    from cronjob_doctor.diagnose.settings import DiagnoseSettings

    common = _common(kubeconfig, context, output, no_color, debug)
    _out, err = consoles(common)
    _install_sigterm()
    with exit_codes(err, debug=common.debug):
        kube = None
        if namespace is None and "/" not in target:
            kube = connect(common)
            namespace = kube.default_namespace
        settings = DiagnoseSettings.from_flags(
            target=target, namespace=namespace, memory=memory, runs=runs, image=image, container=container,
            timeout=timeout, bundle=bundle, keep=keep, dry_run=dry_run, trace=not no_trace, force=force,
            show_logs=not quiet, redact=not no_redact,
        )
        kube = kube or connect(common)
        code = _run_diagnose(settings, common=common, kube=kube, command=_command_line(ctx))
    raise typer.Exit(code)


DEMO_TIME_SCALE = 0.04
"""Real seconds per simulated second in `demo`: the incident's two-minute run plays in a few seconds, slow
enough to watch the trace scroll."""


@app.command(
    "demo",
    help="Run the whole diagnose flow against the built-in simulated cluster (no cluster needed): the "
    "tf-state-backup incident, at its original 128Mi limit and at 512Mi.\n\n" + EXIT_CODES_HELP,
)
def demo_cmd(
    bundle: Annotated[
        str | None, typer.Option(help="Bundle directory (default: a new temporary directory).", show_default=False)
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream container logs to the terminal.")] = False,
    output: OutputOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    import tempfile
    from pathlib import Path

    from cronjob_doctor.diagnose.settings import DiagnoseSettings
    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor_sandbox import Sandbox

    common = _common(None, None, output, no_color, debug)
    _out, err = consoles(common)
    _install_sigterm()
    with exit_codes(err, debug=common.debug):
        root = Path(tempfile.mkdtemp(prefix="cronjob-doctor-demo-"))
        with Sandbox(seed="incident", time_scale=DEMO_TIME_SCALE).start() as sandbox:
            config = sandbox.write_kubeconfig(root / "kubeconfig")
            err.print(f"simulated cluster at {sandbox.url} (kubeconfig {config})", markup=False, highlight=False)
            settings = DiagnoseSettings.from_flags(
                target="tofu-state/tf-state-backup",
                memory="original,512Mi",
                bundle=bundle or str(root / "bundle"),
                show_logs=not quiet,
            )
            kube = Kube.connect(kubeconfig=str(config))
            code = _run_diagnose(
                settings,
                common=common,
                kube=kube,
                command="cronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi",
            )
    raise typer.Exit(code)


class RecordOutputFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(
    "record",
    help="Watch CronJobs and capture every run into a bundle while it happens (pods, every log line, status "
    "changes, events), then write its verdict: the next failure keeps its evidence even after cleanup. One line "
    "per finished run on stdout (-o json: JSON lines). Bundles: BUNDLE/<namespace>/<cronjob>/<job>/. Restarts "
    "resume open runs; runs that ended while it was down are captured from what remains and marked partial.\n\n"
    "TARGET is NAMESPACE/CRONJOB; without it every CronJob in -n NAMESPACE (default: the context's) or in all "
    "namespaces (-A), filtered by --selector.\n\n"
    "--on-failure CMD runs through /bin/sh for each failed run with CRONJOB_DOCTOR_BUNDLE, _VERDICT, "
    "_VERDICT_FILE, _SUMMARY, _NAMESPACE, _CRONJOB, _JOB, _OUTCOME, _REASON, _CONFIDENCE, _PARTIAL set.\n\n"
    "Exit codes: 130 stopped by Ctrl-C/SIGTERM (open runs closed as partial, resumed at the next start); with "
    "--once/--duration 0 if no recorded run failed, 1 if one did; 2 usage error; 3 cannot reach or use the "
    "cluster at start (later outages are retried forever).",
)
def record_cmd(
    target: Annotated[
        str | None,
        typer.Argument(metavar="[TARGET]", help="NAMESPACE/CRONJOB (or NAME with -n).", show_default=False),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", "-n", help="Namespace in scope (default: the context's namespace).",
                     show_default=False),
    ] = None,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Every namespace.")] = False,
    selector: Annotated[
        str | None,
        typer.Option("--selector", "-l", help="Only CronJobs matching this label selector.", show_default=False),
    ] = None,
    bundle: Annotated[str, typer.Option("--bundle", help="Bundle root directory.")] = "cronjob-doctor-records",
    on_failure: Annotated[
        str | None,
        typer.Option("--on-failure", help="Shell command to run for each failed run.", show_default=False),
    ] = None,
    keep_last: Annotated[
        int | None,
        typer.Option("--keep-last", min=1, help="Keep the N newest bundles per CronJob.", show_default=False),
    ] = None,
    max_bytes: Annotated[
        str | None,
        typer.Option("--max-bytes", help="Size budget for the bundle root, e.g. 2Gi (oldest removed first; the "
                     "newest bundle of each CronJob is always kept).", show_default=False),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", min=0, max=65535, help="Serve Prometheus metrics on this port.",
                     show_default=False),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Exit after the first finished run is recorded.")] = False,
    no_redact: Annotated[
        bool,
        typer.Option("--no-redact", help="Keep Secret values and credentials in the bundle logs (redacted by "
                     "default; Secret values need `get secrets`, credential patterns always apply)."),
    ] = False,
    duration: Annotated[
        str | None,
        typer.Option("--duration", help="Exit after this long, e.g. 24h (open runs are closed as partial).",
                     show_default=False),
    ] = None,
    output: Annotated[
        RecordOutputFormat | None,
        typer.Option("--output", "-o", help="Line format: text or json (JSON lines).", show_default=False),
    ] = None,
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    no_color: NoColorOpt = False,
    debug: DebugOpt = False,
) -> None:
    import threading
    from pathlib import Path

    from cronjob_doctor.errors import InputError
    from cronjob_doctor.k8s.duration import parse_duration
    from cronjob_doctor.k8s.names import check_namespace, parse_target
    from cronjob_doctor.k8s.quantity import parse_bytes
    from cronjob_doctor.record import flow as record
    from cronjob_doctor.report import record as record_report

    common = _common(kubeconfig, context, None, no_color, debug)
    out, err = consoles(common)
    fmt = output.value if output else ("json" if common.output == OutputFormat.json else "text")
    _install_sigterm()
    with exit_codes(err, debug=common.debug):
        if target and all_namespaces:
            raise InputError("give NAMESPACE/CRONJOB or -A, not both")
        if target and selector:
            raise InputError("--selector filters CronJobs in a namespace; it does not apply to NAMESPACE/CRONJOB")
        if all_namespaces and namespace:
            raise InputError("give -A or -n NAMESPACE, not both")
        if namespace is not None:
            check_namespace(namespace)
        limit = parse_bytes(max_bytes) if max_bytes is not None else None
        seconds = parse_duration(duration) if duration is not None else None
        kube = connect(common)
        cronjob = None
        scope: str | None = None
        if target:
            parsed = parse_target(target, default_namespace=namespace or kube.default_namespace)
            scope, cronjob = parsed.namespace, parsed.name
        elif not all_namespaces:
            scope = namespace or kube.default_namespace
        settings = record.RecordSettings(
            namespace=scope, cronjob=cronjob, selector=selector, root=Path(bundle), on_failure=on_failure,
            keep_last=keep_last, max_bytes=limit, metrics_port=metrics_port, once=once, duration_seconds=seconds,
            redact=not no_redact,
        )

        def emit(result: record.RecordedRun) -> None:
            out.file.write(record_report.render(result, fmt) + "\n")
            out.file.flush()

        def log(message: str) -> None:
            err.print(f"record: {message}", markup=False, highlight=False, soft_wrap=True)

        outcome = record.run(settings, kube=kube, emit=emit, log=log, stop=threading.Event(),
                             environ=dict(os.environ))
    raise typer.Exit(outcome.exit_code)


def _command_line(ctx: typer.Context) -> str:
    """The command as parsed, for the report's "what ran": quoted so it pastes back, defaults left out, and
    the flags given before the command name folded in."""
    import shlex

    parts = ["cronjob-doctor", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name in ("kubeconfig", "context", "output", "no_color", "debug") and not value:
            value = _GLOBAL.get(param.name)
        if value is None or value is False or value == param.default or value == ():
            continue
        value = getattr(value, "value", value)
        if param.param_type_name == "argument":
            parts.append(shlex.quote(str(value)))
            continue
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if value is True:
            parts.append(flag)
        else:
            for item in value if isinstance(value, (list, tuple)) else [value]:
                parts += [flag, shlex.quote(str(getattr(item, "value", item)))]
    return " ".join(parts)


def main() -> None:
    """Console-script entry point (`cronjob-doctor`, `kubectl-cronjob_doctor`, `python -m cronjob_doctor`)."""
    prog = os.path.basename(sys.argv[0]) if sys.argv else "cronjob-doctor"
    name = "kubectl cronjob-doctor" if prog.startswith("kubectl-") else "cronjob-doctor"
    app(prog_name=name)
