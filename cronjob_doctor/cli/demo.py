"""`cronjob-doctor demo`: the whole diagnose flow against the built-in simulated cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import Common, command, consoles, install_sigterm

DEMO_TIME_SCALE = 0.04
"""Real seconds per simulated second: the incident's two-minute run plays in a few seconds, slow enough to
watch the trace scroll."""

HELP = (
    "Run the whole diagnose flow against the built-in simulated cluster (no cluster needed): the "
    "tf-state-backup incident, at its original 128Mi limit and at 512Mi. Its report shows the `oom` verdict "
    "that diagnose found.\n\n"
    "Exit codes: 0 the demo ran as designed (its diagnose found the incident's oom); 1 the demo's diagnose "
    "gave another verdict; 2 usage error; 70 internal error; 130 interrupted."
)
EXPECTED = "oom"
"""What the incident's diagnose finds; anything else means the demo did not run as designed."""


@command(app, "demo", help=HELP, formats=("text", "json", "yaml", "markdown"), cluster=False)
def demo_cmd(
    common: Common,
    bundle: Annotated[
        str | None, typer.Option(metavar="DIR", show_default=False,
                                 help="Bundle directory (default: a new temporary directory).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream container logs to the terminal.")] = False,
) -> int:
    import tempfile
    from pathlib import Path

    from cronjob_doctor.cli.diagnose import run_diagnose
    from cronjob_doctor.diagnose.settings import DiagnoseSettings
    from cronjob_doctor.kube.client import Kube
    from cronjob_doctor_sandbox import Sandbox

    _out, err = consoles(common)
    install_sigterm()
    root = Path(tempfile.mkdtemp(prefix="cronjob-doctor-demo-"))
    with Sandbox(seed="incident", time_scale=DEMO_TIME_SCALE).start() as sandbox:
        config = sandbox.write_kubeconfig(root / "kubeconfig")
        err.print(f"simulated cluster at {sandbox.url} (kubeconfig {config})", markup=False, highlight=False,
                  soft_wrap=True)
        settings = DiagnoseSettings.from_flags(
            target="tofu-state/tf-state-backup", memory="original,512Mi", bundle=bundle or str(root / "bundle"),
            show_logs=not quiet,
        )
        outcome = run_diagnose(
            settings, common=common, kube=Kube.connect(kubeconfig=str(config)),
            command_text="cronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi",
        )
    # The demo exists to show a diagnosis: finding the incident's OOM is the demo working as designed.
    found = outcome.verdict.verdict if outcome.verdict is not None else None
    if found == EXPECTED:
        err.print(f"demo: found `{EXPECTED}` as designed, so it exits 0 (diagnose itself exits 1 when it finds a "
                  "failure)", markup=False, highlight=False)
        written = outcome.verdict.context.get("bundle") if outcome.verdict is not None else None
        if written:
            err.print(f"next: cronjob-doctor analyze {written}", markup=False, highlight=False, soft_wrap=True)
        return 0
    return 1
