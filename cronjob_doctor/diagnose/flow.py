"""The `diagnose` flow: resolve the CronJob, check permissions, keep earlier evidence, run the debug Job(s)
instrumented, follow them into bundles, judge, and always clean up what we created.

The CronJob is only ever read. Every delete goes through kube.delete_job, which checks the managed-by label.
Interrupted (Ctrl-C, SIGTERM) or cut off from the API, it still cleans up, says what is left in the cluster,
and leaves a readable bundle marked partial (partial.json). Secret values are read only to redact them.
"""

from __future__ import annotations

import contextlib
import secrets
import string
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.capture import state as capture_state
from cronjob_doctor.capture.completeness import INCOMPLETE_EXIT_CODE, LogGap, partial_verdict
from cronjob_doctor.capture.follow import Capture, JobFollower
from cronjob_doctor.capture.heartbeat import KEEP_ANNOTATION, Session
from cronjob_doctor.capture.secrets import redactor_for, split_value_notes
from cronjob_doctor.capture.snapshot import snapshot
from cronjob_doctor.debugjob import build as debugjob
from cronjob_doctor.debugjob.build import DebugJob, Variant
from cronjob_doctor.diagnose import adopt, preflight
from cronjob_doctor.diagnose.lock import Host, LeaseLock
from cronjob_doctor.diagnose.model import DryRun, PlannedJob
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.errors import ClusterError, Conflict, DoctorError, InputError, Interrupted, NotFound
from cronjob_doctor.k8s import schedule as schedlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.managed import RUN_ID_LABEL
from cronjob_doctor.redact import Redactor
from cronjob_doctor.resolve import resolve_cronjob
from cronjob_doctor.rules.base import DebugRun, Verdict
from cronjob_doctor.rules.debug_runs import debug_run
from cronjob_doctor.scan.left import LeftJob

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

DEFAULT_RAISED = 512 * 1024**2
OUTAGE_RETRY_BUDGETS = 3
"""How long diagnose waits out an unreachable API server mid-run, in retry budgets of the client (3 x 30 s by
default: a restart takes seconds to a minute) before it reports the cluster lost, cleans up what it can and
says what is left."""
PARTIAL_FILE = "partial.json"
"""Written at the bundle root when diagnose did not finish: why, at which phase, and what is left in the cluster."""
_NAME_ATTEMPTS = 3
"""Fresh run ids tried when a debug Job's name is already taken (by someone else's Job)."""


@dataclass
class Outcome:
    """What diagnose produced: a verdict, or (--dry-run) the debug Jobs it would create."""

    verdict: Verdict | None
    dry_run: DryRun | None = None
    partial: bool = False
    """Some evidence could not be captured (a log not read to its end): exit INCOMPLETE_EXIT_CODE, never 0."""

    @property
    def exit_code(self) -> int:
        if self.verdict is not None and self.partial:
            return INCOMPLETE_EXIT_CODE
        return self.verdict.exit_code if self.verdict else 0


@dataclass
class _Planned:
    variant: Variant
    index: int
    debug: DebugJob
    directory: Path
    rebuild: Callable[[str], DebugJob]
    """The same debug Job under another run id (its name was taken)."""
    order: int = 0
    """Its place in the plan (variants in the order given, then runs), for the runs table."""
    attempted: bool = False
    """A create request was sent: the Job may exist even if the answer never came."""
    created: bool = False
    capture: Capture | None = None
    error: str | None = None
    failure: ClusterError | None = None
    """Following stopped because the cluster could not be used (API down, access revoked)."""


@dataclass
class Hooks:
    """How the flow talks to the terminal while it runs (a LiveView in the CLI, nothing in tests)."""

    header: Callable[[str, str, list[str]], None] = lambda target, variant, changes: None
    phase: Callable[[str, str], None] = lambda pod, phase: None
    log_line: Callable[[str, str, str, str], None] = lambda pod, container, ts, text: None
    note: Callable[[str], None] = lambda text: None
    hint: Callable[[str], None] = lambda text: None
    """What the reader can do (`resume it: kubectl patch ...`); the commands in it are shown whole."""
    extra: dict[str, Any] = field(default_factory=dict)


