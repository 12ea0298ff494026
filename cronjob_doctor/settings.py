"""Parsing of what users type (NS/NAME, 512Mi, 15m) and the frozen settings objects that cli.py builds.

Nothing here reads the environment or the cluster: cli.py passes everything in, flows receive the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cronjob_doctor.errors import InputError

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Target:
    """A namespaced object named on the command line."""

    namespace: str
    """Kubernetes namespace (a DNS-1123 label)."""
    name: str
    """Object name (a DNS-1123 subdomain, at most 253 characters)."""

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def check_namespace(namespace: str) -> str:
    """Return `namespace` if it is a valid DNS-1123 label, else raise InputError naming the rule broken."""
    if not namespace:
        raise InputError("namespace is empty")
    if len(namespace) > 63 or not _DNS1123_LABEL.match(namespace):
        raise InputError(
            f"invalid namespace {namespace!r}: must be a DNS-1123 label "
            "(lowercase letters, digits and '-', start and end alphanumeric, at most 63 characters)"
        )
    return namespace


def check_name(name: str, kind: str = "name") -> str:
    """Return `name` if it is a valid DNS-1123 subdomain (what CronJob and Job names are)."""
    if not name:
        raise InputError(f"{kind} is empty")
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        raise InputError(
            f"invalid {kind} {name!r}: must be a DNS-1123 name "
            "(lowercase letters, digits, '-' and '.', start and end alphanumeric)"
        )
    return name


def parse_target(text: str, *, default_namespace: str | None = None) -> Target:
    """Parse `NAMESPACE/NAME` (or a bare NAME when a default namespace is known)."""
    raw = text.strip()
    if raw.count("/") > 1:
        raise InputError(f"invalid target {text!r}: expected NAMESPACE/NAME")
    if "/" in raw:
        namespace, name = raw.split("/", 1)
        if namespace.lower() in ("cronjob", "cronjobs", "cronjob.batch", "cj", "job", "jobs", "job.batch"):
            raise InputError(
                f"invalid target {text!r}: expected NAMESPACE/NAME, not KIND/NAME",
                hint=f"name the namespace: cronjob-doctor ... <namespace>/{name} or -n <namespace> {name}",
            )
    elif default_namespace:
        namespace, name = default_namespace, raw
    else:
        raise InputError(f"invalid target {text!r}: expected NAMESPACE/NAME", hint="or give -n NAMESPACE NAME")
    return Target(check_namespace(namespace), check_name(name))


_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$")
_FACTORS = {
    None: 1,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
}


def parse_bytes(quantity: str) -> int:
    """Parse a Kubernetes memory quantity (`128Mi`, `1G`, `134217728`, `1e9`) into bytes."""
    text = str(quantity).strip()
    sci = re.match(r"^([0-9]+(?:\.[0-9]+)?)[eE]([0-9]+)$", text)
    if sci:
        return int(float(sci.group(1)) * 10 ** int(sci.group(2)))
    match = _QUANTITY.match(text)
    if not match:
        raise InputError(f"invalid memory size {quantity!r}: expected a Kubernetes quantity such as 512Mi or 1Gi")
    number, suffix = match.groups()
    if suffix == "m":  # milli-bytes: legal in the API, absurd for memory, round up like the kubelet
        return max(1, int(float(number) / 1000 + 0.999))
    return int(float(number) * _FACTORS[suffix])


def format_bytes(value: int) -> str:
    """Render bytes as the shortest exact binary quantity (`512Mi`), else MiB with one decimal."""
    for suffix, factor in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if value >= factor and value % factor == 0:
            return f"{value // factor}{suffix}"
    if value >= 1024**2:
        return f"{value / 1024**2:.1f}Mi"
    if value >= 1024:
        return f"{value / 1024:.1f}Ki"
    return f"{value}"


def round_up_mi(value: int, *, step_mi: int = 64) -> str:
    """Round bytes up to a multiple of `step_mi` MiB and render it as a quantity (limits people would set)."""
    step = step_mi * 1024**2
    return format_bytes(max(step, -(-value // step) * step))


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: str) -> float:
    """Parse `90`, `90s`, `15m`, `1h30m`, `2d` into seconds."""
    raw = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return float(raw)
    pos, total = 0, 0.0
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    if pos != len(raw) or not raw:
        raise InputError(f"invalid duration {text!r}: expected e.g. 90s, 15m, 1h30m")
    return total


def format_duration(seconds: float | None) -> str:
    """Render seconds as `2d6h`, `6h0m`, `3m12s`, `4.2s`."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    return f"{minutes}m{secs}s"


