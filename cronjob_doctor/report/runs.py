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
    """`182Mi / 512Mi (36%)`: the measured peak against the limit it ran under; `-` where unmeasured."""
    peak = format_bytes(run.peak_memory_bytes) if run.peak_memory_bytes is not None else "-"
    if not run.memory_limit:
        return f"{peak} / no limit"
    cell = f"{peak} / {run.memory_limit}"
    if run.peak_memory_bytes is None:
        return cell
    try:
        limit = parse_bytes(run.memory_limit)
    except InputError:
        return cell  # an odd quantity from the API is shown as given, without a percentage
    return f"{cell} ({round(100 * run.peak_memory_bytes / limit)}%)" if limit else cell


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
            run.reason or "-",
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