def original_limit_bytes(cronjob: dict[str, Any], container: str | None) -> int | None:
    """The memory limit of the instrumented container (the named one, else the first) before any change."""
    spec = templates.pod_spec(cronjob)
    found = templates.container_named(spec, container) if container else next(iter(templates.containers(spec)), None)
    return templates.memory_limit_bytes(found) if found else None


def variants(settings: DiagnoseSettings, original: int | None) -> list[Variant]:
    """Resolve `--memory`: default is the larger of 512Mi and 4x the original limit, a raise only (each container
    keeps a higher limit of its own, and one without a limit gets none); a size given is applied as asked."""
    if not settings.memory:
        raised = max(DEFAULT_RAISED, 4 * original) if original else DEFAULT_RAISED
        return [Variant(format_bytes(raised), raised, settings.image, raise_only=True)]
    out = []
    for item in settings.memory:
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
    """One debug Job per variant and run, each with its own bundle directory and a name no other run shares."""
    original = original_limit_bytes(cronjob, settings.container)
    chosen = variants(settings, original)
    several = len(chosen) * settings.runs > 1
    planned: list[_Planned] = []
    used: set[str] = set()
    for variant in chosen:
        for index in range(1, settings.runs + 1):

            def build(run_id: str, variant: Variant = variant) -> DebugJob:
                try:
                    return debugjob.build(
                        cronjob,
                        variant=variant,
                        run_id=run_id,
                        timeout_seconds=settings.timeout_seconds,
                        container=settings.container,
                        trace=settings.trace,
                        sampler=settings.sample,
                        sampler_nonce=secrets.token_hex(8),
                    )
                except (AttributeError, TypeError, KeyError, ValueError) as exc:
                    # a field of a type the API would not send (a proxy, an old or patched server): input's fault
                    raise InputError(
                        f"cronjob {settings.target}: its jobTemplate has a field of an unexpected type ({exc})",
                        hint=f"inspect it: kubectl get cronjob -n {settings.target.namespace} "
                        f"{settings.target.name} -o yaml",
                    ) from exc

            run_id = _run_id()
            while run_id in used:
                run_id = _run_id()
            used.add(run_id)
            slug = variant.name.split(" ")[0]
            directory = root / f"{slug}-run{index}" if several else root
            planned.append(_Planned(variant, index, build(run_id), directory, build, order=len(planned)))
    return planned


def dry_run(settings: DiagnoseSettings, kube: Kube) -> DryRun:
    """Plan the debug Jobs exactly as a real run would (names, changes, instrumentation); create nothing."""
    resolved = resolve_cronjob(kube, settings.target.namespace, settings.target.name, command="diagnose")
    cronjob = resolved.cronjob
    jobs = tuple(
        PlannedJob(variant=item.variant.name, run=item.index, manifest=item.debug.manifest,
                   diff=debugjob.diff(cronjob, item.debug), warnings=tuple(item.debug.warnings))
        for item in plan(settings, cronjob, Path("."))
    )
    meta = cronjob.get("metadata") or {}
    return DryRun(cronjob=f"{meta.get('namespace')}/{meta.get('name')}", jobs=jobs, via=resolved.via)


@dataclass
class _Progress:
    """Where the flow is, for the message and the partial marker when it stops early."""

    root: Path
    namespace: str
    session: Session | None = None
    planned: list[_Planned] = field(default_factory=list)
    phase: str = "before creating the debug Job"
    cleanup: str = "nothing was created"
    left: list[str] = field(default_factory=list)
    """Debug Jobs that may still be in the cluster."""


