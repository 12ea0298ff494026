"""Per-verdict precision/recall and the confusion matrix of the engine over the labelled corpus.

Usage: python bench/accuracy.py [CORPUS_DIR]   (default tests/corpus). Reads bundles only; prints a table.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from cronjob_doctor import bundle as bundles
from cronjob_doctor.rules.base import VERDICT_IDS
from cronjob_doctor.rules.engine import analyze


def evaluate(root: Path) -> list[tuple[str, str, str, bool]]:
    """(case, expected, predicted, detail_ok) for every case directory with an expected.json."""
    out = []
    for case in sorted(p for p in root.iterdir() if (p / "expected.json").is_file()):
        expected = json.loads((case / "expected.json").read_text())
        verdict = analyze(bundles.read(case))
        detail_ok = "detail" not in expected or expected["detail"] == verdict.detail
        out.append((case.name, expected["verdict"], verdict.verdict, detail_ok))
    return out


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "tests" / "corpus"
    results = evaluate(root)
    pairs = Counter((e, p) for _, e, p, _ in results)
    labels = [v for v in VERDICT_IDS if any(v in (e, p) for e, p in pairs)]
    print(f"{len(results)} cases in {root}\n")
    print(f"{'verdict':<14}{'cases':>6}{'precision':>11}{'recall':>8}")
    for label in labels:
        tp = pairs[(label, label)]
        predicted = sum(n for (e, p), n in pairs.items() if p == label)
        actual = sum(n for (e, p), n in pairs.items() if e == label)
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        print(f"{label:<14}{actual:>6}{precision:>11.2f}{recall:>8.2f}")
    correct = sum(1 for _, e, p, _ in results if e == p)
    details = sum(1 for _, e, p, d in results if e == p and d)
    print(f"\naccuracy {correct}/{len(results)} = {correct / len(results):.2f}; verdict+detail {details}/"
          f"{len(results)}\n")
    width = max(len(x) for x in labels) + 1
    print("confusion (rows expected, columns predicted)")
    print(" " * width + "".join(f"{x[:6]:>7}" for x in labels))
    for e in labels:
        print(f"{e:<{width}}" + "".join(f"{pairs[(e, p)] or '.':>7}" for p in labels))
    wrong = [(c, e, p) for c, e, p, d in results if e != p or not d]
    if wrong:
        print("\nmisses:")
        for c, e, p in wrong:
            print(f"  {c}: expected {e}, got {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
