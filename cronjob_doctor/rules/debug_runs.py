"""A debug run (`DebugRun`) from what was captured of it: the debug Job's conditions and its pods' statuses.

One reading for diagnose (from its live capture) and for `analyze` on the bundle root diagnose wrote (from each
run's bundle and meta.json), so both give the same runs table and the same verdict. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable

from cronjob_doctor.bundle import Bundle
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s.objects import Obj, int_field, name_of
from cronjob_doctor.k8s.quantity import format_bytes
from cronjob_doctor.rules.base import DebugRun


def debug_run(*, job: Obj, pods: Iterable[Obj], variant: str, memory_limit_bytes: int | None,
              instrumented: str | None, peak_memory_bytes: int | None, bundle: str,
              duration_fallback: float = 0.0, name: str | None = None) -> DebugRun:
    """The run's outcome, reason and exit code: the Job's decision, refined by the instrumented container's
    termination (else the first app container's), its current state before its last one."""
    outcome = joblib.final_outcome(job)
    reason = joblib.failure_reason(job)[0]
    exit_code = None
    for pod in pods:
        container = instrumented or next(
            (str(s.get("name")) for s, init in podlib.container_statuses(pod) if not init), None)
        ended = [t for t in podlib.terminations(pod) if not t.init and t.container == container]
        if ended:
            exit_code = ended[0].exit_code
            if ended[0].reason not in (None, "Completed"):
                reason = ended[0].reason
            continue
        waiting = [w for w in podlib.waitings(pod) if not w.init and w.container == container]
        if waiting and outcome != "succeeded":
            reason = waiting[0].reason
    duration = joblib.duration_seconds(job)
    return DebugRun(
        job=name or name_of(job),
        variant=variant,
        memory_limit=format_bytes(memory_limit_bytes) if memory_limit_bytes else None,
        outcome=outcome,
        reason=reason,
        exit_code=exit_code,
        peak_memory_bytes=peak_memory_bytes,
        duration_seconds=max(0.0, duration if duration is not None else duration_fallback),
        bundle=bundle,
    )


def debug_run_of(bundle: Bundle) -> DebugRun | None:
    """The run a diagnose run's bundle holds (its meta.json names the variant), None for any other bundle."""
    meta = bundle.meta
    if not isinstance(meta.get("variant"), str) or bundle.job is None:
        return None
    instrumented = meta.get("instrumented")
    return debug_run(
        job=bundle.job,
        pods=bundle.pods,
        variant=str(meta["variant"]),
        memory_limit_bytes=int_field(meta.get("memory_limit_bytes")),
        instrumented=str(instrumented[0]) if isinstance(instrumented, list) and instrumented else None,
        peak_memory_bytes=int_field(meta.get("peak_memory_bytes")),
        bundle=str(bundle.path or ""),
    )
