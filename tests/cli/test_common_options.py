"""The common options declared once: before or after the command name, refused where they do not apply, and a
crash that can never pass for a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from pytest_mock import MockerFixture
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.cli.common import INTERNAL_ERROR
from cronjob_doctor_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
NETWORK_BUNDLE = ROOT / "tests" / "corpus" / "network-dns-curl-6-dl-min-io"
runner = CliRunner()


def test_namespace_before_the_command_name_is_the_commands(kubeconfig: str) -> None:
    before = runner.invoke(app, ["--kubeconfig", kubeconfig, "-n", "tofu-state", "history", "tf-state-backup",
                                 "-o", "json"])
    after = runner.invoke(app, ["history", "tf-state-backup", "-n", "tofu-state", "--kubeconfig", kubeconfig,
                                "-o", "json"])
    assert before.exit_code == after.exit_code == 1, before.stderr
    assert json.loads(before.stdout)["cronjob"] == json.loads(after.stdout)["cronjob"] == "tofu-state/tf-state-backup"


def test_the_command_position_wins_over_the_global_one(kubeconfig: str) -> None:
    result = runner.invoke(app, ["-n", "nope", "--kubeconfig", kubeconfig, "history", "tf-state-backup",
                                 "-n", "tofu-state", "-o", "json"])
    assert json.loads(result.stdout)["cronjob"] == "tofu-state/tf-state-backup"


def test_output_before_the_command_is_honoured() -> None:
    result = runner.invoke(app, ["-o", "yaml", "analyze", str(NETWORK_BUNDLE)])
    assert yaml.safe_load(result.stdout)["verdict"] == "network"


def test_an_output_format_the_command_does_not_write_is_refused_before_any_work(sandbox: Sandbox,
                                                                                kubeconfig: str) -> None:
    for args in (["-o", "sarif", "history", "tofu-state/tf-state-backup"],
                 ["record", "tofu-state/tf-state-backup", "-o", "yaml", "--once"],
                 ["-o", "markdown", "record", "-A"]):
        result = runner.invoke(app, ["--kubeconfig", kubeconfig, *args])
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and "-o" in result.stderr
    assert sandbox.requests == []


def test_cluster_flags_on_an_offline_command_are_refused() -> None:
    result = runner.invoke(app, ["-n", "tofu-state", "analyze", str(NETWORK_BUNDLE)])
    assert result.exit_code == 2
    assert "analyze does not talk to a cluster" in result.stderr


def test_an_unexpected_exception_exits_70_not_1(mocker: MockerFixture) -> None:
    mocker.patch("cronjob_doctor.analyze.flow.run", side_effect=RuntimeError("boom"))
    result = runner.invoke(app, ["analyze", str(NETWORK_BUNDLE)])
    assert result.exit_code == INTERNAL_ERROR
    assert result.stderr.splitlines()[0] == "error: internal error: RuntimeError: boom"
    assert "Traceback" not in result.stderr
    with_debug = runner.invoke(app, ["--debug", "analyze", str(NETWORK_BUNDLE)])
    assert with_debug.exit_code == INTERNAL_ERROR
    assert "Traceback" in with_debug.stderr


def test_help_lists_the_commands_in_the_order_an_operator_needs_them() -> None:
    group = typer.main.get_command(app)
    assert list(group.commands)[:2] == ["diagnose", "history"]  # type: ignore[attr-defined]


def test_help_metavars_say_what_goes_there() -> None:
    text = " ".join(runner.invoke(app, ["diagnose", "--help"], env={"COLUMNS": "200"}).stdout.split())
    for metavar in ("NS/NAME", "--memory SIZE[,SIZE...]", "--timeout DURATION", "--bundle DIR", "--runs N"):
        assert metavar in text


def test_demo_exits_0_when_it_ran_as_designed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--quiet", "--bundle", str(tmp_path / "b"), "-o", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "oom"
    assert "found `oom` as designed, so it exits 0" in result.stderr
    assert f"next: cronjob-doctor analyze {tmp_path / 'b'}" in result.stderr
