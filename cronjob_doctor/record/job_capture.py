"""One recorded run: follow a Job (or catch up on one that already ended) into its bundle, close the bundle with
its state and verdict, then report it (metrics, --on-failure). Runs on the Job's own thread.

Never decides which Jobs to record (record.py does) and never prints: diagnostics go through `ctx.log`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.capture.completeness import LogGap, partial_verdict
from cronjob_doctor.capture.ended import read_leftovers, write_leftovers
from cronjob_doctor.capture.follow import JobFollower
from cronjob_doctor.capture.secrets import redactor_for, split_value_notes
from cronjob_doctor.errors import DoctorError, InputError
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s.time import format_time
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.record import notify
from cronjob_doctor.record.metrics import RecorderMetrics
from cronjob_doctor.record.model import RecordedRun
from cronjob_doctor.record.settings import RecordSettings
from cronjob_doctor.record.store import COMPLETE, FOLLOWING, PARTIAL, BundleStore, utc_now
from cronjob_doctor.redact import Redactor

Obj = dict[str, Any]


@dataclass(frozen=True)
class RunContext:
    """What every recorded run shares with the recorder."""

    settings: RecordSettings
    kube: Kube
    store: BundleStore
    metrics: RecorderMetrics
    log: Callable[[str], None]
    environ: Mapping[str, str]
    halt: threading.Event
    """Set when the recorder stops: a run still open then is closed as partial and resumable."""
    retention: Callable[[], None]


def capture_run(ctx: RunContext, *, job: Obj, cronjob: Obj, directory: Path, resume: bool, catch_up: bool,
                job_stop: threading.Event) -> RecordedRun | None:
    """Follow (or catch up on) one Job into its bundle; the result once the Job ended, None if stopped."""
    namespace = str(job["metadata"].get("namespace", ""))
    name = str(job["metadata"]["name"])
    base_meta = {
        "tool": "cronjob-doctor",
        "command": "record",
        "source_cronjob": f"{namespace}/{cronjob['metadata']['name']}",
        "job": name,
        "job_uid": job["metadata"].get("uid"),
        "recorded_at": utc_now(),
    }
    bundle_io.make_private_dir(directory)
    bundle_io.write_json(directory, "cronjob.json", cronjob)
    notes: list[str] = []
    gaps: list[LogGap] = []
    # `set -x` expands Secret values into the trace: they never reach the bundle.
    try:
        redactor, secret_notes = redactor_for(ctx.kube, namespace, cronjob, enabled=ctx.settings.redact)
    except DoctorError as exc:
        redactor, secret_notes = Redactor(), [f"Secret values unreadable ({exc}): only credential patterns redacted"]
    notes += secret_notes
    redact = redactor.redact if redactor.enabled else None
    if catch_up:
        ctx.store.write_meta(directory, {**base_meta, "state": FOLLOWING})
        notes.append("the Job had ended before the recorder could follow it: captured from what still existed")
        try:
            found = read_leftovers(ctx.kube, job, refresh=True, redact=redact)
            notes += write_leftovers(directory, found)
            if found.job_gone:
                notes.append(f"job {name} is gone: its last known state is kept")
            if not found.pods:
                notes.append(f"the pods of job {name} were already deleted: no new logs or pod statuses")
            notes += found.notes
        except DoctorError as exc:
            ctx.metrics.error("catch-up")
            notes.append(f"catch-up failed: {exc}")
        final_job = bundle_io.read(directory).job or job
        partial, interrupted = True, False
    else:
        ctx.store.write_meta(directory, {**base_meta, "state": FOLLOWING})
        follower = JobFollower(ctx.kube, namespace=namespace, job_name=name, bundle_dir=directory,
                               stop=job_stop, resume=resume, redact=redact,
                               reconnect_seconds=ctx.settings.retry_initial,
                               grace_seconds=ctx.settings.grace_seconds)
        if resume:
            _preload(follower, directory)
            notes.append("the recorder restarted while the Job ran: lines and statuses from its downtime "
                         "may be missing")
        capture = follower.run(deadline=time.monotonic() + ctx.settings.follow_timeout_seconds)
        final_job = capture.job or job
        ended = joblib.finished(final_job)
        # stopped with the recorder, not because the Job vanished: the next start resumes it
        interrupted = not ended and ctx.halt.is_set()
        partial = resume or capture.partial or capture.reconnects > 0 or not ended
        gaps = list(capture.gaps)
        notes += [note for note in capture.notes if note not in {gap.describe() for gap in gaps}]
        if capture.reconnects:
            ctx.metrics.error("reconnect")
    redaction = redactor.note()
    if redaction:
        notes.append(redaction)
    notes += split_value_notes(redactor, directory)
    verdict = _verdict(directory, notes=notes, partial=partial, gaps=gaps)
    outcome = joblib.final_outcome(final_job)
    reason = joblib.failure_reason(final_job)[0]
    end = joblib.end_time(final_job)
    finished_at = format_time(end) if end is not None else None
    meta = {
        **base_meta,
        "state": PARTIAL if partial else COMPLETE,
        "interrupted": interrupted,
        "outcome": outcome,
        "finished_at": finished_at,
        "incomplete_logs": [gap.to_dict() for gap in gaps],
        "notes": notes,
    }
    ctx.store.write_meta(directory, meta)
    if interrupted:
        return None
    result = RecordedRun(
        namespace=namespace,
        cronjob=str(cronjob["metadata"]["name"]),
        job=name,
        outcome=outcome,
        reason=reason,
        verdict=str(verdict.get("verdict", "unknown")),
        confidence=float(verdict.get("confidence", 0.0)),
        summary=str(verdict.get("summary", "")),
        bundle=str(directory),
        partial=partial,
        finished_at=finished_at,
        duration_seconds=joblib.duration_seconds(final_job),
    )
    ctx.metrics.observe(result, now=time.time())
    if result.failed and ctx.settings.on_failure:
        problem = notify.run_hook(ctx.settings.on_failure, result, base_env=ctx.environ,
                                  timeout=ctx.settings.on_failure_timeout,
                                  output=lambda line: ctx.log(f"on-failure {namespace}/{name}: {line}"))
        if problem:
            ctx.metrics.error("on-failure")
            ctx.log(f"{namespace}/{name}: {problem}")
    ctx.retention()
    return result



def _verdict(directory: Path, *, notes: list[str], partial: bool, gaps: list[LogGap]) -> Obj:
    """Analyse the bundle and write verdict.json; a bundle that cannot be read still gets an `unknown`. On a
    partial capture the verdict names the incomplete logs and its confidence is lowered (capture.completeness)."""
    from cronjob_doctor.rules.engine import analyze

    try:
        verdict = analyze(bundle_io.read(directory))
    except InputError as exc:
        notes.append(f"bundle unreadable for analysis: {exc}")
        data: Obj = {"verdict": "unknown", "confidence": 0.0, "summary": "the bundle could not be analysed",
                     "evidence": [], "remediation": [], "findings": []}
    else:
        verdict = replace(verdict, notes=verdict.notes + tuple(notes),
                          context={**verdict.context, "bundle": str(directory), "partial": partial})
        if partial:
            verdict = partial_verdict(verdict, gaps=gaps)
        data = verdict.to_dict()
    bundle_io.write_json(directory, "verdict.json", data)
    return data



def _preload(follower: JobFollower, directory: Path) -> None:
    """Give a resumed follower what the earlier process captured: pods deleted meanwhile keep their last
    status (the OOMKilled termination may only be on disk now), and events that have expired stay."""
    try:
        earlier = bundle_io.read(directory)
    except InputError:
        return
    follower.capture.job = earlier.job
    for pod in earlier.pods:
        follower.capture.pods[str(pod["metadata"]["name"])] = pod
    for event in earlier.events:
        meta = event.get("metadata") or {}
        follower.capture.events[str(meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}")] = event