def run(
    settings: DiagnoseSettings,
    *,
    kube: Kube,
    hooks: Hooks,
    now: datetime,
    command: str,
    stop: threading.Event | None = None,
    host: Host | None = None,
) -> Outcome:
    """The whole flow; raises DoctorError subclasses (Interrupted after Ctrl-C/SIGTERM), returns the verdict
    otherwise. Whatever stops it after the bundle directory exists, it cleans up first, then the error names
    what is left in the cluster and partial.json marks the bundle.

    While it runs it holds the CronJob's Lease (diagnose/lock.py): a second diagnose of the same CronJob is
    refused (Conflict, exit 3), and a debug Job left by a diagnose that is gone is found and named."""
    if settings.dry_run:
        return Outcome(None, dry_run=dry_run(settings, kube))
    host = host or Host()
    namespace = settings.target.namespace
    resolved = resolve_cronjob(kube, namespace, settings.target.name, command="diagnose")
    cronjob = resolved.cronjob
    if resolved.via:
        hooks.note(f"diagnosing cronjob {namespace}/{cronjob['metadata']['name']}: {resolved.via}")
    name = cronjob["metadata"]["name"]
    missing_optional = preflight.check(kube, namespace)
    session = Session.new(host=host.name, pid=host.pid, now=now)
    lock = LeaseLock(kube, namespace=namespace, cronjob=name, session=session, clock=host.clock,
                     pid_alive=host.pid_alive)
    lock.acquire(force=settings.force)
    try:
        orphans = adopt.find_orphans(settings, kube, namespace=namespace, cronjob=name, host=host, lock=lock)
        root = bundle_io.bundle_root(settings.bundle, namespace=namespace, name=name, now=now,
                                     subdir=settings.bundle_subdir)
        capture_state.begin(root, command="diagnose", session=session.id, host=session.host, pid=session.pid,
                            now=host.clock())
        lock.start_heartbeat()
        progress = _Progress(root=root, namespace=namespace, session=session)
        try:
            outcome = _run(
                settings,
                kube=kube,
                hooks=hooks,
                command=command,
                stop=stop or threading.Event(),
                cronjob=cronjob,
                resolved_via=resolved.via,
                missing_optional=[str(p) for p in missing_optional],
                progress=progress,
                orphans=orphans,
                lock=lock,
            )
        except KeyboardInterrupt:
            _mark_partial(progress, "interrupted (Ctrl-C or SIGTERM)")
            _finish_states(progress, capture_state.PARTIAL, host.clock(), "interrupted (Ctrl-C or SIGTERM)")
            raise Interrupted(
                f"interrupted {progress.phase}; {progress.cleanup}",
                hint=f"the evidence captured so far is in {root} (marked partial in {PARTIAL_FILE})",
            ) from None
        except DoctorError as exc:
            _mark_partial(progress, str(exc))
            _finish_states(progress, capture_state.PARTIAL, host.clock(), str(exc))
            if any(item.attempted for item in progress.planned):
                # The reader must learn what is left in the cluster from the one error line they will read.
                exc.message = f"{exc.message}; {progress.cleanup}"
            exc.hint = exc.hint or f"the evidence captured so far is in {root} (marked partial in {PARTIAL_FILE})"
            raise
        _finish_states(progress, capture_state.PARTIAL if outcome.partial else capture_state.COMPLETE,
                       host.clock(), None)
        return outcome
    finally:
        lock.release()


def _finish_states(progress: _Progress, state: str, now: datetime, reason: str | None) -> None:
    """Complete the capture markers of the bundle root and every run directory (capture/state.py)."""
    directories = {progress.root, *(item.directory for item in progress.planned)}
    for directory in directories:
        if directory.is_dir():
            with contextlib.suppress(OSError):
                capture_state.finish(directory, state=state, now=now, reason=reason)


