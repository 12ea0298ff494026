"""`scan -A` on a generated cluster (100 namespaces, 2,000 CronJobs, 20,000 Jobs, 5,000 pods), side by side with
`kubectl get cronjobs,jobs,pods -A -o json` against the same sandbox when kubectl is installed.

The sandbox runs in this process (seed `large`, no controllers, so nothing changes between runs); the commands
run as child processes. Reported: wall time and peak RSS of each, the requests scan makes (at two cluster sizes,
to show they follow the object count through pagination, not the CronJob count), and the sandbox's share: the
CPU time this process spent serving, over the child's wall time.
Usage: python bench/scan.py [--runs N]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from common import CLI, Figure, child_env, print_table, run_child

from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.seeds import generate_large


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _sandbox(namespaces: int, pods: int) -> Sandbox:
    sandbox = Sandbox(seed=None, controllers=False)
    generate_large(sandbox.store, namespaces=namespaces, pods=pods)
    return sandbox.start()


def measure(args: list[str], sandbox: Sandbox, runs: int) -> tuple[list[float], list[float], list[float], int]:
    """(wall seconds, peak RSS MB, sandbox share) per run, and the requests of one run."""
    walls, rss, shares = [], [], []
    requests = 0
    for _ in range(runs):
        before_requests = len(sandbox.requests)
        cpu = _cpu()
        result = run_child(args, env=child_env(), timeout=300)
        if result.returncode not in (0, 1):
            raise RuntimeError(f"{args} exited {result.returncode}: {result.stderr[-2000:]}")
        shares.append((_cpu() - cpu) / result.seconds * 100)
        walls.append(result.seconds)
        rss.append(result.max_rss_mb)
        requests = len(sandbox.requests) - before_requests
    return walls, rss, shares, requests


def run(runs: int = 3) -> tuple[list[Figure], list[str]]:
    figures: list[Figure] = []
    lines: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="bench-scan-"))
    try:
        small = _sandbox(namespaces=25, pods=1250)
        try:
            config = small.write_kubeconfig(root / "small")
            _w, _r, _s, small_requests = measure([*CLI, "scan", "-A", "-o", "json", "--kubeconfig", str(config)],
                                                 small, 1)
        finally:
            small.stop()
        sandbox = _sandbox(namespaces=100, pods=5000)
        try:
            config = sandbox.write_kubeconfig(root / "large")
            counts = {k: sandbox.store.count(k) for k in ("cronjobs", "jobs", "pods")}
            lines.append(f"- cluster: {counts['cronjobs']} CronJobs, {counts['jobs']} Jobs, {counts['pods']} pods, "
                         "100 namespaces")
            scan_args = [*CLI, "scan", "-A", "-o", "json", "--kubeconfig", str(config)]
            walls, rss, shares, requests = measure(scan_args, sandbox, runs)
            figures += [Figure("`scan -A -o json` wall", "s", walls, 5.0),
                        Figure("`scan -A` peak RSS", "MB", rss, 300.0),
                        Figure("`scan -A` sandbox share (server CPU / wall)", "%", shares)]
            lines.append(f"- requests made by scan -A: {requests} with 2,000 CronJobs, {small_requests} with 500 "
                         "(three paginated lists, 500 items a page: they grow with objects / 500, never one per "
                         "CronJob)")
            kubectl = shutil.which("kubectl")
            if kubectl:
                k_args = [kubectl, "--kubeconfig", str(config), "get", "cronjobs,jobs,pods", "-A", "-o", "json"]
                k_walls, k_rss, k_shares, k_requests = measure(k_args, sandbox, runs)
                figures += [Figure("`kubectl get cronjobs,jobs,pods -A -o json` wall", "s", k_walls),
                            Figure("kubectl peak RSS", "MB", k_rss),
                            Figure("kubectl sandbox share", "%", k_shares)]
                ratios = [w / k for w, k in zip(sorted(walls), sorted(k_walls), strict=False)]
                figures.append(Figure("scan -A / kubectl wall ratio", "x", ratios, 1.5))
                lines.append(f"- requests made by kubectl: {k_requests}")
            else:
                lines.append("- kubectl not installed: no side-by-side figure")
        finally:
            sandbox.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return figures, lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    figures, lines = run(parser.parse_args(argv[1:]).runs)
    print_table("scan -A on a large cluster", figures)
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