MAX_RUNS = 20
MAX_MEMORY_BYTES = 64 * 1024**3
MIN_MEMORY_BYTES = 4 * 1024**2
MAX_TIMEOUT_SECONDS = 7 * 86400


def parse_memory_list(text: str | None) -> tuple[str, ...]:
    """`--memory original,512Mi` -> ("original", "512Mi"); sizes are validated now, resolved against the
    CronJob's limit later. Empty means the default (the larger of 512Mi and 4x the original limit)."""
    if text is None or not text.strip():
        return ()
    values: list[str] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            raise InputError(f"invalid --memory {text!r}: empty item")
        if item.lower() == "original":
            item = "original"
        else:
            size = parse_bytes(item)
            if size < MIN_MEMORY_BYTES or size > MAX_MEMORY_BYTES:
                raise InputError(
                    f"invalid --memory {item!r}: must be between {format_bytes(MIN_MEMORY_BYTES)} "
                    f"and {format_bytes(MAX_MEMORY_BYTES)}"
                )
        if item in values:
            raise InputError(f"invalid --memory {text!r}: {item} given twice")
        values.append(item)
    return tuple(values)


@dataclass(frozen=True)
class DiagnoseSettings:
    """Everything `diagnose` needs, parsed and validated before the cluster is touched."""

    target: Target
    """The CronJob, or a Job of it (resolved by ownerReference)."""
    memory: tuple[str, ...] = ()
    """Memory variants: "original" or quantities; empty = the default raised limit."""
    runs: int = 1
    """Runs per variant."""
    image: str | None = None
    """Candidate fix image for the instrumented container."""
    container: str | None = None
    """The container to instrument (default: every shell container)."""
    timeout_seconds: int = 1800
    """activeDeadlineSeconds of each debug Job; the tool stops following a little after it."""
    bundle: str | None = None
    """Bundle root directory (default ./cronjob-doctor-<ns>-<cronjob>-<UTC time>)."""
    keep: bool = False
    """Leave the debug Jobs in the cluster."""
    dry_run: bool = False
    """Print the debug Job and its diff; create nothing."""
    trace: bool = True
    """Prepend `set -x` to shell scripts."""
    force: bool = False
    """Run even if another diagnose of this CronJob is running."""
    show_logs: bool = True
    """Stream container logs to the terminal (stderr) as they arrive."""
    redact: bool = True
    """Redact Secret values and credential patterns in the terminal, the bundle logs and the report."""

    @classmethod
    def from_flags(
        cls,
        *,
        target: str,
        namespace: str | None = None,
        memory: str | None = None,
        runs: int = 1,
        image: str | None = None,
        container: str | None = None,
        timeout: str = "30m",
        bundle: str | None = None,
        keep: bool = False,
        dry_run: bool = False,
        trace: bool = True,
        force: bool = False,
        show_logs: bool = True,
        redact: bool = True,
    ) -> "DiagnoseSettings":
        if runs < 1 or runs > MAX_RUNS:
            raise InputError(f"invalid --runs {runs}: must be between 1 and {MAX_RUNS}")
        seconds = parse_duration(timeout)
        if seconds < 1 or seconds > MAX_TIMEOUT_SECONDS:
            raise InputError(f"invalid --timeout {timeout!r}: must be between 1s and 7d")
        if image is not None and (not image.strip() or any(ch.isspace() for ch in image)):
            raise InputError(f"invalid --image {image!r}")
        if container is not None:
            check_name(container, "container name")
        return cls(
            target=parse_target(target, default_namespace=namespace),
            memory=parse_memory_list(memory),
            runs=runs,
            image=image,
            container=container,
            timeout_seconds=int(seconds),
            bundle=bundle,
            keep=keep,
            dry_run=dry_run,
            trace=trace,
            force=force,
            show_logs=show_logs,
            redact=redact,
        )
