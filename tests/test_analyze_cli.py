"""`cronjob-doctor analyze` end to end through typer's CliRunner: formats, exit codes, input errors, --write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from cronjob_doctor import bundle
from cronjob_doctor.cli import app
from cronjob_doctor.rules.engine import analyze

CORPUS = Path(__file__).parent / "corpus"
INCIDENT = CORPUS / "incident-128mi-oomkilled-during-kubectl-download"
runner = CliRunner()


def test_text_report_names_verdict_step_and_fix() -> None:
    result = runner.invoke(app, ["analyze", str(INCIDENT), "--no-color"])
    assert result.exit_code == 1
    assert "oom" in result.stdout
    assert "OOMKilled" in result.stdout
    assert "kubectl patch cronjob tf-state-backup -n tofu-state" in result.stdout


def test_json_equals_verdict_to_dict() -> None:
    result = runner.invoke(app, ["analyze", str(INCIDENT), "-o", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    expected = analyze(bundle.read(INCIDENT)).to_dict()
    expected["context"] = {
        "bundle": str(INCIDENT),
        "target": "tofu-state/tf-state-backup",
        "command": f"cronjob-doctor analyze {INCIDENT} --output json",
    }
    assert data == expected


def test_markdown_report() -> None:
    result = runner.invoke(app, ["analyze", str(INCIDENT), "-o", "markdown"])
    assert result.exit_code == 1
    assert "oom" in result.stdout and "192Mi" in result.stdout


def test_success_exits_zero() -> None:
    result = runner.invoke(app, ["analyze", str(CORPUS / "success-plain"), "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["verdict"] == "success"


def test_malformed_json_exits_2_naming_file_and_position(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text('{"kind": "Pod",\n "metadata": {,}}')
    result = runner.invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2
    assert "pods.json" in result.stderr
    assert "line 2 column" in result.stderr


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_empty_directory_is_unknown_with_capture_hint(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", str(tmp_path), "-o", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["verdict"] == "unknown"
    assert any("cronjob-doctor diagnose" in r for r in data["remediation"])


def test_write_saves_verdict_json_private(tmp_path: Path) -> None:
    target = tmp_path / "bundle"
    shutil.copytree(INCIDENT, target)
    result = runner.invoke(app, ["analyze", str(target), "--write", "-o", "json"])
    assert result.exit_code == 1
    written = target / "verdict.json"
    assert json.loads(written.read_text()) == json.loads(result.stdout)
    assert written.stat().st_mode & 0o777 == 0o600


def test_analyze_of_the_bundle_root_diagnose_wrote_gives_diagnoses_verdict(tmp_path: Path) -> None:
    """Several variants write one bundle per run under the root; analyze of the root judges them together."""
    from typer.testing import CliRunner

    from cronjob_doctor.cli import app

    runner = CliRunner()
    demo = runner.invoke(app, ["demo", "-q", "-o", "json", "--bundle", str(tmp_path / "root")])
    assert demo.exit_code == 0, demo.stderr
    diagnosed = json.loads(demo.stdout)
    assert sorted(p.name for p in (tmp_path / "root").iterdir() if p.is_dir()) == [
        "512Mi-run1", "failed-jobs", "original-run1"]
    again = runner.invoke(app, ["analyze", str(tmp_path / "root"), "-o", "json"])
    assert again.exit_code == 1, again.stderr
    analyzed = json.loads(again.stdout)
    for key in ("verdict", "detail", "confidence", "summary"):
        assert analyzed.get(key) == diagnosed.get(key), key
    assert [r["variant"] for r in analyzed["runs"]] == [r["variant"] for r in diagnosed["runs"]]
