"""Shell scripts that keep going after a failed step: no `set -e` in a multi-step script, no `set -o pipefail`
where a pipe hides the first command's failure."""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.lint.base import BaseCheck, LintFinding, Severity, Workload
from cronjob_doctor.lint.shell import has_pipe, script_of, sets_option, steps


class ScriptNoErrexit(BaseCheck):
    id = "script-no-errexit"
    severity: Severity = "warning"
    title = "Multi-step script without set -e"
    help = (
        "Without set -e a failed step is ignored and the next one runs on missing input: the run may exit 0 "
        "after a failed download or export, and the backup is silently empty."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            script = script_of(container)
            if script is None or not script.is_shell or steps(script.text) < 2:
                continue
            if sets_option(script, short="e", long="errexit"):
                continue
            yield self.finding(
                workload,
                message=f"container {container.name!r} runs a {steps(script.text)}-step shell script without "
                "set -e: a failed step does not stop the script, and its exit code may still be 0",
                path=script.path,
                fix="start the script with `set -eu` (and `set -o pipefail` where the shell has it), or chain "
                "the steps with &&",
            )


class ScriptNoPipefail(BaseCheck):
    id = "script-no-pipefail"
    severity: Severity = "warning"
    title = "Pipe without set -o pipefail"
    help = (
        "A pipeline's status is its last command's: `kubectl get ... | gzip > x` succeeds when kubectl fails, "
        "even under set -e."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            script = script_of(container)
            if script is None or not script.is_shell or not has_pipe(script.text):
                continue
            if sets_option(script, short="", long="pipefail"):
                continue
            yield self.finding(
                workload,
                message=f"container {container.name!r} pipes commands without set -o pipefail: a failure on "
                "the left of a pipe is lost",
                path=script.path,
                fix="add `set -o pipefail` (bash, busybox ash; not dash: use bash there)",
            )
