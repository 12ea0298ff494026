"""Helpers for the reliability tests: a Kube with a short retry budget, diagnose.run with hooks that arm
faults at a chosen moment, and readers of what the sandbox saw and what the bundle holds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cronjob_doctor.bundle import LogFile
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor_sandbox import Sandbox

MANAGED = ("app.kubernetes.io/managed-by", "cronjob-doctor")
SHORT = RetryPolicy(attempts=4, max_seconds=1.5, wait_initial=0.05, wait_max=1.0)
"""Enough to ride out a burst of 3 failures or a Retry-After of 1 s; gives up on an outage in ~1 s."""


@pytest.fixture
def kube(sandbox: Sandbox, kubeconfig: str) -> Iterator[Kube]:
    client = Kube.connect(kubeconfig, retry=SHORT)
    try:
        yield client
    finally:
        client.close()


def run_diagnose(
    kube: Kube,
    target: str,
    bundle: Path,
    *,
    on_created: Callable[[], None] | None = None,
    on_line: Callable[[int], None] | None = None,
    **flags: Any,
) -> diagnose.Outcome:
    """diagnose.run as the CLI calls it; `on_created` runs once the first debug Job exists, `on_line(n)` at
    every displayed log line (n counts from 1), both on the flow's own threads."""
    seen = [0]

    def note(text: str) -> None:
        if text.startswith("created job") and on_created is not None:
            on_created()

    def log_line(pod: str, container: str, ts: str, text: str) -> None:
        seen[0] += 1
        if on_line is not None:
            on_line(seen[0])

    settings = DiagnoseSettings.from_flags(target=target, bundle=str(bundle), **flags)
    hooks = diagnose.Hooks(note=note, log_line=log_line)
    return diagnose.run(settings, kube=kube, hooks=hooks, now=datetime.now(timezone.utc), command="test")


def debug_jobs(sandbox: Sandbox, namespace: str | None = None) -> list[dict[str, Any]]:
    jobs, _ = sandbox.store.list("jobs", namespace)
    return [j for j in jobs if (j["metadata"].get("labels") or {}).get(MANAGED[0]) == MANAGED[1]]


def pods_of(sandbox: Sandbox, namespace: str, job: str) -> list[str]:
    pods, _ = sandbox.store.list("pods", namespace)
    return [p["metadata"]["name"] for p in pods if (p["metadata"].get("labels") or {}).get("job-name") == job]


def captured_lines(bundle: Path, pod: str, container: str) -> list[str]:
    """The log lines in the bundle, without the kubelet timestamps (what the container wrote)."""
    path = bundle / "logs" / pod / f"{container}.log"
    return [line.text for line in LogFile(pod=pod, container=container, path=path).lines()]


def assert_bundle_readable(root: Path) -> None:
    """Every JSON file parses, no temp file is left, and the reader accepts the directory."""
    from cronjob_doctor import bundle as bundle_io

    assert not list(root.rglob("*.tmp")), "a temp file of an interrupted write was left"
    for path in root.rglob("*.json"):
        json.loads(path.read_text())
    bundle_io.read(root)
