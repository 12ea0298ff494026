"""Ready-to-apply fixes: exact `kubectl patch cronjob` commands with the equivalent YAML, Dockerfile lines that
bake runtime downloads into the image, and hardened curl flags.

Pure text builders: they never decide whether a fix is needed (the rules do) and never run anything.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from cronjob_doctor.k8s.quantity import format_bytes, round_up_mi

HEADROOM = 1.5
"""A memory limit is the measured peak times this, rounded up to 64Mi."""
CURL_HARDENING = "--retry 3 --retry-connrefused --connect-timeout 10 --max-time 300"


def target(name: str | None, namespace: str | None) -> tuple[str, str]:
    """The CronJob name and namespace to put in commands; CRONJOB and NAMESPACE, for the reader to fill in,
    when a bundle does not say (e.g. a raw kubectl dump of pods only)."""
    return name or "CRONJOB", namespace or "NAMESPACE"


def suggested_limit(peak_bytes: int | None, limit_bytes: int | None) -> str | None:
    """peak x1.5 rounded up to 64Mi; without a peak, double the current limit (to be confirmed by measuring)."""
    if peak_bytes:
        return round_up_mi(int(peak_bytes * HEADROOM))
    if limit_bytes:
        return round_up_mi(limit_bytes * 2)
    return None


def memory_limit_patch(*, name: str | None, namespace: str | None, container: str | None, limit: str) -> list[str]:
    """The strategic-merge patch (containers merge by name) and its YAML equivalent for a new memory limit."""
    cj, ns = target(name, namespace)
    cname = container or "CONTAINER"
    body = {"spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": cname, "resources": {"limits": {"memory": limit}}}]}}}}}}
    patch = (
        f"kubectl patch cronjob {cj} -n {ns} --type=strategic -p {shlex.quote(json.dumps(body, separators=(',', ':')))}"
    )
    yaml = (
        "spec.jobTemplate.spec.template.spec.containers:\n"
        f"  - name: {cname}\n"
        "    resources:\n"
        "      limits:\n"
        f"        memory: {limit}"
    )
    return [f"apply: {patch}", f"or in the manifest:\n{yaml}"]


def active_deadline_patch(*, name: str | None, namespace: str | None, seconds: int) -> list[str]:
    """A JSON patch that sets the Job's activeDeadlineSeconds, and the YAML fragment."""
    cj, ns = target(name, namespace)
    ops = [{"op": "add", "path": "/spec/jobTemplate/spec/activeDeadlineSeconds", "value": seconds}]
    patch = f"kubectl patch cronjob {cj} -n {ns} --type=json -p {shlex.quote(json.dumps(ops, separators=(',', ':')))}"
    return [f"apply: {patch}",
            f"or in the manifest:\nspec.jobTemplate.spec:\n  activeDeadlineSeconds: {seconds}"]


def history_limits_patch(*, name: str | None, namespace: str | None, failed: int = 3) -> list[str]:
    """Keep more failed Jobs (and their pods, logs and status) so the next failure leaves evidence."""
    cj, ns = target(name, namespace)
    body = {"spec": {"failedJobsHistoryLimit": failed}}
    patch = f"kubectl patch cronjob {cj} -n {ns} --type=merge -p {shlex.quote(json.dumps(body, separators=(',', ':')))}"
    return [f"keep failed Jobs for inspection: {patch}"]


def deadline_for(durations: list[float]) -> int:
    """A deadline that normal runs never hit: 3x the slowest success, at least 10 minutes, whole minutes."""
    slowest = max(durations) if durations else 0.0
    return max(600, int(-(-slowest * 3 // 60)) * 60)


_URL = re.compile(r"https?://\S+")
_APK = re.compile(r"\bapk\s+(?:--\S+\s+)*add\s+(?P<pkgs>(?:[^\s;&|]+\s*)+)")
_OUT = re.compile(r"(?:\s-o|\s-O|--output)\s*(?P<path>/\S+)|\s-\w*[oO]\s*(?P<path2>/\S+)")


def bake_into_image(*, image: str | None, commands: list[str]) -> list[str]:
    """Dockerfile lines that do the script's runtime installs and downloads once, at build time."""
    lines = [f"FROM {image or 'IMAGE'}"]
    pkgs: list[str] = []
    downloads: list[tuple[str, str]] = []
    for command in commands:
        apk = _APK.search(command)
        if apk:
            pkgs.extend(p for p in apk.group("pkgs").split() if not p.startswith("-") and p not in pkgs)
            continue
        if re.match(r"^(?:curl|wget)\b", command):
            url = _URL.search(command)
            out = _OUT.search(command)
            if url and out:
                path = out.group("path") or out.group("path2")
                binary = path.rsplit("/", 1)[-1]
                downloads.append((url.group(0).strip("'\""), binary))
    if not pkgs and not downloads:
        return []
    if pkgs:
        lines.append(f"RUN apk add --no-cache {' '.join(pkgs)}")
    for link, binary in downloads:
        lines.append(f"RUN curl -fsSL {CURL_HARDENING} -o /usr/local/bin/{binary} {link} \\\n"
                     f"    && chmod 0755 /usr/local/bin/{binary}")
    return ["bake the runtime downloads into the image (then drop them from the script):\n" + "\n".join(lines)]


def harden_curl(command: str) -> str | None:
    """The same curl command with retries and a time limit, or None if it is not a curl call or already hardened."""
    if not re.match(r"^curl\b", command) or "--max-time" in command or " -m " in command:
        return None
    return "curl " + CURL_HARDENING + command[len("curl"):]


def download_fixes(*, image: str | None, commands: list[str], failed_command: str | None) -> list[str]:
    """Remediation for runtime downloads: bake them in, else retry with a time limit, else mirror."""
    out = bake_into_image(image=image, commands=commands)
    hardened = harden_curl(failed_command) if failed_command else None
    if hardened:
        out.append(f"until then, retry with a time limit: `{hardened}`")
    elif failed_command and failed_command.startswith("wget"):
        out.append(f"until then, use curl with `{CURL_HARDENING}` instead of `{failed_command.split()[0]}`")
    else:
        out.append(f"give every download `{CURL_HARDENING}` (curl) so a slow CDN fails fast and retries")
    out.append("or serve the files from an in-cluster mirror / cache (PVC, init container, registry image)")
    return out


def egress_rule_yaml(*, namespace: str | None, port: int | None, protocol: str = "TCP",
                     cidr: str | None = None) -> str:
    """A NetworkPolicy egress rule allowing a namespace (or CIDR) and port."""
    lines = ["egress:", "  - to:"]
    if cidr:
        lines += ["      - ipBlock:", f"          cidr: {cidr}"]
    elif namespace:
        lines += ["      - namespaceSelector:", "          matchLabels:",
                  f"            kubernetes.io/metadata.name: {namespace}"]
    else:
        lines += ["      - namespaceSelector: {}"]
    if port:
        lines += ["    ports:", f"      - protocol: {protocol}", f"        port: {port}"]
    return "\n".join(lines)


def role_rule_yaml(*, verb: str, resource: str, group: str) -> str:
    """The RBAC Role rule a Forbidden message says is missing."""
    return "\n".join([
        "rules:",
        f"  - apiGroups: [\"{group}\"]",
        f"    resources: [\"{resource}\"]",
        f"    verbs: [\"{verb}\"]",
    ])


def memory_text(value: int | None) -> str:
    """Bytes as a quantity, or `unknown`."""
    return format_bytes(value) if value is not None else "unknown"


def json_compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