def _run(
    settings: DiagnoseSettings,
    *,
    kube: Kube,
    hooks: Hooks,
    command: str,
    stop: threading.Event,
    cronjob: dict[str, Any],
    resolved_via: str | None,
    missing_optional: list[str],
    progress: _Progress,
    orphans: list[LeftJob],
    lock: LeaseLock,
) -> Outcome:
    from cronjob_doctor.rules.engine import analyze_runs, failure_on_record

    namespace, root = progress.namespace, progress.root
    name = cronjob["metadata"]["name"]
    bundle_io.write_json(root, "cronjob.json", cronjob)
    notes = [f"diagnosed cronjob {namespace}/{name}: {resolved_via}"] if resolved_via else []
    if schedlib.suspended(cronjob):
        # Run as asked, but say it: the CronJob's own schedule starts nothing, so no new failure comes from it.
        why = (f"cronjob {namespace}/{name} is suspended (spec.suspend: true): its schedule starts no Job, so any "
               "failure on record is from before it was suspended (or from a Job started by hand)")
        resume = f"resume it once fixed: {schedlib.resume_command(namespace, name)}"
        hooks.note(f"warning: {why}; diagnose runs it anyway, as asked")
        hooks.hint(resume)
        notes.insert(0, f"{why}; diagnose ran it anyway, as asked; {resume}")
    notes += [f"not allowed to {p} in {namespace}: that evidence is skipped" for p in missing_optional]
    redactor, secret_notes = redactor_for(kube, namespace, cronjob, enabled=settings.redact)
    notes += secret_notes
    notes += snapshot(kube, cronjob=cronjob, root=root, redact=redactor.redact if redactor.enabled else None)
    if not missing_optional:
        try:
            policies = kube.list_networkpolicies(namespace)
            bundle_io.write_json(
                root, "networkpolicies.json", {"apiVersion": "networking.k8s.io/v1", "kind": "List", "items": policies}
            )
        except DoctorError as exc:
            notes.append(f"networkpolicies unavailable: {exc}")
    notes += adopt.handle_orphans(settings, kube, orphans, namespace=namespace, note=hooks.note)
    planned = _adopted(orphans, root) if settings.adopt else plan(settings, cronjob, root)
    progress.planned = planned
    stamp = {**(progress.session.annotations() if progress.session else {}),
             **({KEEP_ANNOTATION: "true"} if settings.keep else {})}
    for item in planned:
        if item.directory != root:
            bundle_io.make_private_dir(item.directory)
            if progress.session is not None:
                capture_state.begin(item.directory, command="diagnose", session=progress.session.id,
                                    host=progress.session.host, pid=progress.session.pid,
                                    now=progress.session.started)
    if planned:
        first = planned[0].debug
        notes.append(f"deadline: activeDeadlineSeconds {first.deadline_seconds} ({first.deadline_source}"
                     + ("; --timeout sets another" if first.deadline_source != "--timeout" else "") + ")")
    original = original_limit_bytes(cronjob, settings.container)
    for item in planned:
        for warning in item.debug.warnings:
            hooks.note(f"warning: {warning}")
    try:
        progress.phase = "while the debug Job ran"
        _run_all(kube, planned, settings=settings, hooks=hooks, stop=stop, target=f"{namespace}/{name}",
                 redactor=redactor, stamp=stamp)
    finally:
        phase, progress.phase = progress.phase, "while cleaning up"
        _cleanup(kube, progress, keep=settings.keep, hooks=hooks)
        progress.phase = phase  # an error or interrupt is reported at the phase where it happened
    progress.phase = "while writing the bundle"
    for item in planned:
        if item.capture is not None:
            bundle_io.write_json(item.directory, "meta.json", _meta(item, cronjob, original))
    lost = [item for item in planned if item.failure is not None]
    if lost:
        raise ClusterError(
            f"lost the cluster while following job {', '.join(i.debug.name for i in lost)}: {lost[0].failure}"
        )
    runs_and_bundles = [(_to_run(item, original), bundle_io.read(item.directory)) for item in planned if item.capture]
    # The root holds the CronJob's record (jobs.json, failed-jobs/): with several runs it sits above their bundles.
    verdict = analyze_runs(runs_and_bundles, original_limit_bytes=original,
                           on_record=failure_on_record(bundle_io.read(root)))
    # what reading left out or cut for the rules (a long line), by run
    notes += [f"{data.path.name}/{note}" if data.path else note for _run, data in runs_and_bundles
              for note in data.notes()]
    gaps = [gap for item in planned if item.capture for gap in item.capture.gaps]
    described = {gap.describe() for gap in gaps}
    for item in planned:
        if item.error:
            notes.append(f"{item.debug.name}: {item.error}")
        if item.capture:
            notes.extend(f"{item.debug.name}: {n}" for n in item.capture.notes if n not in described)
    notes += split_value_notes(redactor, root)
    verdict = _redacted(_with_context(
        verdict,
        notes=notes,
        context={
            "target": f"{namespace}/{name}",
            "command": command,
            "context": getattr(kube, "context", None),
            "bundle": str(root),
            "changes": planned[0].debug.changes if planned else [],
            "cleanup": progress.cleanup,
            "original_memory_limit": format_bytes(original) if original else None,
            "original_memory_limits": planned[0].debug.original_limits if planned else {},
            "suspended": schedlib.suspended(cronjob),
            "deadline": {"seconds": planned[0].debug.deadline_seconds,
                         "source": planned[0].debug.deadline_source} if planned else None,
        },
    ), redactor)
    redaction = redactor.note()
    if redaction:
        verdict = _with_context(verdict, notes=[redaction], context={})
    if lock.notes:
        verdict = _with_context(verdict, notes=list(lock.notes), context={})
    partial = [item for item in planned if item.capture is not None and item.capture.partial]
    if partial:
        verdict = partial_verdict(verdict, gaps=gaps)
        _mark_partial(progress, "; ".join(verdict.notes[: 1 + len(gaps)]), incomplete_logs=gaps,
                      runs=[str(item.directory) for item in partial])
    bundle_io.write_json(root, "verdict.json", verdict.to_dict())
    return Outcome(verdict, partial=bool(partial))


