"""`cronjob-doctor demo` end to end in a fresh process: simulated cluster start, the incident's two debug Jobs
(128Mi and 512Mi) followed into bundles, verdict, clean-up. Target <= 15 s.

Usage: python bench/demo.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from common import CLI, Figure, child_env, print_table, run_child


def run(runs: int = 3) -> list[Figure]:
    walls, rss = [], []
    for _ in range(runs):
        root = Path(tempfile.mkdtemp(prefix="bench-demo-"))
        try:
            result = run_child([*CLI, "demo", "-q", "--bundle", str(root / "bundle")], env=child_env(), timeout=120)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"demo exited {result.returncode}: {result.stderr[-2000:]}")
        walls.append(result.seconds)
        rss.append(result.max_rss_mb)
    return [Figure("`demo -q` end to end", "s", walls, 15.0), Figure("`demo -q` peak RSS", "MB", rss)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    print_table("demo", run(parser.parse_args(argv[1:]).runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
