"""A debug run (`DebugRun`) from what was captured of it: the debug Job's conditions and its pods' statuses.

One reading for diagnose (from its live capture) and for `analyze` on the bundle root diagnose wrote (from each
run's bundle and meta.json), so both give the same runs table and the same verdict. Also each container's own
peak and limit in a run, for judging runs container by container, and a run as one line of evidence. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s.objects import Obj, int_field, name_of
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.rules import remediation
from cronjob_doctor.rules.base import DebugRun


def debug_run(*, job: Obj, pods: Iterable[Obj], variant: str, memory_limit_bytes: int | None,
              instrumented: str | None, peak_memory_bytes: int | None, bundle: str,
              duration_fallback: float = 0.0, name: str | None = None,
              peaks: Mapping[str, int] | None = None, limits: Mapping[str, str | None] | None = None) -> DebugRun:
    """The run's outcome, reason and exit code: the Job's decision, refined by the termination of the container
    that was OOMKilled (with several containers, the one killed is the one that matters), else the instrumented
    container's (else the first app container's), its current state before its last one.

    `peaks`: each container's own peak; `limits`: each container's limit in the debug Job as written. With
    them, `memory_limit` is the limit of the container the reason is of (else `memory_limit_bytes`)."""
    outcome = joblib.final_outcome(job)
    reason = joblib.failure_reason(job)[0]
    exit_code = None
    pods = list(pods)
    killed = next((t.container for pod in pods for t in podlib.terminations(pod)
                   if not t.init and t.reason == "OOMKilled"), None)
    chosen: str | None = killed or instrumented
    for pod in pods:
        container = chosen or next(
            (str(s.get("name")) for s, init in podlib.container_statuses(pod) if not init), None)
        chosen = container
        ended = [t for t in podlib.terminations(pod) if not t.init and t.container == container]
        if ended:
            exit_code = ended[0].exit_code
            if ended[0].reason not in (None, "Completed"):
                reason = ended[0].reason
            continue
        waiting = [w for w in podlib.waitings(pod) if not w.init and w.container == container]
        if waiting and outcome != "succeeded":
            reason = waiting[0].reason
    by_container = {str(k): _quantity(v) for k, v in (limits or {}).items()}
    if chosen is None and len(by_container) == 1:
        chosen = next(iter(by_container))
    if chosen is not None and chosen in by_container:
        limit = by_container[chosen]
    else:
        limit = format_bytes(memory_limit_bytes) if memory_limit_bytes else None
    duration = joblib.duration_seconds(job)
    measured = {str(k): int(v) for k, v in (peaks or {}).items()}
    return DebugRun(
        job=name or name_of(job),
        variant=variant,
        memory_limit=limit,
        outcome=outcome,
        reason=reason,
        exit_code=exit_code,
        peak_memory_bytes=max(measured.values()) if measured else peak_memory_bytes,
        duration_seconds=max(0.0, duration if duration is not None else duration_fallback),
        bundle=bundle,
        container=chosen,
        peak_memory_by_container=measured,
        memory_limit_by_container=by_container,
    )


def _quantity(value: Any) -> str | None:
    """A limit as the runs table shows it (`512Mi`, `1Gi`); an odd quantity as given."""
    if value is None:
        return None
    try:
        return format_bytes(parse_bytes(str(value)))
    except InputError:
        return str(value)


def debug_run_of(bundle: Bundle) -> DebugRun | None:
    """The run a diagnose run's bundle holds (its meta.json names the variant), None for any other bundle."""
    meta = bundle.meta
    if not isinstance(meta.get("variant"), str) or bundle.job is None:
        return None
    instrumented = meta.get("instrumented")
    peaks, limits = meta.get("peak_memory_by_container"), meta.get("memory_limits")
    return debug_run(
        job=bundle.job,
        pods=bundle.pods,
        variant=str(meta["variant"]),
        memory_limit_bytes=int_field(meta.get("memory_limit_bytes")),
        instrumented=str(instrumented[0]) if isinstance(instrumented, list) and instrumented else None,
        peak_memory_bytes=int_field(meta.get("peak_memory_bytes")),
        bundle=str(bundle.path or ""),
        peaks={str(k): v for k, v in peaks.items() if int_field(v) is not None} if isinstance(peaks, dict) else None,
        limits={str(k): (str(v) if v is not None else None) for k, v in limits.items()}
        if isinstance(limits, dict) else None,
    )


# ---------------------------------------------------------------------------------------------- per container


def peaks_of(run: DebugRun, main: str | None) -> dict[str, int]:
    """Each container's own peak in a run; a run measured as a whole (an older bundle) gives its one peak to its
    own container, else to `main`."""
    if run.peak_memory_by_container:
        return dict(run.peak_memory_by_container)
    if run.peak_memory_bytes is None:
        return {}
    return {run.container or main or "": run.peak_memory_bytes}


def limits_of(run: DebugRun, main: str | None) -> dict[str, int | None]:
    """Each container's limit in a run, in bytes (None: no limit, or a quantity that does not parse); a run
    that recorded one limit (an older bundle) gives it to its own container, else to `main`."""
    if run.memory_limit_by_container:
        return {name: _bytes(value) for name, value in run.memory_limit_by_container.items()}
    return {run.container or main or "": _bytes(run.memory_limit)}


def limit_in(run: DebugRun, container: str | None) -> str | None:
    """The limit a container ran under in a run, as written (the run's own `memory_limit` when not recorded)."""
    if container is not None and container in run.memory_limit_by_container:
        return run.memory_limit_by_container[container]
    return run.memory_limit


def _bytes(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return parse_bytes(value)
    except InputError:
        return None


def run_text(run: DebugRun, *, several: bool) -> str:
    """`variant 512Mi limit 512Mi: succeeded, peak 187Mi`; with several containers, each one's peak and limit."""
    reason = f" ({run.reason}{f' in {run.container}' if several and run.container else ''})" if run.reason else ""
    text = f"variant {run.variant} limit {run.memory_limit or '?'}: {run.outcome}{reason}"
    if several and run.peak_memory_by_container:
        limits = run.memory_limit_by_container
        for name, value in run.peak_memory_by_container.items():
            text += f", {name} peak {remediation.memory_text(value)}"
            text += f" of {limits[name]}" if limits.get(name) else ""
        return text
    if run.peak_memory_bytes is not None:
        text += f", peak {remediation.memory_text(run.peak_memory_bytes)}"
    return text