def _adopted(orphans: list[LeftJob], root: Path) -> list[_Planned]:
    """A planned run per adopted debug Job, already created: follow, judge and clean up as usual."""

    def refuse(run_id: str) -> DebugJob:
        raise InputError("an adopted debug Job is never created again")

    items = []
    for index, orphan in enumerate(orphans, 1):
        variant, debug = adopt.debug_job_of(orphan.job)
        directory = root / f"adopted-{orphan.name}" if len(orphans) > 1 else root
        items.append(_Planned(variant, index, debug, directory, refuse, attempted=True, created=True))
    return items


def _run_all(
    kube: Kube,
    planned: list[_Planned],
    *,
    settings: DiagnoseSettings,
    hooks: Hooks,
    stop: threading.Event,
    target: str,
    redactor: Redactor,
    stamp: dict[str, str],
) -> None:
    """Create every debug Job (adopted ones exist already), then follow them side by side; Ctrl-C sets `stop`
    and the caller cleans up."""
    for item in planned:
        label = item.variant.name if item.created else f"{item.variant.name} (run {item.index}/{settings.runs})"
        hooks.header(target, label, item.debug.changes)
        if item.created:
            hooks.note(f"following job {item.debug.name}")
            continue
        item.debug.manifest["metadata"].setdefault("annotations", {}).update(stamp)
        _create(kube, item, stamp)
        hooks.note(f"created job {item.debug.name}")
    # Follow a little past the longest debug Job deadline: the Job controller needs a moment to mark it Failed.
    deadline = time.monotonic() + max(item.debug.deadline_seconds for item in planned) + 120

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
            sampler_token=item.debug.sampler_token,
            # an API server restart (an upgrade, a control plane failover) is waited out; an outage is not
            reconnect_seconds=1.0,
            outage_seconds=OUTAGE_RETRY_BUDGETS * kube.retry_policy.max_seconds,
            redact=redactor.redact if redactor.enabled else None,
            start_policy=settings.start_policy,
        )
        try:
            item.capture = follower.run(deadline=deadline)
        except DoctorError as exc:
            item.error = str(exc)
            item.capture = follower.capture
        finally:
            item.failure = follower.failure
            done[id(item)].set()

    # Events, not Thread.join: a KeyboardInterrupt landing inside join() can leave the thread looking finished
    # while it still writes the bundle, and the process would then exit under it (a .tmp file left behind).
    done = {id(item): threading.Event() for item in planned}
    for item in planned:
        threading.Thread(target=follow, args=(item,), name=f"follow-{item.debug.name}", daemon=True).start()
    try:
        for event in done.values():
            while not event.wait(0.2):
                pass
    except BaseException:
        stop.set()
        for event in done.values():
            event.wait(10)
        raise


