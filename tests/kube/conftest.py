"""Fixtures for kube/ tests: a sandbox without controllers (only the test writes objects) and a Kube on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cronjob_doctor.kube.client import Kube, RetryPolicy
from cronjob_doctor_sandbox import Sandbox
from tests.builders import namespace

FAST = RetryPolicy(attempts=3, max_seconds=2, wait_initial=0, wait_max=0)


@pytest.fixture
def bare() -> Iterator[Sandbox]:
    """An empty sandbox (one namespace), no controllers or kubelet: the test decides every state."""
    running = Sandbox(seed=None, controllers=False).start()
    running.store.create("namespaces", namespace())
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kube(bare: Sandbox, tmp_path: Path) -> Iterator[Kube]:
    """A Kube on `bare` with a retry policy that never sleeps."""
    path = bare.write_kubeconfig(tmp_path / "kubeconfig")
    client = Kube.connect(str(path), retry=FAST)
    try:
        yield client
    finally:
        client.close()
