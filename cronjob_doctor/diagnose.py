"""The `diagnose` flow: resolve the CronJob, check permissions, keep earlier evidence, run the debug Job(s)
instrumented, follow them into bundles, judge, and always clean up what we created.

The CronJob is only ever read. Every delete goes through kube.delete_job, which checks the managed-by label.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor import debugjob, preflight
from cronjob_doctor.capture.follow import Capture, JobFollower, job_finished
from cronjob_doctor.capture.snapshot import snapshot
from cronjob_doctor.debugjob import DebugJob, Variant
from cronjob_doctor.errors import Conflict, DoctorError, InputError, NotFound
from cronjob_doctor.rules.base import Run, Verdict
from cronjob_doctor.settings import DiagnoseSettings, format_bytes, parse_bytes

DEFAULT_RAISED = 512 * 1024**2


@dataclass
class Outcome:
    """What diagnose produced: a verdict (None for --dry-run) and the text to print for a dry run."""

    verdict: Verdict | None
    dry_run_text: str | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code if self.verdict else 0


@dataclass
class _Planned:
    variant: Variant
    index: int
    debug: DebugJob
    directory: Path
    created: bool = False
    capture: Capture | None = None
    error: str | None = None


@dataclass
class Hooks:
    """How the flow talks to the terminal while it runs (a LiveView in the CLI, nothing in tests)."""

    header: Callable[[str, str, list[str]], None] = lambda target, variant, changes: None
    phase: Callable[[str, str], None] = lambda pod, phase: None
    log_line: Callable[[str, str, str, str], None] = lambda pod, container, ts, text: None
    note: Callable[[str], None] = lambda text: None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_cronjob(kube: Any, namespace: str, name: str) -> dict[str, Any]:
    """The CronJob named, or the CronJob owning the Job named (the alert names the failed Job)."""
    try:
        return dict(kube.get_cronjob(namespace, name))
    except NotFound as missing:
        try:
            job = kube.get_job(namespace, name)
        except NotFound:
            raise missing from None
        owners = [r for r in (job.get("metadata") or {}).get("ownerReferences") or [] if r.get("kind") == "CronJob"]
        if not owners:
            raise InputError(
                f"job {namespace}/{name} was not created by a CronJob (no CronJob ownerReference)",
                hint="diagnose takes a CronJob or a Job that a CronJob created",
            ) from None
        return dict(kube.get_cronjob(namespace, owners[0]["name"]))


def _instrumented_container(cronjob: dict[str, Any], container: str | None) -> dict[str, Any]:
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    for item in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if container is None or item.get("name") == container:
            return dict(item)
    return {}


def original_limit_bytes(cronjob: dict[str, Any], container: str | None) -> int | None:
    limit = ((_instrumented_container(cronjob, container).get("resources") or {}).get("limits") or {}).get("memory")
    try:
        return parse_bytes(str(limit)) if limit is not None else None
    except InputError:
        return None


def variants(settings: DiagnoseSettings, original: int | None) -> list[Variant]:
    """Resolve `--memory`: default is the larger of 512Mi and 4x the original limit."""
    wanted = settings.memory or (format_bytes(max(DEFAULT_RAISED, 4 * original) if original else DEFAULT_RAISED),)
    out = []
    for item in wanted:
        if item == "original":
            label = f"original ({format_bytes(original)})" if original else "original (no limit)"
            out.append(Variant(label, None, settings.image))
        else:
            out.append(Variant(item, parse_bytes(item), settings.image))
    return out


def _run_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def plan(settings: DiagnoseSettings, cronjob: dict[str, Any], root: Path) -> list[_Planned]:
    """One debug Job per variant and run, each with its own bundle directory."""
    original = original_limit_bytes(cronjob, settings.container)
    chosen = variants(settings, original)
    several = len(chosen) * settings.runs > 1
    planned = []
    for variant in chosen:
        for index in range(1, settings.runs + 1):
            debug = debugjob.build(
                cronjob,
                variant=variant,
                run_id=_run_id(),
                timeout_seconds=settings.timeout_seconds,
                container=settings.container,
                trace=settings.trace,
            )
            slug = variant.name.split(" ")[0]
            directory = root / f"{slug}-run{index}" if several else root
            planned.append(_Planned(variant, index, debug, directory))
    return planned


def dry_run(settings: DiagnoseSettings, kube: Any) -> Outcome:
    cronjob = resolve_cronjob(kube, settings.target.namespace, settings.target.name)
    parts = []
    for item in plan(settings, cronjob, Path(".")):
        parts.append(f"# variant {item.variant.name}, run {item.index}: {item.debug.name}\n")
        parts.extend(f"# warning: {w}\n" for w in item.debug.warnings)
        parts.append(debugjob.to_yaml(item.debug.manifest))
        parts.append("---\n# diff against the CronJob's jobTemplate\n")
        parts.append(debugjob.diff(cronjob, item.debug))
    return Outcome(None, "".join(parts))


def _refuse_concurrent(kube: Any, namespace: str, name: str) -> None:
    selector = f"{debugjob.MANAGED_BY_KEY}={debugjob.MANAGED_BY},{debugjob.SOURCE_LABEL}={name[:63]}"
    running = [j["metadata"]["name"] for j in kube.list_jobs(namespace, label_selector=selector) if not job_finished(j)]
    if running:
        raise Conflict(
            f"another diagnose of cronjob {namespace}/{name} is running: job {', '.join(running)}",
            hint="wait for it, or run anyway with --force",
        )


def run(
    settings: DiagnoseSettings,
    *,
    kube: Any,
    hooks: Hooks,
    now: datetime,
    command: str,
    stop: threading.Event | None = None,
) -> Outcome:
    """The whole flow; raises DoctorError subclasses, returns the verdict otherwise."""
    if settings.dry_run:
        return dry_run(settings, kube)
    from cronjob_doctor.rules.engine import analyze_runs

    stop = stop or threading.Event()
    namespace = settings.target.namespace
    cronjob = resolve_cronjob(kube, namespace, settings.target.name)
    name = cronjob["metadata"]["name"]
    missing_optional = preflight.check(kube, namespace)
    if not settings.force:
        _refuse_concurrent(kube, namespace, name)
    root = Path(settings.bundle) if settings.bundle else bundle_io.default_bundle_dir(namespace, name, now)
    bundle_io.make_private_dir(root)
    bundle_io.write_json(root, "cronjob.json", cronjob)
    notes = [f"not allowed to {p} in {namespace}: that evidence is skipped" for p in missing_optional]
    notes += snapshot(kube, cronjob=cronjob, root=root)
    if not missing_optional:
        try:
            policies = kube.list_networkpolicies(namespace)
            bundle_io.write_json(
                root, "networkpolicies.json", {"apiVersion": "networking.k8s.io/v1", "kind": "List", "items": policies}
            )
        except DoctorError as exc:
            notes.append(f"networkpolicies unavailable: {exc}")
    planned = plan(settings, cronjob, root)
    original = original_limit_bytes(cronjob, settings.container)
    for item in planned:
        for warning in item.debug.warnings:
            hooks.note(f"warning: {warning}")
    cleanup = ""
    try:
        _run_all(kube, planned, settings=settings, hooks=hooks, stop=stop, target=f"{namespace}/{name}")
    finally:
        cleanup = _cleanup(kube, namespace, planned, keep=settings.keep, hooks=hooks)
    runs_and_bundles = []
    for item in planned:
        run_ = _to_run(item, original)
        if item.capture is not None:
            bundle_io.write_json(item.directory, "meta.json", _meta(item, cronjob, original))
            runs_and_bundles.append((run_, bundle_io.read(item.directory)))
    verdict = analyze_runs(runs_and_bundles, original_limit_bytes=original)
    for item in planned:
        if item.error:
            notes.append(f"{item.debug.name}: {item.error}")
        if item.capture:
            notes.extend(f"{item.debug.name}: {n}" for n in item.capture.notes)
    verdict = _with_context(
        verdict,
        notes=notes,
        context={
            "target": f"{namespace}/{name}",
            "command": command,
            "context": getattr(kube, "context", None),
            "bundle": str(root),
            "changes": planned[0].debug.changes if planned else [],
            "cleanup": cleanup,
            "original_memory_limit": format_bytes(original) if original else None,
        },
    )
    bundle_io.write_json(root, "verdict.json", verdict.to_dict())
    return Outcome(verdict)


def _run_all(
    kube: Any, planned: list[_Planned], *, settings: DiagnoseSettings, hooks: Hooks, stop: threading.Event, target: str
) -> None:
    """Create every debug Job, then follow them side by side; Ctrl-C sets `stop` and the caller cleans up."""
    for item in planned:
        hooks.header(target, f"{item.variant.name} (run {item.index}/{settings.runs})", item.debug.changes)
        kube.create_job(item.debug.manifest["metadata"]["namespace"], item.debug.manifest)
        item.created = True
        hooks.note(f"created job {item.debug.name}")
    deadline = time.monotonic() + settings.timeout_seconds + 120

    def follow(item: _Planned) -> None:
        follower = JobFollower(
            kube,
            namespace=settings.target.namespace,
            job_name=item.debug.name,
            bundle_dir=item.directory,
            stop=stop,
            on_line=hooks.log_line if settings.show_logs else None,
            on_phase=hooks.phase,
            poll_metrics=not item.debug.instrumented,
        )
        try:
            item.capture = follower.run(deadline=deadline)
        except DoctorError as exc:
            item.error = str(exc)
            item.capture = follower.capture

    threads = [threading.Thread(target=follow, args=(item,), daemon=True) for item in planned]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.2)
    except BaseException:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        raise


def _cleanup(kube: Any, namespace: str, planned: list[_Planned], *, keep: bool, hooks: Hooks) -> str:
    created = [item.debug.name for item in planned if item.created]
    if not created:
        return "nothing was created"
    if keep:
        return f"kept (--keep): remove with kubectl delete job -n {namespace} {' '.join(created)}"
    deleted, failed = [], []
    for job in created:
        try:
            kube.delete_job(namespace, job)
            deleted.append(job)
        except DoctorError as exc:
            failed.append(f"{job} ({exc})")
    if failed:
        text = (
            f"could not delete {', '.join(failed)}; remove with: kubectl delete job -n {namespace} "
            + " ".join(f.split(" ")[0] for f in failed)
        )
        hooks.note(text)
        return text
    return f"deleted job {', '.join(deleted)} and its pods"


def _main_container(item: _Planned, pod: dict[str, Any]) -> dict[str, Any] | None:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    wanted = item.debug.instrumented[0] if item.debug.instrumented else None
    for status in statuses:
        if wanted is None or status.get("name") == wanted:
            return dict(status)
    return None


def _to_run(item: _Planned, original: int | None) -> Run:
    capture = item.capture or Capture()
    job = capture.job or {}
    finished = job_finished(job)
    outcome = {"Complete": "succeeded", "Failed": "failed"}.get(finished or "", "unknown")
    reason = None
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") == "Failed" and condition.get("status") == "True":
            reason = condition.get("reason")
    exit_code = None
    for pod in capture.pods.values():
        status = _main_container(item, pod)
        if not status:
            continue
        state = status.get("state") or {}
        terminated = state.get("terminated") or (status.get("lastState") or {}).get("terminated")
        waiting = state.get("waiting") or {}
        if terminated:
            exit_code = terminated.get("exitCode")
            if terminated.get("reason") not in (None, "Completed"):
                reason = terminated.get("reason")
        elif waiting.get("reason") and outcome != "succeeded":
            reason = waiting.get("reason")
    status = job.get("status") or {}
    duration = capture.ended - capture.started
    start, end = status.get("startTime"), status.get("completionTime")
    if not end:
        end = next(
            (c.get("lastTransitionTime") for c in status.get("conditions") or [] if c.get("type") in ("Failed",)),
            None,
        )
    if start and end:
        try:
            duration = (_parse_time(end) - _parse_time(start)).total_seconds()
        except ValueError:
            pass
    limit = item.variant.memory_bytes if item.variant.memory_bytes is not None else original
    return Run(
        job=item.debug.name,
        variant=item.variant.name,
        memory_limit=format_bytes(limit) if limit else None,
        outcome=outcome,
        reason=reason,
        exit_code=exit_code,
        peak_memory_bytes=capture.peak_memory_bytes,
        duration_seconds=max(0.0, duration),
        bundle=str(item.directory),
    )


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _meta(item: _Planned, cronjob: dict[str, Any], original: int | None) -> dict[str, Any]:
    capture = item.capture or Capture()
    return {
        "tool": "cronjob-doctor",
        "source_cronjob": f"{cronjob['metadata']['namespace']}/{cronjob['metadata']['name']}",
        "job": item.debug.name,
        "variant": item.variant.name,
        "run": item.index,
        "memory_limit_bytes": item.variant.memory_bytes if item.variant.memory_bytes is not None else original,
        "original_limits": item.debug.original_limits,
        "changes": item.debug.changes,
        "instrumented": item.debug.instrumented,
        "peak_memory_bytes": capture.peak_memory_bytes,
        "partial": capture.partial,
        "notes": capture.notes,
    }


def _with_context(verdict: Verdict, *, notes: list[str], context: dict[str, Any]) -> Verdict:
    from dataclasses import replace

    return replace(verdict, notes=tuple(verdict.notes) + tuple(notes), context={**verdict.context, **context})