def _create(kube: Kube, item: _Planned, stamp: dict[str, str]) -> None:
    """Create the debug Job; a name already taken by a Job that is not ours gets a fresh run id. `stamp`: the
    session annotations (who made it: the heartbeat that tells a running diagnose from an orphan)."""
    for attempt in range(_NAME_ATTEMPTS):
        item.attempted = True
        try:
            kube.create_job(item.debug.manifest["metadata"]["namespace"], item.debug.manifest)
        except Conflict:
            # kube.create_job already accepted a Job carrying our own run id, so this one belongs to someone else
            item.attempted = False
            if attempt == _NAME_ATTEMPTS - 1:
                raise
            item.debug = item.rebuild(_run_id())
            item.debug.manifest["metadata"].setdefault("annotations", {}).update(stamp)
            continue
        item.created = True
        return


def _cleanup(kube: Kube, progress: _Progress, *, keep: bool, hooks: Hooks) -> None:
    """Delete our debug Jobs (unless --keep); record what is left and the command that removes it."""
    namespace = progress.namespace
    created = [item.debug.name for item in progress.planned if item.attempted]
    if not created:
        progress.cleanup = "nothing was created"
        return
    progress.left = list(created)
    progress.cleanup = f"cleanup did not finish: remove with kubectl delete job -n {namespace} {' '.join(created)}"
    if keep:
        progress.cleanup = f"kept (--keep): remove with kubectl delete job -n {namespace} {' '.join(created)}"
        return
    deleted, failed = [], []
    for item in progress.planned:
        if not item.attempted:
            continue
        try:
            if not item.created and not _ours(kube, namespace, item):
                progress.left.remove(item.debug.name)  # the create never took effect: nothing to delete
                continue
            kube.delete_job(namespace, item.debug.name)
            deleted.append(item.debug.name)
            progress.left.remove(item.debug.name)
        except DoctorError as exc:
            failed.append(f"{item.debug.name} ({exc})")
    if failed:
        progress.cleanup = (
            f"could not delete {', '.join(failed)}; remove with: kubectl delete job -n {namespace} "
            + " ".join(progress.left)
        )
        hooks.note(progress.cleanup)
    elif deleted:
        progress.cleanup = (
            f"deleted job {deleted[0]} and its pods"
            if len(deleted) == 1
            else f"deleted jobs {', '.join(deleted)} and their pods"
        )
    else:
        progress.cleanup = "nothing was created"


def _ours(kube: Kube, namespace: str, item: _Planned) -> bool:
    """Whether the Job of an unanswered create exists and carries our run id (a namesake is never deleted)."""
    try:
        job = kube.get_job(namespace, item.debug.name)
    except NotFound:
        return False
    labels = (job.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(RUN_ID_LABEL) == item.debug.manifest["metadata"]["labels"][RUN_ID_LABEL])


