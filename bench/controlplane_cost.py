"""The cost of one diagnose on a real kube-apiserver: requests by verb and resource, from its audit log.

Usage: scripts/controlplane up; python bench/controlplane_cost.py   (prints a table; needs the control plane)

It runs `diagnose --memory original,512Mi` on a CronJob that is OOMKilled at 128Mi (kwok Stages), once with
1-second runs and once with 20-second runs, and counts the admin user's requests in the audit log (policy
level Metadata, every request) about that namespace, plus the access reviews. A request loop that grows with
time shows as a difference between the two.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.controlplane import helpers  # noqa: E402  (the control plane's own helpers)


def _key(event: dict[str, object]) -> str:
    ref = event.get("objectRef") or {}
    assert isinstance(ref, dict)
    resource = str(ref.get("resource", "?")) + (f"/{ref['subresource']}" if ref.get("subresource") else "")
    return f"{event['verb']} {resource}"


def main(argv: list[str]) -> int:
    from kubernetes import client, config

    state = json.loads((helpers.state_dir() / "run" / "state.json").read_text())
    kubeconfig = state["kubeconfig"]
    api = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api)
    namespace = f"bench-cost-{int(time.time())}"
    core.create_namespace({"metadata": {"name": namespace}})
    helpers.wait_for(lambda: core.read_namespaced_service_account("default", namespace), what="the namespace")
    logs_file = helpers.write_cri_log(Path(tempfile.mkdtemp()) / "log", ["+ /bin/task", "working", "done"])
    helpers.create_cluster_logs(api, helpers.cluster_logs_manifest(namespace, logs_file, namespaces=[namespace]))
    print("| run | wall | requests | by verb and resource |")
    print("|---|---|---|---|")
    try:
        for name, duration in (("short", "1s"), ("long", "20s")):
            helpers.create_cronjob(api, namespace, name, "oom-below-threshold", memory_limit="128Mi",
                                   oom_below="256Mi", run_duration=duration)
            since = dt.datetime.now(dt.timezone.utc)
            started = time.monotonic()
            env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
            result = subprocess.run(
                [sys.executable, "-m", "cronjob_doctor", "diagnose", f"{namespace}/{name}", "--memory",
                 "original,512Mi", "-q", "-o", "json", "--bundle", tempfile.mkdtemp(), "--kubeconfig", kubeconfig],
                capture_output=True, text=True, env=env, cwd=ROOT, check=False)
            wall = time.monotonic() - started
            time.sleep(1)  # the audit log is written asynchronously by the apiserver's batch backend
            events = helpers.audited(helpers.state_dir() / "logs", namespace, since=since)
            counts = Counter(_key(e) for e in events)
            detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            print(f"| {duration} runs, verdict {json.loads(result.stdout)['verdict']} | {wall:.1f} s | "
                  f"{len(events)} | {detail} |")
    finally:
        helpers.delete_cluster_logs(api, namespace)
        core.delete_namespace(namespace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
