"""The operator conventions every command keeps: NO_COLOR / --no-color, --help with exit codes, --version,
80 columns in a pipe, `-o yaml`, and `-n` defaulting to the kubeconfig context's namespace.

Commands run through typer's CliRunner (stdout is a pipe there, as in `cronjob-doctor ... | less`), against
saved bundles or the sandbox. FORCE_COLOR makes rich colour a pipe, standing in for a terminal, so the colour
tests see the codes appear without the flag and vanish with it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from cronjob_doctor import __version__
from cronjob_doctor.cli import app
from cronjob_doctor.report.parts import is_code_line
from cronjob_doctor_sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
INCIDENT_BUNDLE = ROOT / "tests" / "corpus" / "incident-128mi-oomkilled-during-kubectl-download"
NETWORK_BUNDLE = ROOT / "tests" / "corpus" / "network-dns-curl-6-dl-min-io"
INCIDENT_MANIFEST = ROOT / "examples" / "incident" / "tf-state-backup-cronjob.yaml"
ANSI = re.compile(r"\x1b\[")

runner = CliRunner()


def _commands() -> list[str]:
    """Every registered command, so a command added later is held to the same conventions."""
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def _invoke(args: list[str], **env: str) -> tuple[int, str]:
    result = runner.invoke(app, args, env=env)
    return result.exit_code, result.stdout


def _widest(text: str) -> int:
    """The widest line of prose: commands, Dockerfile lines and lint's field paths (`at:`) are printed whole."""
    return max((len(line) for line in text.splitlines() if not _printed_whole(line.strip())), default=0)


def _printed_whole(line: str) -> bool:
    return is_code_line(line) or line.startswith("at: ")


# --- colour -----------------------------------------------------------------------------------------------


def test_forced_colour_shows_ansi_codes_so_the_no_colour_tests_can_fail() -> None:
    code, out = _invoke(["analyze", str(INCIDENT_BUNDLE)], FORCE_COLOR="1")
    assert code == 1
    assert ANSI.search(out)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["analyze", "--no-color"], {}),
        (["--no-color", "analyze"], {}),
        (["analyze"], {"NO_COLOR": "1"}),
    ],
    ids=["command flag", "global flag", "NO_COLOR"],
)
def test_no_colour_gives_no_escape_codes_at_all(args: list[str], env: dict[str, str]) -> None:
    code, out = _invoke([*args, str(INCIDENT_BUNDLE)], FORCE_COLOR="1", **env)
    assert code == 1
    assert "VERDICT: oom" in out
    assert not ANSI.search(out), "bold and dim are escape codes too"


def test_no_colour_also_covers_lint() -> None:
    code, out = _invoke(["lint", "--no-color", "-f", str(INCIDENT_MANIFEST)], FORCE_COLOR="1")
    assert code == 1
    assert out.strip()
    assert not ANSI.search(out)


# --- help, version ------------------------------------------------------------------------------------------


