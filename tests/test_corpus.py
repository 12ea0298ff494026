"""Every labelled bundle in tests/corpus/ gets the verdict (and detail, and runner-up) its expected.json names."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cronjob_doctor import bundle
from cronjob_doctor.rules.base import VERDICT_IDS
from cronjob_doctor.rules.engine import analyze

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def _expected(case: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((case / "expected.json").read_text())
    return data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Path) -> None:
    expected = _expected(case)
    verdict = analyze(bundle.read(case))
    assert not [note for note in verdict.notes if "failed on this bundle" in note], "a rule raised"
    assert verdict.verdict == expected["verdict"], verdict.summary
    if expected.get("detail"):
        assert verdict.detail == expected["detail"]
    if expected.get("runner_up"):
        others = [f.verdict for f in verdict.findings[1:]]
        assert others and others[0] == expected["runner_up"]
    if verdict.verdict not in ("success", "unknown"):
        assert verdict.evidence and verdict.remediation


def test_corpus_covers_every_verdict_at_least_four_times() -> None:
    counts = Counter(_expected(c)["verdict"] for c in CASES)
    assert len(CASES) >= 60
    assert {v: counts[v] for v in VERDICT_IDS if counts[v] < 4} == {}
