"""Memory: no limit or request, a limit below what the script downloads, and tmpfs emptyDirs that count
against the limit.

The download estimate (documented in every message) is a conservative sum, as if the steps overlapped:
  shell and runtime (16Mi) + the heaviest package manager's index parsing (apk ~40Mi, apt ~64Mi)
  + every known binary written to disk (its page cache is charged to the container's memory cgroup; on a
    tmpfs emptyDir it cannot be reclaimed at all) + the working set of the heaviest downloaded tool running.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes, round_up_mi
from cronjob_doctor.lint.base import (
    BaseCheck,
    Container,
    LintFinding,
    Severity,
    Workload,
    memory_limit,
    memory_request,
)
from cronjob_doctor.lint.downloads import PACKAGE_MANAGERS_MIB, Tool, fetches, installs

BASE_MIB = 16
"""The shell, libc and the container runtime's share, before any step runs."""
_MIB = 1024**2
_MB = 1000**2


def _bytes(quantity: Any) -> int | None:
    try:
        return parse_bytes(str(quantity))
    except InputError:
        return None


def _mi(value: float) -> str:
    return f"~{round(value / _MIB)}Mi"


class MemoryLimitMissing(BaseCheck):
    id = "memory-limit-missing"
    severity: Severity = "warning"
    title = "No memory limit"
    help = (
        "Without a memory limit a runaway run can take the node's memory (node-level OOM kills other pods); "
        "without a request too the pod is BestEffort, the first evicted under pressure."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            if memory_limit(container) is not None:
                continue
            best_effort = memory_request(container) is None
            extra = " nor request: the pod is BestEffort, evicted first under node pressure" if best_effort else ""
            yield self.finding(
                workload,
                message=f"container {container.name!r} has no memory limit{extra}",
                path=f"{container.path}.resources.limits.memory",
                fix="set resources.requests.memory and resources.limits.memory from a measured peak "
                "(cronjob-doctor diagnose reports it)",
            )


def _tmpfs_dirs(workload: Workload, container: Container) -> list[str]:
    memory_volumes = {
        v.get("name")
        for v in workload.pod_spec.get("volumes") or []
        if isinstance(v, dict) and isinstance(v.get("emptyDir"), dict) and v["emptyDir"].get("medium") == "Memory"
    }
    return [
        str(m.get("mountPath"))
        for m in container.spec.get("volumeMounts") or []
        if isinstance(m, dict) and m.get("name") in memory_volumes and m.get("mountPath")
    ]


def estimate(workload: Workload, container: Container) -> tuple[int, str] | None:
    """Estimated peak bytes of the container's script and how it was reached; None when nothing is known."""
    known = [(f, f.tool) for f in fetches(container) if f.tool and f.output]
    managers = sorted({i.manager for i in installs(container)}, key=lambda m: -PACKAGE_MANAGERS_MIB[m])
    if not known and not managers:
        return None
    tools: list[Tool] = [t for _f, t in known if t]
    downloaded = sum(t.download_mb for t in tools) * _MB
    manager_bytes = PACKAGE_MANAGERS_MIB[managers[0]] * _MIB if managers else 0
    heaviest = max(tools, key=lambda t: t.rss_mib) if tools else None
    running = heaviest.rss_mib * _MIB if heaviest else 0
    peak = BASE_MIB * _MIB + manager_bytes + downloaded + running
    tmpfs = _tmpfs_dirs(workload, container)
    parts = []
    if tools:
        where = sorted({(f.output or "").rsplit("/", 1)[0] or "." for f, _t in known})
        into = ", ".join(where)
        on_tmpfs = any(any((f.output or "").startswith(d.rstrip("/") + "/") for d in tmpfs) for f, _t in known)
        names = ", ".join(f"{t.name} ~{t.download_mb}MB" for t in tools)
        parts.append(
            f"downloads ~{sum(t.download_mb for t in tools)}MB ({names}) into {into}"
            + (" (tmpfs: never reclaimed)" if on_tmpfs else " (page cache charged to the container)")
        )
    how = []
    if managers:
        how.append(f"{managers[0]} index parsing (~{PACKAGE_MANAGERS_MIB[managers[0]]}Mi)")
    if heaviest:
        how.append(f"{heaviest.name} running (~{heaviest.rss_mib}Mi)")
    how.append(f"the shell (~{BASE_MIB}Mi)")
    listed = ", ".join(how[:-1]) + f" and {how[-1]}" if len(how) > 1 else how[0]
    text = "; ".join(parts)
    text = (text + "; with " if text else "with ") + listed + f", the estimated peak is {_mi(peak)}"
    return peak, text


class MemoryBelowDownloads(BaseCheck):
    id = "memory-below-downloads"
    severity: Severity = "error"
    title = "Memory limit below what the script downloads"
    help = (
        "Package index parsing, downloaded binaries (their page cache is charged to the container's memory "
        "cgroup, and on a tmpfs emptyDir it cannot be reclaimed) and the tools running add up past the limit: "
        "the container is OOMKilled (exit 137), often intermittently."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for container in workload.containers():
            limit = _bytes(memory_limit(container))
            result = estimate(workload, container)
            if limit is None or result is None:
                continue
            peak, text = result
            if peak > limit:
                severity: Severity = "error"
                verdict = f"above the {format_bytes(limit)} limit"
            elif peak > 0.75 * limit:
                severity = "warning"
                verdict = f"within 25% of the {format_bytes(limit)} limit"
            else:
                continue
            target = f"{workload.namespace}/{workload.name}" if workload.namespace else f"-n NS {workload.name}"
            yield self.finding(
                workload,
                message=f"container {container.name!r} {text}, {verdict}",
                path=f"{container.path}.resources.limits.memory",
                severity=severity,
                fix=f"bake the tools into the image; or raise limits.memory to at least "
                f"{round_up_mi(int(peak * 1.25))}, and measure the peak: "
                f"cronjob-doctor diagnose {target} --memory 512Mi",
            )


class MemoryTmpfs(BaseCheck):
    id = "memory-tmpfs"
    severity: Severity = "warning"
    title = "emptyDir with medium: Memory counts against the memory limit"
    help = (
        "An emptyDir with medium: Memory is a tmpfs: every byte written to it is charged to the pod's memory "
        "cgroup and cannot be reclaimed, so large files there end in OOMKilled."
    )

    def check(self, workload: Workload) -> Iterable[LintFinding]:
        for index, volume in enumerate(workload.pod_spec.get("volumes") or []):
            if not isinstance(volume, dict) or not isinstance(volume.get("emptyDir"), dict):
                continue
            empty_dir = volume["emptyDir"]
            if empty_dir.get("medium") != "Memory":
                continue
            name = volume.get("name")
            users = [
                f"{c.name} at {m.get('mountPath')}"
                for c in workload.containers()
                for m in c.spec.get("volumeMounts") or []
                if isinstance(m, dict) and m.get("name") == name
            ]
            limits = sorted({str(memory_limit(c)) for c in workload.containers() if memory_limit(c) is not None})
            size = empty_dir.get("sizeLimit")
            yield self.finding(
                workload,
                message=f"emptyDir {name!r} is tmpfs (medium: Memory), mounted by "
                f"{', '.join(users) or 'no container'}: files written there count against the memory limit "
                f"({', '.join(limits) or 'none set'})"
                + ("" if size else " and it has no sizeLimit"),
                path=f"{workload.pod_path}.volumes[{index}].emptyDir.medium",
                fix="drop medium: Memory (use the node's disk) unless the data must never touch disk; otherwise "
                "set emptyDir.sizeLimit and add it to limits.memory",
            )
