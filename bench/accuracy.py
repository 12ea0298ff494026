"""How often the verdict engine names the labelled cause: over the corpus, per verdict, and split by whether the
current rules could have been tuned on a case.

Usage: python bench/accuracy.py [CORPUS_DIR] [--json]   (default tests/corpus). Reads bundles only.

A rule tuned to its own cases proves little, so each case is put in one of two groups from git history:
`seen` when the commit that added the case is the newest commit touching cronjob_doctor/rules/ or one of its
ancestors (the rules existed alongside it), `unseen` when it was added later (or is not committed yet). With
uncommitted changes under cronjob_doctor/rules/ every case counts as seen. Without git the split is not made,
and the report says so. Cases also split by kind: `synthetic` (written with the rules, tests/make_corpus.py) and
`real` (built from one public thread each; source.json says which). The first-contact figures on held-out real
cases, and how they were measured, are in docs/accuracy.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from cronjob_doctor import bundle as bundles  # noqa: E402
from cronjob_doctor.rules.base import VERDICT_IDS  # noqa: E402
from cronjob_doctor.rules.engine import analyze  # noqa: E402

RULES_DIR = "cronjob_doctor/rules"
ERROR = "error"
"""The predicted verdict of a case the engine could not read or judge (an exception)."""


@dataclass(frozen=True)
class Result:
    case: str
    kind: str
    """`synthetic` or `real`."""
    seen: bool | None
    """Whether the rules could have been tuned on it; None when git cannot tell."""
    expected: str
    expected_detail: str | None
    predicted: str
    predicted_detail: str | None
    error: str | None = None

    @property
    def verdict_ok(self) -> bool:
        return self.expected == self.predicted

    @property
    def detail_ok(self) -> bool:
        """The verdict and, when the label names one, the detail (as tests/test_corpus.py checks them)."""
        return self.verdict_ok and (not self.expected_detail or self.expected_detail == self.predicted_detail)


# ---------------------------------------------------------------------------------------------- git history


@dataclass(frozen=True)
class History:
    """What git says about the corpus: when each case came, when the rules last changed."""

    available: bool
    reason: str = ""
    head: str | None = None
    rules_commit: str | None = None
    rules_date: str | None = None
    rules_dirty: bool = False
    added: dict[str, str | None] | None = None
    """case directory name -> the commit that added it (None: not committed)."""
    seen_commits: frozenset[str] = frozenset()

    def seen(self, case: str) -> bool | None:
        if not self.available or self.added is None:
            return None
        if self.rules_dirty:
            return True
        commit = self.added.get(case)
        return commit is not None and commit in self.seen_commits


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def history(corpus: Path) -> History:
    """Read the adding commit of every case and the newest commit under cronjob_doctor/rules/."""
    try:
        top = Path(_git(corpus, "rev-parse", "--show-toplevel").strip())
    except FileNotFoundError:
        return History(False, "git is not installed")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return History(False, f"{corpus} is not in a git checkout (a tarball or a copy?)")
    try:
        head = _git(top, "rev-parse", "--short", "HEAD").strip()
        rules = _git(top, "log", "-1", "--format=%H %cI", "--", RULES_DIR).split()
        if not rules:
            return History(False, f"git has no commit touching {RULES_DIR} (a shallow clone?)")
        rules_commit, rules_date = rules[0], rules[1]
        dirty = bool(_git(top, "status", "--porcelain", "--", RULES_DIR).strip())
        relative = corpus.resolve().relative_to(top.resolve()).as_posix()
        # Oldest first: the first commit that shows a case's expected.json is the one that added the case.
        log = _git(top, "log", "--reverse", "--diff-filter=A", "--format=commit %H", "--name-only", "--",
                   f"{relative}/*/expected.json")
        seen_commits = frozenset(_git(top, "rev-list", rules_commit).split())
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, ValueError) as exc:
        return History(False, f"git could not answer: {exc}")
    added: dict[str, str | None] = {}
    commit = ""
    for line in log.splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.strip():
            name = line.strip()[len(relative) + 1:].split("/", 1)[0]
            added.setdefault(name, commit)
    return History(True, head=head, rules_commit=rules_commit, rules_date=rules_date, rules_dirty=dirty,
                   added=added, seen_commits=seen_commits)


# ---------------------------------------------------------------------------------------------- judging


def _kind(case: Path) -> str:
    try:
        source = json.loads((case / "source.json").read_text())
    except (OSError, ValueError):
        return "real"
    return "synthetic" if isinstance(source, dict) and source.get("kind") == "synthetic" else "real"


def evaluate(root: Path, hist: History | None = None) -> list[Result]:
    """One Result for every case directory with an expected.json."""
    hist = hist if hist is not None else history(root)
    out = []
    for case in sorted(p for p in root.iterdir() if (p / "expected.json").is_file()):
        expected = json.loads((case / "expected.json").read_text())
        try:
            verdict = analyze(bundles.read(case))
            predicted, detail, error = verdict.verdict, verdict.detail, None
        except Exception as exc:  # noqa: BLE001  one broken case must not hide the others' figures
            predicted, detail, error = ERROR, None, f"{type(exc).__name__}: {exc}"
        out.append(Result(case.name, _kind(case), hist.seen(case.name), expected["verdict"],
                          expected.get("detail"), predicted, detail, error))
    return out


# ---------------------------------------------------------------------------------------------- reporting


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "-"


def _group_line(name: str, results: list[Result]) -> str:
    n = len(results)
    verdicts = sum(r.verdict_ok for r in results)
    details = sum(r.detail_ok for r in results)
    return f"{name:<48}{n:>6}   {_pct(verdicts, n):<18}{_pct(details, n)}"


def _labels(results: list[Result]) -> list[str]:
    used = {r.expected for r in results} | {r.predicted for r in results}
    return [v for v in (*VERDICT_IDS, ERROR) if v in used]


def per_verdict(results: list[Result]) -> list[str]:
    pairs = Counter((r.expected, r.predicted) for r in results)
    lines = [f"{'verdict':<14}{'cases':>6}{'predicted':>11}{'precision':>11}{'recall':>8}{'+detail':>9}"]
    for label in _labels(results):
        tp = pairs[(label, label)]
        predicted = sum(n for (_, p), n in pairs.items() if p == label)
        actual = sum(n for (e, _), n in pairs.items() if e == label)
        detail = sum(1 for r in results if r.expected == label and r.detail_ok)
        precision = f"{tp / predicted:.2f}" if predicted else "-"
        recall = f"{tp / actual:.2f}" if actual else "-"
        with_detail = f"{detail / actual:.2f}" if actual else "-"
        lines.append(f"{label:<14}{actual:>6}{predicted:>11}{precision:>11}{recall:>8}{with_detail:>9}")
    return lines


def confusion(results: list[Result]) -> list[str]:
    pairs = Counter((r.expected, r.predicted) for r in results)
    labels = _labels(results)
    width = max(len(x) for x in labels) + 1
    lines = ["confusion (rows expected, columns predicted)", " " * width + "".join(f"{x[:6]:>7}" for x in labels)]
    for e in labels:
        if any(pairs[(e, p)] for p in labels):
            lines.append(f"{e:<{width}}" + "".join(f"{pairs[(e, p)] or '.':>7}" for p in labels))
    return lines


def _label(verdict: str, detail: str | None) -> str:
    return f"{verdict}/{detail}" if detail else verdict


def report(root: Path, results: list[Result], hist: History) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"{len(results)} cases in {root}, measured {now}"]
    if hist.available:
        dirty = " (with uncommitted changes: every case counts as seen)" if hist.rules_dirty else ""
        out.append(f"checkout at commit {hist.head}; rules last changed in {(hist.rules_commit or '')[:7]} "
                   f"({hist.rules_date}){dirty}")
    else:
        out.append(f"seen/unseen: cannot tell ({hist.reason}); only the split by kind is shown")
    out += ["", f"{'group':<48}{'cases':>6}   {'verdict':<18}verdict+detail",
            _group_line("all", results)]
    groups: list[tuple[str, list[Result]]] = []
    if hist.available:
        groups += [("(a) seen: added before the rules' last change", [r for r in results if r.seen]),
                   ("(b) unseen: added after it", [r for r in results if r.seen is False])]
    groups += [("synthetic", [r for r in results if r.kind == "synthetic"]),
               ("real (public threads)", [r for r in results if r.kind == "real"])]
    if hist.available:
        groups += [("real, seen", [r for r in results if r.kind == "real" and r.seen]),
                   ("real, unseen", [r for r in results if r.kind == "real" and r.seen is False])]
    out += [_group_line(name, members) for name, members in groups if members]
    out += ["", "per verdict, all cases", *per_verdict(results)]
    unseen = [r for r in results if r.seen is False]
    if unseen:
        out += ["", "per verdict, unseen cases only", *per_verdict(unseen)]
    out += ["", *confusion(results)]
    if unseen:
        out += ["", "unseen cases only:", *confusion(unseen)]
    out += ["", "first-contact figures of cases added after the rules (the held-out set): docs/accuracy.md"]
    misses = [r for r in results if not r.detail_ok]
    out += ["", f"misses ({len(misses)})" if misses else "misses: none"]
    for r in misses:
        group = "unseen" if r.seen is False else ("seen" if r.seen else "?")
        got = r.error if r.error else _label(r.predicted, r.predicted_detail)
        out.append(f"  {r.case} [{r.kind}, {group}]: expected {_label(r.expected, r.expected_detail)}, got {got}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    root = Path(args[0]) if args else ROOT / "tests" / "corpus"
    hist = history(root)
    results = evaluate(root, hist)
    if "--json" in argv:
        print(json.dumps({"history": {k: v for k, v in asdict(hist).items() if k not in ("added", "seen_commits")},
                          "results": [asdict(r) for r in results]}, indent=2))
    else:
        print(report(root, results, hist))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
