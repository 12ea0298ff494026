"""Secrets handled so they leak: a Secret-backed variable expanded into a command line (visible in process
lists, /proc/PID/cmdline and `set -x` traces), and secret-looking env vars set to a literal value."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cronjob_doctor.lint.base import BaseCheck, Container, LintFinding, Severity, Workload
from cronjob_doctor.lint.shell import commands, script_of

_SECRETISH = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE)
_BUILTINS = {"echo", "printf", "export", "local", "readonly", "read", "test", "[", "[[", ":", "set", "eval"}


def _secret_vars(container: Container) -> dict[str, str]:
    """Variable name -> where its value comes from, for Secret-backed (or secret-named envFrom) variables."""
    out: dict[str, str] = {}
    for env in container.spec.get("env") or []:
        if not isinstance(env, dict) or not env.get("name"):
            continue
        ref: Any = (env.get("valueFrom") or {}).get("secretKeyRef")
        if isinstance(ref, dict):
            out[str(env["name"])] = f"Secret {ref.get('name')}"
    env_from_secret = [
        str(e["secretRef"].get("name")) for e in container.spec.get("envFrom") or []
        if isinstance(e, dict) and isinstance(e.get("secretRef"), dict)
    ]
    if env_from_secret:
        script = script_of(container)
        for name in re.findall(r"\$\{?\(?([A-Za-z_][A-Za-z0-9_]*)", script.text if script else ""):
            if _SECRETISH.search(name) and name not in out:
                out[name] = f"envFrom Secret {', '.join(env_from_secret)}"
    return out


def _expands(word: str, name: str) -> bool:
    return re.search(rf"\$(\{{{name}\b[^}}]*\}}|{name}\b|\({name}\))", word) is not None


class SecretInCommand(BaseCheck):
    id = "secret-in-command"
    severity: Severity = "warning"
    title = "Secret expanded into a command line"
    help = (
        "A Secret value passed as a program argument is readable in /proc/PID/cmdline and `ps` by anything in "
        "the pod, lands in shell traces (set -x) and in audit or crash tooling that records arguments."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            secrets = _secret_vars(container)
            script = script_of(container)
            if not secrets or script is None:
                continue
            leaks: list[str] = []
            line: int | None = None
            if script.is_shell:
                for command in commands(script.text):
                    if command.program in _BUILTINS or not command.program:
                        continue
                    names = [n for n in secrets if any(_expands(w, n) for w in command.words[1:])]
                    if names:
                        sources = sorted({secrets[n] for n in names})
                        leaks.append(
                            f"{', '.join(names)} ({'; '.join(sources)}) in `{' '.join(command.words[:3])} ...`"
                        )
                        line = line or workload.text_line(script.path, command.line)
            else:
                for name in secrets:
                    if _expands(script.text, name):
                        leaks.append(f"{name} ({secrets[name]}) as $({name})")
            if leaks:
                yield self.finding(
                    workload,
                    line=line,
                    message=f"container {container.name!r} expands secrets into command lines: "
                    f"{'; '.join(leaks)}; they show in the process list and in set -x traces",
                    path=script.path,
                    fix="let the tool read the environment or a file instead (mc: an env var "
                    "MC_HOST_<alias>=http://$(ACCESS_KEY):$(SECRET_KEY)@host built in the pod spec; aws: "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or pass it on stdin (--password-stdin)",
                )


class SecretLiteralEnv(BaseCheck):
    id = "secret-literal-env"
    severity: Severity = "warning"
    title = "Secret-looking env var with a literal value"
    help = (
        "A password or token written as env.value sits in the manifest (Git, Helm values) and is readable by "
        "anyone allowed to get the CronJob, which is a much wider group than those allowed to read Secrets."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            for index, env in enumerate(container.spec.get("env") or []):
                if not isinstance(env, dict):
                    continue
                name, value = str(env.get("name") or ""), env.get("value")
                if not _SECRETISH.search(name) or not isinstance(value, str) or not value or "$(" in value:
                    continue
                yield self.finding(
                    workload,
                    message=f"container {container.name!r}: env {name} is set to a literal value in the spec",
                    path=f"{container.path}.env[{index}].value",
                    fix=f"store it in a Secret and use env[].valueFrom.secretKeyRef for {name}",
                )
