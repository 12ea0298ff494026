"""The summary table of debug Job runs (variant x repetition), as plain strings for any format to lay out.

Text and markdown both show this table, so the wording of a cell (`182Mi / 512Mi (36%)`) lives here once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.duration import format_duration
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.rules.base import DebugRun

HEADERS: tuple[str, ...] = ("Variant", "Run", "Outcome", "Reason", "Exit", "Peak / limit", "Duration")


def peak_vs_limit(run: DebugRun) -> str:
    """`182Mi / 512Mi (36%)`: the measured peak against the limit it ran under; `-` where unmeasured. With
    several containers, each container's own peak against its own limit: `backup 182Mi / 512Mi (36%); prep ...`."""
    names = list(dict.fromkeys([*run.memory_limit_by_container, *run.peak_memory_by_container]))
    shown = [n for n in names if n in run.peak_memory_by_container or run.memory_limit_by_container.get(n)]
    if len(shown) > 1:
        peaks, limits = run.peak_memory_by_container, run.memory_limit_by_container
        return "; ".join(f"{name} {_cell(peaks.get(name), limits.get(name))}" for name in shown)
    return _cell(run.peak_memory_bytes, run.memory_limit)


def _cell(peak_bytes: int | None, limit_text: str | None) -> str:
    peak = format_bytes(peak_bytes) if peak_bytes is not None else "-"
    if not limit_text:
        return f"{peak} / no limit"
    cell = f"{peak} / {limit_text}"
    if peak_bytes is None:
        return cell
    try:
        limit = parse_bytes(limit_text)
    except InputError:
        return cell  # an odd quantity from the API is shown as given, without a percentage
    return f"{cell} ({round(100 * peak_bytes / limit)}%)" if limit else cell


def headers(runs: Sequence[DebugRun], *, with_job: bool = False) -> tuple[str, ...]:
    """Column names; `Verdict` only when some run carries its own verdict, `Job` on request."""
    cols = HEADERS + (("Verdict",) if any(r.verdict for r in runs) else ())
    return (*cols, "Job") if with_job else cols


def rows(runs: Sequence[DebugRun], *, with_job: bool = False) -> list[tuple[str, ...]]:
    """One row of cells per run, numbered within its variant in the order the runs happened."""
    seen: Counter[str] = Counter()
    show_verdict = any(r.verdict for r in runs)
    out: list[tuple[str, ...]] = []
    for run in runs:
        seen[run.variant] += 1
        cells = [
            run.variant,
            str(seen[run.variant]),
            run.outcome,
            _reason(run),
            str(run.exit_code) if run.exit_code is not None else "-",
            peak_vs_limit(run),
            format_duration(run.duration_seconds),
        ]
        if show_verdict:
            cells.append(run.verdict or "-")
        if with_job:
            cells.append(run.job)
        out.append(tuple(cells))
    return out


def _reason(run: DebugRun) -> str:
    """The reason, and whose it is when the run had several containers (`OOMKilled (backup)`)."""
    if not run.reason:
        return "-"
    several = len(run.memory_limit_by_container) > 1 or len(run.peak_memory_by_container) > 1
    return f"{run.reason} ({run.container})" if several and run.container else run.reason
