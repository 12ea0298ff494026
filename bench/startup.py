"""Start-up cost: `cronjob-doctor --help` and `lint -f FILE` in fresh processes, which modules they import and
what `python -X importtime` blames.

Usage: python bench/startup.py [--runs N]. Targets: --help <= 0.25 s, lint -f <= 0.4 s, and neither loads the
kubernetes client (only commands that talk to a cluster may).
"""

from __future__ import annotations

import argparse
import re
import sys

from common import CLI, ROOT, Figure, child_env, print_table, run_child

SCRIPT = str(ROOT / ".venv" / "bin" / "cronjob-doctor")
LINT_FILE = str(ROOT / "examples" / "incident" / "tf-state-backup-cronjob.yaml")
COMMANDS = {
    "--help": ([SCRIPT, "--help"], 0.25),
    "--version": ([SCRIPT, "--version"], None),
    "lint -f FILE": ([SCRIPT, "lint", "-f", LINT_FILE], 0.4),
    "analyze BUNDLE": ([SCRIPT, "analyze", str(ROOT / "tests" / "corpus" / "oom-incident-128mi")], None),
}


def import_profile(args: list[str]) -> list[tuple[str, int, int]]:
    """(module, self µs, cumulative µs) from `python -X importtime`, for one command line."""
    result = run_child([CLI[0], "-X", "importtime", *CLI[1:], *args], env=child_env())
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((match.group(3) + match.group(4), int(match.group(1)), int(match.group(2))))
    return rows


def loads_kubernetes(args: list[str]) -> bool:
    return any(name.strip() == "kubernetes" for name, _, _ in import_profile(args))


def top_offenders(args: list[str], count: int = 8) -> list[tuple[str, int]]:
    """Packages (first dotted part) by the import time of all their modules (self time summed, so nested
    imports are charged to the package that owns them, not to whoever imported it first), the biggest first."""
    totals: dict[str, int] = {}
    for name, self_us, _cumulative in import_profile(args):
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0) + self_us
    return sorted(totals.items(), key=lambda item: -item[1])[:count]


def run(runs: int = 7) -> tuple[list[Figure], list[str]]:
    """The figures, and text lines for RESULTS.md (import checks and offenders)."""
    figures = []
    env = child_env()
    for label, (args, target) in COMMANDS.items():
        run_child(args, env=env)  # warm the page cache and the bytecode cache once
        samples = [run_child(args, env=env).seconds for _ in range(runs)]
        figures.append(Figure(f"`cronjob-doctor {label}` wall", "s", samples, target))
    lines = []
    for label in ("--help", "lint -f FILE", "analyze BUNDLE"):
        args = COMMANDS[label][0][1:]
        lines.append(f"- `{label}` imports the kubernetes client: {'**yes**' if loads_kubernetes(args) else 'no'}")
    for label in ("--help", "lint -f FILE"):
        args = COMMANDS[label][0][1:]
        offenders = ", ".join(f"{name} {micros / 1000:.1f} ms" for name, micros in top_offenders(args))
        lines.append(f"- `python -X importtime -m cronjob_doctor {label}`, import time per package: {offenders}")
    return figures, lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    figures, lines = run(parser.parse_args(argv[1:]).runs)
    print_table("Start-up", figures)
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
