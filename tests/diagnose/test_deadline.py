"""Which deadline the debug Job ran under: the CronJob's own activeDeadlineSeconds unless --timeout is given, and
the report says which applied, in every format (json: `context.deadline` and a note; text and markdown: the note).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox

OWN = "deadline: activeDeadlineSeconds 3600 (the CronJob's own; --timeout sets another)"


def _own_deadline(sandbox: Sandbox, seconds: int = 3600) -> None:
    sandbox.store.mutate("cronjobs", "tofu-state", "tf-state-backup",
                         lambda cj: cj["spec"]["jobTemplate"]["spec"].__setitem__("activeDeadlineSeconds", seconds))


def _diagnose(kubeconfig: str, bundle: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig,
                                    "--bundle", str(bundle), "--memory", "original", "--quiet", *args],
                              catch_exceptions=False)


def _deadlines_sent(sandbox: Sandbox) -> list[Any]:
    """Each created debug Job's activeDeadlineSeconds, as the API server received it."""
    return [r.body["spec"].get("activeDeadlineSeconds") for r in sandbox.requests
            if r.method == "POST" and r.path.endswith("/jobs") and r.status == 201]


def test_the_json_report_says_the_cronjobs_own_deadline_applied(sandbox: Sandbox, kubeconfig: str,
                                                                 tmp_path: Path) -> None:
    _own_deadline(sandbox)
    verdict = json.loads(_diagnose(kubeconfig, tmp_path / "b", "-o", "json").stdout)
    assert _deadlines_sent(sandbox) == [3600]
    assert verdict["context"]["deadline"] == {"seconds": 3600, "source": "the CronJob's own"}
    assert OWN in verdict["notes"]
    assert not [c for c in verdict["context"]["changes"] if c.startswith("activeDeadlineSeconds")]


def test_a_timeout_given_replaces_the_cronjobs_own_and_the_report_says_so(sandbox: Sandbox, kubeconfig: str,
                                                                          tmp_path: Path) -> None:
    _own_deadline(sandbox)
    verdict = json.loads(_diagnose(kubeconfig, tmp_path / "b", "--timeout", "10m", "-o", "json").stdout)
    assert _deadlines_sent(sandbox) == [600]
    assert verdict["context"]["deadline"] == {"seconds": 600, "source": "--timeout"}
    assert "deadline: activeDeadlineSeconds 600 (--timeout)" in verdict["notes"]
    assert "activeDeadlineSeconds 3600 -> 600 (--timeout)" in verdict["context"]["changes"]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_text_and_markdown_reports_say_which_deadline_applied(sandbox: Sandbox, kubeconfig: str, tmp_path: Path,
                                                              fmt: str) -> None:
    _own_deadline(sandbox)
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", fmt, "--no-color")
    assert result.exit_code == 1
    assert OWN in " ".join(result.stdout.split())
