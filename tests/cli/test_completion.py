"""Shell completion completes namespaces and CronJob names from the cluster, and never fails the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cronjob_doctor.cli import app
from cronjob_doctor.cli.completion import complete_target, namespaces
from cronjob_doctor_sandbox import Sandbox


def _context(kubeconfig: str, **params: Any) -> typer.Context:
    command = typer.main.get_command(app)
    root = typer.Context(command, info_name="cronjob-doctor")
    root.params = {"kubeconfig": kubeconfig}
    ctx = typer.Context(command, parent=root, info_name="diagnose")
    ctx.params = dict(params)
    return ctx


def test_namespaces_complete_from_the_cluster(kubeconfig: str) -> None:
    assert namespaces(_context(kubeconfig), "tofu") == ["tofu-state"]


def test_a_namespace_and_slash_complete_to_its_cronjobs(kubeconfig: str) -> None:
    assert complete_target(_context(kubeconfig), "tofu-state/tf") == ["tofu-state/tf-state-backup"]


def test_a_bare_prefix_completes_cronjobs_of_the_n_namespace_and_namespaces(kubeconfig: str) -> None:
    found = complete_target(_context(kubeconfig, namespace="ok"), "")
    assert "log-rotate" in found and "tofu-state/" in found


def test_an_unreachable_cluster_completes_nothing_and_quickly(tmp_path: Path) -> None:
    sandbox = Sandbox(seed=None, controllers=False)
    config = str(sandbox.write_kubeconfig(tmp_path / "kubeconfig"))  # never started: nothing listens there
    assert complete_target(_context(config), "tofu") == []
    assert namespaces(_context(config), "") == []
