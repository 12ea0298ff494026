"""`analyze` over 1,000 recorded bundles: the labelled corpus (tests/corpus) copied round-robin into 1,000
bundle directories, each read from disk and judged by the analyze flow in one process. Target <= 10 s.

Usage: python bench/analyze_many.py [--bundles N] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, Figure, print_table

from cronjob_doctor.analyze import flow as analyze

CORPUS = ROOT / "tests" / "corpus"


def make_bundles(root: Path, count: int) -> list[Path]:
    """`count` bundle directories on disk, cycling through the corpus cases (verdict.json files dropped)."""
    cases = sorted(p for p in CORPUS.iterdir() if p.is_dir())
    out = []
    for index in range(count):
        target = root / f"bundle-{index:04d}"
        shutil.copytree(cases[index % len(cases)], target, ignore=shutil.ignore_patterns("expected.json",
                                                                                         "verdict.json"))
        out.append(target)
    return out


def run(bundles: int = 1000, runs: int = 3) -> list[Figure]:
    root = Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    try:
        paths = make_bundles(root, bundles)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            for path in paths:
                analyze.run(analyze.AnalyzeSettings(bundle=path))
            samples.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    per = [s / bundles * 1000 for s in samples]
    return [Figure(f"analyze {bundles} bundles (one process)", "s", samples, 10.0),
            Figure("analyze, per bundle", "ms", per)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv[1:])
    print_table("analyze", run(args.bundles, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
