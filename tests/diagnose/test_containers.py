"""`diagnose` of a CronJob with two containers, end to end against the sandbox (seed `containers`): `backup` (128Mi)
is OOMKilled at about 170Mi, `prep` (1Gi) peaks at about 550Mi and is fine. Each container's peak is judged
against its own limit, the verdict names the container killed, and the default raise never lowers `prep`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor.diagnose.flow import variants
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor_sandbox import Sandbox

MI = 1024 * 1024
TARGET = "multi/state-export"


@pytest.fixture
def sandbox_seed() -> str:
    return "containers"


def diagnose(kubeconfig: str, bundle: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(app, ["diagnose", TARGET, "--kubeconfig", kubeconfig, "-o", "json",
                                      "--bundle", str(bundle), "--quiet", *args], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def limits_sent(sandbox: Sandbox) -> list[dict[str, str]]:
    """Each created debug Job's memory limit per container, as the API server received it."""
    bodies = [r.body for r in sandbox.requests if r.method == "POST" and r.path.endswith("/jobs") and r.status == 201]
    return [{c["name"]: c.get("resources", {}).get("limits", {}).get("memory")
             for c in body["spec"]["template"]["spec"]["containers"]} for body in bodies]


def test_the_killed_container_is_named_and_judged_by_its_own_peak_and_limit(kubeconfig: str, tmp_path: Path) -> None:
    code, verdict, _ = diagnose(kubeconfig, tmp_path / "b", "--memory", "original")
    assert code == 1
    assert (verdict["verdict"], verdict["detail"]) == ("oom", "container")
    assert "container backup was OOMKilled" in verdict["summary"]
    # backup's own peak (just under its 128Mi when it was killed), not prep's 549Mi
    assert verdict["summary"].endswith("measured peak 127.3Mi vs limit 128Mi"), verdict["summary"]
    assert '"name":"backup","resources":{"limits":{"memory":"192Mi"}}' in " ".join(verdict["remediation"])
    assert not any("prep" in item for item in verdict["remediation"])
    run = verdict["runs"][0]
    assert (run["container"], run["reason"], run["memory_limit"]) == ("backup", "OOMKilled", "128Mi")
    assert run["memory_limit_by_container"] == {"backup": "128Mi", "prep": "1Gi"}
    peaks = run["peak_memory_by_container"]
    assert 120 * MI < peaks["backup"] <= 128 * MI and 500 * MI < peaks["prep"] < 1024 * MI
    assert run["peak_memory_bytes"] == peaks["prep"], "the one number stays the highest of all"
    meta = json.loads((tmp_path / "b" / "meta.json").read_text())
    assert meta["peak_memory_by_container"] == peaks
    assert meta["memory_limits"] == {"backup": "128Mi", "prep": "1Gi"}
    # analyze on the bundle gives the same answer from what diagnose wrote
    again = json.loads(CliRunner().invoke(app, ["analyze", str(tmp_path / "b"), "-o", "json"]).stdout)
    assert (again["verdict"], again["summary"]) == (verdict["verdict"], verdict["summary"])


def test_the_default_raise_keeps_the_1gi_container_and_judges_backup_against_128mi(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    code, verdict, _ = diagnose(kubeconfig, tmp_path / "b")
    assert limits_sent(sandbox) == [{"backup": "512Mi", "prep": "1Gi"}]
    assert code == 1
    run = verdict["runs"][0]
    assert (run["variant"], run["outcome"]) == ("512Mi", "succeeded"), "prep was not lowered to 512Mi and killed"
    assert (verdict["verdict"], verdict["detail"]) == ("oom", "container")
    assert "container backup measured peak" in verdict["summary"] and "vs limit 128Mi" in verdict["summary"]
    assert '"name":"backup"' in " ".join(verdict["remediation"])
    assert ("container prep: memory limit 1Gi kept (the default raise to 512Mi never lowers a limit)"
            in verdict["context"]["changes"])
    # analyze on the run's bundle judges the raised run against each container's original limit, as diagnose did
    again = json.loads(CliRunner().invoke(app, ["analyze", str(tmp_path / "b"), "-o", "json"]).stdout)
    assert (again["verdict"], again["summary"]) == (verdict["verdict"], verdict["summary"])


def test_a_size_given_still_applies_and_the_report_says_what_it_did(kubeconfig: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["diagnose", TARGET, "--memory", "original,512Mi", "--kubeconfig", kubeconfig,
                                      "--bundle", str(tmp_path / "b"), "-o", "markdown"], catch_exceptions=False)
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert "— oom" in text and "container backup was OOMKilled" in text
    # the runs table: each container's own peak against its own limit, and whose the reason is
    assert "| OOMKilled (backup) | 137 | backup 127.3Mi / 128Mi (99%); prep 549.3Mi / 1Gi (54%) |" in text
    assert "| OOMKilled (prep) | 137 |" in text
    assert "Original memory limits: backup `128Mi`, prep `1Gi`" in text
    # analyze on the bundle root reads each run's per-container peaks and limits back from its meta.json
    again = json.loads(CliRunner().invoke(app, ["analyze", str(tmp_path / "b"), "-o", "json"]).stdout)
    assert [(r["container"], r["reason"]) for r in again["runs"]] == [("backup", "OOMKilled"), ("prep", "OOMKilled")]
    assert again["runs"][1]["memory_limit_by_container"] == {"backup": "512Mi", "prep": "512Mi"}
    assert set(again["runs"][1]["peak_memory_by_container"]) == {"backup", "prep"}
    # prep's kill under the 512Mi it was given is the debug run's doing, and the live view said it was lowered
    assert "below its own limit 1Gi" in text
    assert "container prep: memory limit 1Gi -> 512Mi (lowered: --memory asked for it)" in " ".join(
        result.stderr.split())


def test_the_default_variant_is_a_raise_and_a_size_given_is_not() -> None:
    default = variants(DiagnoseSettings.from_flags(target=TARGET), 128 * MI)
    assert [(v.name, v.memory_bytes, v.raise_only) for v in default] == [("512Mi", 512 * MI, True)]
    given = variants(DiagnoseSettings.from_flags(target=TARGET, memory="original,256Mi"), 128 * MI)
    assert [(v.name, v.memory_bytes, v.raise_only) for v in given] == [("original (128Mi)", None, False),
                                                                        ("256Mi", 256 * MI, False)]
