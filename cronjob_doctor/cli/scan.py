"""`cronjob-doctor scan [-A | -n NS]`: triage of every CronJob in scope, worst first."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from cronjob_doctor.cli import common as cli_common
from cronjob_doctor.cli.app import app
from cronjob_doctor.cli.common import Common, command, consoles
from cronjob_doctor.errors import InputError

HELP = (
    "Triage every CronJob in scope, worst first: last schedule, last success, last outcome and reason, failure "
    "streak, failed runs whose evidence is lost, suspension, lint errors, debug Jobs left by a diagnose that "
    "died. Three list calls however many CronJobs there are.\n\n"
    "Exit codes: 0 no CronJob in scope is failing; 1 at least one is failing now (its latest finished run "
    "failed); 2 usage error; 3 cannot reach or use the cluster; 70 internal error."
)


@command(app, "scan", help=HELP, formats=("text", "json", "yaml", "markdown"))
def scan_cmd(
    common: Common,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A", help="Scan every namespace.")] = False,
    failing: Annotated[bool, typer.Option("--failing", help="Show only the CronJobs failing now.")] = False,
) -> int:
    from cronjob_doctor import report
    from cronjob_doctor.k8s.names import check_namespace
    from cronjob_doctor.scan import flow

    out, err = consoles(common)
    if all_namespaces and common.namespace:
        raise InputError("give -A or -n NAMESPACE, not both")
    if common.namespace is not None:
        check_namespace(common.namespace)
    kube = cli_common.connect(common)
    scope = None if all_namespaces else (common.namespace or kube.default_namespace)
    result = flow.run(flow.ScanSettings(namespace=scope, only_failing=failing), kube=kube)
    if scope is not None and result.total == 0:
        # An empty answer must not read as "all healthy": say where we looked and where to look instead.
        from cronjob_doctor.resolve import namespace_suggestion

        whose = "" if common.namespace else " (the context's namespace)"
        hint = namespace_suggestion(kube, scope) or "scan every namespace: cronjob-doctor scan -A"
        result = replace(result, notes=(*result.notes, f"no CronJobs in namespace {scope}{whose}; {hint}"))
        err.print(f"note: no CronJobs in namespace {scope}{whose}", markup=False, highlight=False)
        err.print(f"hint: {hint}", markup=False, highlight=False)
    result = replace(result, command=common.command)
    report.write(out, result, fmt=common.output or "text")
    return result.exit_code
