"""Shared report pieces: remediation split into prose and code, safe text, runner-ups, run table cells."""

from __future__ import annotations

import pytest

from cronjob_doctor.report.parts import Block, clean, remediation_blocks, runner_ups
from cronjob_doctor.report.runs import headers, peak_vs_limit, rows
from cronjob_doctor.rules.base import DebugRun, Finding, Verdict

MI = 1024**2


@pytest.mark.parametrize(
    ("item", "blocks"),
    [
        ("Bake mc and kubectl into the image.", (Block("prose", "Bake mc and kubectl into the image."),)),
        (
            "Note: downloads run on every schedule.",
            (Block("prose", "Note: downloads run on every schedule."),),
        ),
        (
            "kubectl -n ns set resources cronjob/x --limits=memory=256Mi",
            (Block("code", "kubectl -n ns set resources cronjob/x --limits=memory=256Mi", "sh"),),
        ),
        ("RUN apk add --no-cache curl", (Block("code", "RUN apk add --no-cache curl", "dockerfile"),)),
        (
            "Set the limit:\nresources:\n  limits:\n    memory: 256Mi",
            (
                Block("prose", "Set the limit:"),
                Block("code", "resources:\n  limits:\n    memory: 256Mi", "yaml"),
            ),
        ),
        (
            "resources:\n  limits:\n    memory: 256Mi",
            (Block("code", "resources:\n  limits:\n    memory: 256Mi", "yaml"),),
        ),
        (
            "Add retries:\ncurl --retry 5 --max-time 120 -fsSLO https://dl.min.io/mc",
            (
                Block("prose", "Add retries:"),
                Block("code", "curl --retry 5 --max-time 120 -fsSLO https://dl.min.io/mc", "sh"),
            ),
        ),
        (
            "Mirror the binaries.\nServe them from MinIO.",
            (Block("prose", "Mirror the binaries. Serve them from MinIO."),),
        ),
        ("", ()),
    ],
)
def test_remediation_blocks(item: str, blocks: tuple[Block, ...]) -> None:
    assert remediation_blocks(item) == blocks


def test_clean_strips_escapes_and_controls_but_keeps_tabs_and_newlines() -> None:
    assert clean("a\x1b[31mred\x1b[0m\tb\r\nc\x07\x1b]0;title\x07d") == "ared\tb\ncd"


def test_runner_ups_drop_the_winner() -> None:
    top, other = Finding("oom", 0.9, "top"), Finding("network", 0.4, "other")
    assert runner_ups(Verdict.from_finding(top, (top, other))) == (other,)
    assert runner_ups(Verdict("unknown", 0.0, "nothing", findings=(other,))) == (other,)


@pytest.mark.parametrize(
    ("peak", "limit", "cell"),
    [
        (182 * MI, "512Mi", "182Mi / 512Mi (36%)"),
        (None, "128Mi", "- / 128Mi"),
        (190_000_000, "256Mi", "181.2Mi / 256Mi (71%)"),
        (64 * MI, None, "64Mi / no limit"),
        (64 * MI, "lots", "64Mi / lots"),
    ],
)
def test_peak_vs_limit(peak: int | None, limit: str | None, cell: str) -> None:
    run = DebugRun(job="j", variant="v", memory_limit=limit, outcome="succeeded", peak_memory_bytes=peak)
    assert peak_vs_limit(run) == cell


def test_runs_are_numbered_within_their_variant() -> None:
    runs = [DebugRun(job=f"j{i}", variant=v, memory_limit=None, outcome="failed") for i, v in enumerate("aab")]
    assert [row[:2] for row in rows(runs)] == [("a", "1"), ("a", "2"), ("b", "1")]
    assert "Verdict" not in headers(runs)