def test_every_documented_command_is_registered() -> None:
    assert {"analyze", "demo", "diagnose", "history", "lint", "scan"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_help_exits_0_and_lists_the_exit_codes(command: str) -> None:
    code, out = _invoke([command, "--help"], COLUMNS="80")
    assert code == 0
    flat = " ".join(out.split())
    assert "Exit codes:" in flat
    assert "0 " in flat and "2 usage" in flat and "70 internal error" in flat
    if command != "demo":  # the demo's cluster is its own, in process
        assert "3 cannot reach or use the cluster" in flat


def test_top_level_help_lists_the_exit_codes_and_the_formats() -> None:
    code, out = _invoke(["--help"], COLUMNS="80")
    flat = " ".join(out.split())
    assert code == 0
    assert "Exit codes:" in flat and "130 interrupted" in flat
    assert "text, json, yaml or markdown" in flat


def test_version_prints_the_package_version() -> None:
    code, out = _invoke(["--version"])
    assert code == 0
    assert out.strip() == f"cronjob-doctor {__version__}"


# --- 80 columns in a pipe -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle", [INCIDENT_BUNDLE, NETWORK_BUNDLE], ids=lambda p: p.name)
def test_analyze_text_fits_80_columns_in_a_pipe(bundle: Path) -> None:
    code, out = _invoke(["analyze", str(bundle)], COLUMNS="80")
    assert code == 1
    assert "VERDICT:" in out
    assert _widest(out) <= 80


def test_lint_text_fits_80_columns_in_a_pipe() -> None:
    code, out = _invoke(["lint", "-f", str(INCIDENT_MANIFEST)], COLUMNS="80")
    assert code == 1
    assert _widest(out) <= 80


def test_history_and_scan_text_fit_80_columns_in_a_pipe(kubeconfig: str) -> None:
    code, history = _invoke(["history", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig], COLUMNS="80")
    assert code in (0, 1), history
    assert "tf-state-backup" in history
    assert _widest(history) <= 80
    code, scan = _invoke(["scan", "-A", "--kubeconfig", kubeconfig], COLUMNS="80")
    assert code in (0, 1), scan
    assert "tf-state-backup" in scan
    assert _widest(scan) <= 80


def test_diagnose_report_fits_80_columns_in_a_pipe(kubeconfig: str, tmp_path: Path) -> None:
    args = ["diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig, "--quiet",
            "--memory", "original", "--bundle", str(tmp_path / "bundle")]
    code, out = _invoke(args, COLUMNS="80")
    assert code == 1, out
    assert "VERDICT: oom" in out
    assert _widest(out) <= 80


# --- output formats -----------------------------------------------------------------------------------------


def test_yaml_output_is_the_json_document() -> None:
    code, as_yaml = _invoke(["analyze", "-o", "yaml", str(INCIDENT_BUNDLE)])
    assert code == 1
    code, as_json = _invoke(["analyze", "-o", "json", str(INCIDENT_BUNDLE)])
    assert code == 1
    document, same = yaml.safe_load(as_yaml), json.loads(as_json)
    # Only "what ran" differs: the command line itself names the format.
    assert document["context"].pop("command").endswith("--output yaml")
    assert same["context"].pop("command").endswith("--output json")
    assert document == same
    assert document["verdict"] == "oom"


def test_global_output_flag_applies_to_the_command() -> None:
    code, out = _invoke(["-o", "yaml", "analyze", str(NETWORK_BUNDLE)])
    assert code == 1
    assert yaml.safe_load(out)["verdict"] == "network"


def test_markdown_output_is_plain_text_without_escape_codes() -> None:
    code, out = _invoke(["analyze", "-o", "markdown", str(INCIDENT_BUNDLE)], FORCE_COLOR="1")
    assert code == 1
    assert out.startswith("## cronjob-doctor")
    assert "### Root cause" in out and "### Fix" in out
    assert not ANSI.search(out)


# --- namespaces ---------------------------------------------------------------------------------------------


def test_a_bare_name_takes_the_kubeconfig_contexts_namespace(sandbox: Sandbox, tmp_path: Path) -> None:
    config = str(sandbox.write_kubeconfig(tmp_path / "kubeconfig", namespace="tofu-state"))
    code, out = _invoke(["history", "tf-state-backup", "--kubeconfig", config, "-o", "json"])
    assert code in (0, 1), out
    assert "tofu-state" in out


def test_namespace_flag_overrides_the_context(sandbox: Sandbox, tmp_path: Path) -> None:
    config = str(sandbox.write_kubeconfig(tmp_path / "kubeconfig", namespace="default"))
    code, out = _invoke(["history", "tf-state-backup", "-n", "tofu-state", "--kubeconfig", config, "-o", "json"])
    assert code in (0, 1), out
    assert "tofu-state" in out


def test_a_bare_name_in_the_wrong_namespace_is_not_found(sandbox: Sandbox, tmp_path: Path) -> None:
    config = str(sandbox.write_kubeconfig(tmp_path / "kubeconfig", namespace="default"))
    code, _ = _invoke(["history", "tf-state-backup", "--kubeconfig", config])
    assert code == 3
