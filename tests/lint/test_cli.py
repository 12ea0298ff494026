"""`cronjob-doctor lint` through typer's CliRunner: files, stdin, formats, --severity, exit codes, live."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app

ROOT = Path(__file__).resolve().parents[2]
INCIDENT = str(ROOT / "examples" / "incident" / "tf-state-backup-cronjob.yaml")
FIXED = str(ROOT / "examples" / "fixed" / "tf-state-backup-cronjob.yaml")
DATA = ROOT / "tests" / "data" / "lint"


def _lint(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, ["lint", *args], input=stdin)


def test_incident_flags_downloads_memory_deadline_and_history() -> None:
    result = _lint("-f", INCIDENT)
    assert result.exit_code == 1
    for check in ("memory-below-downloads", "runtime-download", "active-deadline-missing", "failed-history-short",
                  "restart-on-failure", "secret-in-command"):
        assert check in result.stdout
    assert "CronJob tofu-state/tf-state-backup" in result.stdout
    assert "above the 128Mi limit" in " ".join(result.stdout.split())  # rich wraps at 80 columns
    assert "1 error, 7 warnings, 2 info in 1 object" in result.stdout


def test_field_paths_and_fix_commands_are_never_wrapped_and_no_line_ends_in_spaces() -> None:
    """At 80 columns (CliRunner's width, as in a pipe) the prose wraps, but a wrapped command does not paste."""
    result = _lint("-f", INCIDENT)
    lines = result.stdout.splitlines()
    assert "at:  spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory (line 57)" in (
        line.strip() for line in lines)
    assert "cronjob-doctor diagnose tofu-state/tf-state-backup --memory 512Mi" in (line.strip() for line in lines)
    assert not [line for line in lines if line != line.rstrip()]
    assert max(len(line) for line in lines if "at:" not in line and "cronjob-doctor" not in line) <= 80


def test_fixed_example_passes() -> None:
    result = _lint("-f", FIXED)
    assert result.exit_code == 0, result.stdout
    assert "no findings" in result.stdout


def test_stdin_and_several_files() -> None:
    text = Path(INCIDENT).read_text()
    result = _lint("-f", "-", "-f", FIXED, "-o", "json", stdin=text)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(o["source"], o["findings"]) for o in report["objects"]] == [("-", 10), (FIXED, 0)]


def test_json_output() -> None:
    result = _lint("-f", INCIDENT, "-o", "json")
    report = json.loads(result.stdout)
    assert report["summary"] == {"error": 1, "warning": 7, "info": 2, "objects": 1, "threshold": "info",
                                 "exit_code": 1}
    memory = next(f for f in report["findings"] if f["check"] == "memory-below-downloads")
    assert memory["object"] == {"kind": "CronJob", "namespace": "tofu-state", "name": "tf-state-backup"}
    assert memory["path"] == "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory"
    assert memory["line"] == 57


def test_sarif_output() -> None:
    from tests.lint.test_sarif import validate

    result = _lint("-f", INCIDENT, "-o", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    validate(log)
    assert len(log["runs"][0]["results"]) == 10


def test_global_output_flag_applies() -> None:
    result = CliRunner().invoke(app, ["-o", "json", "lint", "-f", FIXED])
    assert json.loads(result.stdout)["findings"] == []


def test_markdown_output() -> None:
    result = _lint("-f", INCIDENT, "-o", "markdown")
    assert "## CronJob tofu-state/tf-state-backup" in result.stdout
    assert "| error | `memory-below-downloads` |" in result.stdout


@pytest.mark.parametrize(("severity", "counts"), [("warning", (1, 7, 0)), ("error", (1, 0, 0))])
def test_severity_threshold_hides_lower_findings_and_keeps_the_exit_code(severity: str,
                                                                         counts: tuple[int, int, int]) -> None:
    result = _lint("-f", INCIDENT, "--severity", severity, "-o", "json")
    summary = json.loads(result.stdout)["summary"]
    assert (summary["error"], summary["warning"], summary["info"]) == counts
    assert result.exit_code == 1


def test_warnings_alone_exit_0() -> None:
    result = _lint("-f", str(DATA / "helm-output.yaml"), "--skip", "ttl-too-short")
    assert result.exit_code == 0
    assert "script-no-pipefail" in result.stdout


def test_malformed_yaml_exits_2_with_file_and_line() -> None:
    result = _lint("-f", str(DATA / "malformed.yaml"))
    assert result.exit_code == 2
    assert "malformed.yaml:14:12: malformed YAML" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "does-not-exist.yaml"], "no such file"),
        (["-f", str(DATA / "no-workloads.yaml")], "no CronJob or Job found"),
        (["-f", INCIDENT, "--skip", "no-such-check"], "unknown check id"),
        (["-f", INCIDENT, "tofu-state/tf-state-backup"], "not both"),
        ([], "either NAMESPACE/NAME or -f FILE"),
    ],
)
def test_usage_and_input_errors_exit_2(args: list[str], message: str) -> None:
    result = _lint(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_list_checks() -> None:
    result = _lint("--list-checks")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split()[:2] == ["schedule-invalid", "error"]


def test_lint_file_does_not_import_kubernetes() -> None:
    code = (
        "import sys\nfrom cronjob_doctor.cli import main\nsys.argv = ['cronjob-doctor', 'lint', '-f', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('kubernetes' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, FIXED], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_live_cronjob_is_read_through_the_cluster_client(mocker: Any) -> None:
    import yaml

    manifest = yaml.safe_load(Path(INCIDENT).read_text())

    class FakeKube:
        default_namespace = "tofu-state"

        def get_cronjob(self, namespace: str, name: str) -> dict[str, Any]:
            assert (namespace, name) == ("tofu-state", "tf-state-backup")
            return manifest

    connect = mocker.patch("cronjob_doctor.cli.common.connect", return_value=FakeKube())
    result = _lint("-n", "tofu-state", "tf-state-backup", "-o", "json", "--context", "prod")
    assert result.exit_code == 1
    assert connect.call_args.args[0].context == "prod"
    report = json.loads(result.stdout)
    assert report["objects"][0]["source"] == "cronjob/tofu-state/tf-state-backup"
    assert {f["check"] for f in report["findings"]} >= {"memory-below-downloads", "failed-history-short"}
