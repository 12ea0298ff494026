"""Retention of recorded bundles: `--keep-last N` per CronJob and `--max-bytes` for the whole root.

Only closed bundles are removed (never one still being followed or waiting to be resumed), oldest first, and
never the newest bundle of a CronJob: the last failure's evidence outlives any byte budget. `select` is pure;
`enforce` deletes what it selected and nothing outside the bundle root.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cronjob_doctor.record.store import BundleState, BundleStore


@dataclass(frozen=True)
class Candidate:
    """A bundle as retention sees it."""

    path: Path
    group: tuple[str, str]
    """(namespace, cronjob)."""
    order: str
    """Sorts oldest first: when the Job ended, else the directory name."""
    size: int
    final: bool


def select(candidates: Iterable[Candidate], *, keep_last: int | None, max_bytes: int | None) -> list[Path]:
    """The bundles to remove, oldest first."""
    items = sorted(candidates, key=lambda c: (c.order, c.path.name))
    doomed: list[Candidate] = []
    newest: dict[tuple[str, str], Candidate] = {}
    for item in items:
        if item.final:
            newest[item.group] = item
    if keep_last is not None:
        for group in {c.group for c in items}:
            closed = [c for c in items if c.group == group and c.final]
            doomed += closed[: max(0, len(closed) - keep_last)]
    if max_bytes is not None:
        total = sum(c.size for c in items if c not in doomed)
        for item in items:
            if total <= max_bytes:
                break
            if item in doomed or not item.final or newest.get(item.group) is item:
                continue
            doomed.append(item)
            total -= item.size
    ordered = sorted(doomed, key=lambda c: (c.order, c.path.name))
    return [c.path for c in ordered]


def candidates(store: BundleStore) -> list[Candidate]:
    """Every bundle under the store's root with its size."""
    return [_candidate(store.root, state) for state in store.all_states()]


def _candidate(root: Path, state: BundleState) -> Candidate:
    relative = state.path.relative_to(root).parts
    size = sum(p.stat().st_size for p in state.path.rglob("*") if p.is_file())
    return Candidate(
        path=state.path,
        group=(relative[0], relative[1]),
        order=state.finished_at or "",
        size=size,
        final=state.final,
    )


def enforce(store: BundleStore, *, keep_last: int | None, max_bytes: int | None) -> list[Path]:
    """Remove what `select` picks; return the removed directories."""
    if keep_last is None and max_bytes is None:
        return []
    removed = []
    root = store.root.resolve()
    for path in select(candidates(store), keep_last=keep_last, max_bytes=max_bytes):
        if root not in path.resolve().parents:  # never outside the bundle root, whatever a symlink says
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
