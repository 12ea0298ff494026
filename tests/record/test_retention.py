"""Retention of recorded bundles: pure selection, and enforcement on a real directory tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from cronjob_doctor.record import retention
from cronjob_doctor.record.retention import Candidate
from cronjob_doctor.record.store import BundleStore


def candidate(name: str, order: str, *, group: str = "a", size: int = 100, final: bool = True) -> Candidate:
    return Candidate(path=Path("/r/ns") / group / name, group=("ns", group), order=order, size=size, final=final)


@pytest.mark.parametrize(
    ("keep_last", "max_bytes", "expected"),
    [
        (2, None, ["j1"]),
        (None, 250, ["j1"]),
        (None, 50, ["j1", "j2"]),  # the newest bundle survives any byte budget
        (1, 1000, ["j1", "j2"]),
        (5, None, []),
    ],
)
def test_select_removes_oldest_closed_bundles(keep_last: int | None, max_bytes: int | None,
                                              expected: list[str]) -> None:
    items = [candidate("j3", "2026-03-03"), candidate("j1", "2026-03-01"), candidate("j2", "2026-03-02")]
    chosen = retention.select(items, keep_last=keep_last, max_bytes=max_bytes)
    assert [p.name for p in chosen] == expected


def test_bundles_still_followed_are_never_removed() -> None:
    items = [candidate("open", "", final=False), candidate("old", "2026-03-01"), candidate("new", "2026-03-02")]
    assert [p.name for p in retention.select(items, keep_last=1, max_bytes=10)] == ["old"]


def test_keep_last_counts_per_cronjob() -> None:
    items = [candidate("a1", "1", group="a"), candidate("a2", "2", group="a"), candidate("b1", "1", group="b")]
    assert [p.name for p in retention.select(items, keep_last=1, max_bytes=None)] == ["a1"]


def test_enforce_deletes_directories_under_the_root_only(tmp_path: Path) -> None:
    store = BundleStore(tmp_path / "rec")
    for index in range(3):
        directory = tmp_path / "rec" / "ns" / "cj" / f"cj-{index}"
        store.write_meta(directory, {"state": "complete", "finished_at": f"2026-03-0{index + 1}T00:00:00Z"})
        (directory / "pods.json").write_text("{}")
    following = tmp_path / "rec" / "ns" / "cj" / "cj-9"
    store.write_meta(following, {"state": "following"})
    removed = retention.enforce(store, keep_last=1, max_bytes=None)
    assert [p.name for p in removed] == ["cj-0", "cj-1"]
    assert sorted(p.name for p in (tmp_path / "rec" / "ns" / "cj").iterdir()) == ["cj-2", "cj-9"]
