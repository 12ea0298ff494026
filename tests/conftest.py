"""Shared fixtures: no test may reach a real cluster, and any test can get a running sandbox and its kubeconfig."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cronjob_doctor_sandbox import Sandbox


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """pyproject's addopts run the suite on pytest-xdist workers; without the plugin (`pytest -p no:xdist`) its
    options are accepted and ignored, so the same command runs the suite serially."""
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist", "pytest-xdist is disabled: its options are ignored")
        group.addoption("--numprocesses", help="ignored: pytest-xdist is disabled")
        group.addoption("--dist", help="ignored: pytest-xdist is disabled")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The opt-in suites share one external cluster each (and make their namespaces once per session): on
    pytest-xdist workers, each suite runs on one worker, one test after the other."""
    for item in items:
        for suite in ("cluster", "controlplane"):
            if item.get_closest_marker(suite) is not None:
                item.add_marker(pytest.mark.xdist_group(suite))


@pytest.fixture(autouse=True)
def _no_real_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """KUBECONFIG could point at a real cluster; every test runs without it."""
    monkeypatch.delenv("KUBECONFIG", raising=False)


@pytest.fixture
def sandbox_seed() -> str:
    """The seed `sandbox` starts from: a test module overrides this fixture to start from another."""
    return "incident"


@pytest.fixture
def sandbox(sandbox_seed: str) -> Iterator[Sandbox]:
    """The simulated cluster with the incident seed, controllers running, on a random loopback port."""
    running = Sandbox(seed=sandbox_seed).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def kubeconfig(sandbox: Sandbox, tmp_path: Path) -> str:
    """A kubeconfig for `sandbox` (context `sandbox`, user `sandbox-user`), as a path string."""
    return str(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))
