"""Shared fixtures: no test may reach a real cluster, and any test can get a running sandbox and its kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cronjob_doctor_sandbox import Sandbox


@pytest.fixture(autouse=True)
def _no_real_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """KUBECONFIG could point at a real cluster; every test runs without it."""
    monkeypatch.delenv("KUBECONFIG", raising=False)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """The simulated cluster with the incident seed, controllers running, on a random loopback port."""
    running = Sandbox(seed="incident").start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kubeconfig(sandbox: Sandbox, tmp_path: Path) -> str:
    """A kubeconfig for `sandbox` (context `sandbox`, user `sandbox-user`), as a path string."""
    return str(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))
