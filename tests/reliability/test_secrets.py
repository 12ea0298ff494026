"""Secrets never reach the terminal, the bundle or the report: Secret-backed env values and credential
patterns are redacted (the verdict says so), --no-redact opts out, and the bundle is private (0700/0600)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox

ACCESS, SECRET = "tf-backup", "Vq3n8sLk2PzR7wYt"  # tofu-state/tf-backup-s3-creds in the incident seed


def diagnose_incident(kubeconfig: str, bundle: Path, *extra: str) -> Any:
    return CliRunner().invoke(
        app, ["diagnose", "tofu-state/tf-state-backup", "--kubeconfig", kubeconfig, "--bundle", str(bundle),
              "-o", "json", *extra], catch_exceptions=False,
    )


def everything_written(result: Any, bundle: Path) -> str:
    files = [p.read_text(errors="replace") for p in bundle.rglob("*") if p.is_file()]
    return "\n".join([result.stdout, result.stderr, *files])


def test_secret_values_are_redacted_everywhere_and_the_verdict_says_so(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    result = diagnose_incident(kubeconfig, bundle)
    assert result.exit_code == 1, result.output
    text = everything_written(result, bundle)
    assert SECRET not in text and f" {ACCESS} " not in text
    assert "<redacted:S3_ACCESS_KEY> <redacted:S3_SECRET_KEY>" in next(bundle.rglob("backup.log")).read_text()
    assert "<redacted:S3_SECRET_KEY>" in result.stderr  # the live log on the terminal
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "oom"  # redaction does not hide the evidence
    assert "redacted 2 secret values in logs and reports; --no-redact to keep them" in verdict["notes"]
    reads = [r.path for r in sandbox.requests if "/secrets" in r.path]
    assert reads == ["/api/v1/namespaces/tofu-state/secrets/tf-backup-s3-creds"]


def test_without_get_secrets_the_patterns_still_hide_the_mc_credentials(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    sandbox.deny("get", "secrets", namespace="tofu-state")
    bundle = tmp_path / "b"
    result = diagnose_incident(kubeconfig, bundle)
    assert result.exit_code == 1, result.output
    assert SECRET not in everything_written(result, bundle)
    notes = json.loads(result.stdout)["notes"]
    assert any(n.startswith("not allowed to get secrets in tofu-state") for n in notes)
    assert "redacted 2 credentials in logs and reports; --no-redact to keep them" in notes
    assert not [r for r in sandbox.requests if "/secrets/" in r.path]


def test_no_redact_keeps_the_values_and_says_so(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    result = diagnose_incident(kubeconfig, bundle, "--no-redact")
    assert f"{ACCESS} {SECRET}" in next(bundle.rglob("backup.log")).read_text()
    assert any(n.startswith("redaction off (--no-redact)") for n in json.loads(result.stdout)["notes"])
    assert not [r for r in sandbox.requests if "/secrets" in r.path]


def test_bundle_directories_are_0700_and_files_0600(sandbox: Sandbox, kubeconfig: str, tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    diagnose_incident(kubeconfig, bundle, "--memory", "original,512Mi")
    paths = [bundle, *bundle.rglob("*")]
    assert len([p for p in paths if p.is_file()]) > 10
    for path in paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path} has mode {oct(mode)}"
