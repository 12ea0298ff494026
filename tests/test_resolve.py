"""The CronJob a name means (resolve.py): the CronJob, its Job, a Job the controller already pruned, or a
did-you-mean — through diagnose and history against the sandbox."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox

runner = CliRunner()


def test_history_of_a_pruned_job_falls_back_to_its_cronjob_and_says_so(kubeconfig: str) -> None:
    result = runner.invoke(app, ["history", "tofu-state/tf-state-backup-29999999", "--kubeconfig", kubeconfig,
                                 "-o", "json"])
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["cronjob"] == "tofu-state/tf-state-backup"
    assert any("tf-state-backup-29999999 is gone (pruned by the CronJob controller)" in n for n in report["notes"])


def test_diagnose_dry_run_of_a_pruned_job_clones_its_cronjob(sandbox: Sandbox, kubeconfig: str) -> None:
    result = runner.invoke(app, ["diagnose", "tofu-state/tf-state-backup-29999999", "--dry-run",
                                 "--kubeconfig", kubeconfig])
    assert result.exit_code == 0, result.stderr
    assert "cronjob-doctor/source: tf-state-backup" in result.stdout


def test_a_typo_gets_a_did_you_mean(kubeconfig: str) -> None:
    result = runner.invoke(app, ["history", "tofu-state/tf-state-bakup", "--kubeconfig", kubeconfig])
    assert result.exit_code == 3
    assert "hint: did you mean: cronjob-doctor history tofu-state/tf-state-backup" in result.stderr


def test_a_namespace_typo_gets_a_did_you_mean(kubeconfig: str) -> None:
    result = runner.invoke(app, ["diagnose", "tofu-stat/tf-state-backup", "--kubeconfig", kubeconfig])
    assert result.exit_code == 3
    assert "namespace tofu-stat does not exist; did you mean: tofu-state" in result.stderr


def test_scan_of_a_namespace_without_cronjobs_says_so_and_suggests_all_namespaces(kubeconfig: str) -> None:
    result = runner.invoke(app, ["scan", "--kubeconfig", kubeconfig])  # the context's namespace: default
    assert result.exit_code == 0
    assert "note: no CronJobs in namespace default (the context's namespace)" in result.stderr
    assert "hint: scan every namespace: cronjob-doctor scan -A" in result.stderr
    typo = runner.invoke(app, ["scan", "-n", "tofu-stat", "--kubeconfig", kubeconfig])
    assert "namespace tofu-stat does not exist; did you mean: tofu-state" in typo.stderr
