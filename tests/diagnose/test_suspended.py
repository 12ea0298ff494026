"""A suspended CronJob: diagnose runs it (the operator asked for it) and says it is suspended, in the report and in
the live view, with the command that resumes it as a hint; the CronJob itself is never touched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.report import markdown
from cronjob_doctor.rules.base import Verdict
from cronjob_doctor_sandbox import Sandbox

RESUME = """kubectl patch cronjob -n tofu-state tf-state-backup -p '{"spec":{"suspend":false}}'"""


def _suspend(sandbox: Sandbox) -> None:
    sandbox.store.mutate("cronjobs", "tofu-state", "tf-state-backup",
                                lambda cj: cj["spec"].__setitem__("suspend", True))


def _diagnose(kubeconfig: str, bundle: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig,
                                    "--bundle", str(bundle), *args], catch_exceptions=False)


def test_a_suspended_cronjob_is_run_and_said_to_be_suspended(sandbox: Sandbox, kubeconfig: str,
                                                              tmp_path: Path) -> None:
    _suspend(sandbox)
    before = sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")["spec"]
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", "json")
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "oom" and result.exit_code == 1, "it ran, as asked"
    assert verdict["context"]["suspended"] is True
    note = verdict["notes"][0]
    assert note.startswith("cronjob tofu-state/tf-state-backup is suspended (spec.suspend: true): its schedule "
                           "starts no Job, so any failure on record is from before it was suspended")
    assert note.endswith(f"resume it once fixed: {RESUME}")
    # the live view (stderr): a warning line, and the command whole on a line of its own
    err = result.stderr.splitlines()
    assert any(line.startswith("warning: cronjob tofu-state/tf-state-backup is suspended (spec.suspend: true)")
               for line in err)
    assert f"  {RESUME}" in err
    # a hint, not an action: the CronJob is as it was
    assert sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")["spec"] == before
    assert not [r for r in sandbox.requests if r.method != "GET" and "/cronjobs" in r.path]


def test_the_text_report_prints_the_resume_command_whole(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    _suspend(sandbox)
    result = _diagnose(kubeconfig, tmp_path / "b", "--no-color", "--quiet")
    lines = result.stdout.splitlines()
    notes = lines[lines.index("Notes") + 1:]
    assert notes[0].startswith("  - cronjob tofu-state/tf-state-backup is suspended (spec.suspend: true)")
    assert f"      {RESUME}" in notes


def test_a_cronjob_that_is_not_suspended_gets_no_such_note(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    result = _diagnose(kubeconfig, tmp_path / "b", "-o", "json", "--quiet")
    verdict = json.loads(result.stdout)
    assert verdict["context"]["suspended"] is False
    assert not [n for n in verdict["notes"] if "suspended" in n]


def test_markdown_shows_the_resume_command_as_code() -> None:
    verdict = Verdict(verdict="oom", confidence=0.9, summary="s",
                      notes=(f"cronjob tofu-state/tf-state-backup is suspended; resume it once fixed: {RESUME}",))
    text = markdown.render(verdict)
    assert f"- cronjob tofu-state/tf-state-backup is suspended; resume it once fixed: `{RESUME}`" in text