def _mark_partial(
    progress: _Progress, reason: str, *, incomplete_logs: Sequence[LogGap] = (), runs: Sequence[str] = ()
) -> None:
    """partial.json at the bundle root: the bundle is readable but incomplete, and this says why (and, when
    the run finished with a log not read to its end, which logs and which run directories)."""
    # If the disk failed too, the error message still says what happened.
    with contextlib.suppress(DoctorError):
        bundle_io.write_json(
            progress.root,
            PARTIAL_FILE,
            {
                "partial": True,
                "reason": reason,
                "phase": progress.phase,
                "cleanup": progress.cleanup,
                "left_in_cluster": [f"job/{name}" for name in progress.left],
                "incomplete_logs": [gap.to_dict() for gap in incomplete_logs],
                "partial_runs": list(runs),
            },
        )


def _redacted(verdict: Verdict, redactor: Redactor) -> Verdict:
    """The verdict with every text field redacted: evidence quotes log lines and events."""
    if not redactor.enabled:
        return verdict
    r = redactor.redact

    def finding(f: Any) -> Any:
        return replace(
            f,
            summary=r(f.summary),
            evidence=tuple(replace(e, text=r(e.text)) for e in f.evidence),
            remediation=tuple(r(x) for x in f.remediation),
        )

    redacted: Verdict = replace(
        finding(verdict),
        findings=tuple(finding(f) for f in verdict.findings),
        notes=tuple(r(n) for n in verdict.notes),
    )
    return redacted


def _to_run(item: _Planned, original: int | None) -> DebugRun:
    capture = item.capture or Capture()
    return debug_run(
        job=capture.job or {},
        pods=capture.pods.values(),
        variant=item.variant.name,
        memory_limit_bytes=_limit_bytes(item, original),
        instrumented=item.debug.instrumented[0] if item.debug.instrumented else None,
        peak_memory_bytes=capture.peak_memory_bytes,
        bundle=str(item.directory),
        duration_fallback=capture.ended - capture.started,
        name=item.debug.name,
        peaks=capture.peak_memory_by_container,
        limits=item.debug.limits,
    )


def _limit_bytes(item: _Planned, original: int | None) -> int | None:
    """The memory limit of the run's instrumented (else first) container in its debug Job."""
    limits = item.debug.limits
    name = item.debug.instrumented[0] if item.debug.instrumented else next(iter(limits), None)
    if name is None or name not in limits:
        return item.variant.memory_bytes if item.variant.memory_bytes is not None else original
    value = limits[name]
    try:
        return parse_bytes(value) if value is not None else None
    except InputError:
        return None


def _meta(item: _Planned, cronjob: dict[str, Any], original: int | None) -> dict[str, Any]:
    capture = item.capture or Capture()
    return {
        "tool": "cronjob-doctor",
        "source_cronjob": f"{cronjob['metadata']['namespace']}/{cronjob['metadata']['name']}",
        "job": item.debug.name,
        "variant": item.variant.name,
        "run": item.index,
        "order": item.order,
        "memory_limit_bytes": _limit_bytes(item, original),
        "original_limits": item.debug.original_limits,
        "memory_limits": item.debug.limits,
        "changes": item.debug.changes,
        "instrumented": item.debug.instrumented,
        "sampler_token": item.debug.sampler_token,
        "peak_memory_bytes": capture.peak_memory_bytes,
        "peak_memory_by_container": capture.peak_memory_by_container,
        "partial": capture.partial,
        "incomplete_logs": [gap.to_dict() for gap in capture.gaps],
        "notes": capture.notes,
    }


def _with_context(verdict: Verdict, *, notes: list[str], context: dict[str, Any]) -> Verdict:
    return replace(verdict, notes=tuple(verdict.notes) + tuple(notes), context={**verdict.context, **context})
