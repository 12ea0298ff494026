"""`cronjob-doctor record` and `history --bundles` through the CLI, against the sandbox."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cronjob_doctor.cli import app
from cronjob_doctor_sandbox import Sandbox

from .conftest import wait_for_watches


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize(
    "args",
    [
        ["record", "tofu-state/tf-state-backup", "-A"],
        ["record", "tofu-state/tf-state-backup", "--selector", "app=x"],
        ["record", "-A", "-n", "ok"],
        ["record", "-n", "ok", "--max-bytes", "lots"],
        ["record", "-n", "ok", "--duration", "soon"],
        ["record", "-n", "ok", "--keep-last", "0"],
    ],
)
def test_bad_input_exits_2(args: list[str], kubeconfig: str) -> None:
    assert invoke(*args, "--kubeconfig", kubeconfig).exit_code == 2


def test_unreachable_cluster_at_start_exits_3(tmp_path: Path) -> None:
    sandbox = Sandbox(seed=None, controllers=False)
    config = sandbox.write_kubeconfig(tmp_path / "kubeconfig")  # never started: nothing listens there
    result = invoke("record", "-n", "ok", "--kubeconfig", str(config), "--bundle", str(tmp_path / "rec"))
    assert result.exit_code == 3
    assert "error:" in result.stderr


def test_once_prints_one_json_line_and_history_shows_the_recorded_verdict(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    root = tmp_path / "rec"
    outcome: list[Any] = []
    since = len(sandbox.received)
    thread = threading.Thread(target=lambda: outcome.append(invoke(
        "record", "tofu-state/tf-state-backup", "--once", "-o", "json", "--bundle", str(root),
        "--kubeconfig", kubeconfig)))
    thread.start()
    wait_for_watches(sandbox, since, alive=thread.is_alive)  # the run is one that starts after record did
    job = sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    thread.join(60)
    [result] = outcome
    assert result.exit_code == 1, result.output  # the recorded run failed
    [line] = result.stdout.splitlines()
    data = json.loads(line)
    assert (data["job"], data["verdict"], data["outcome"]) == (job, "oom", "failed")

    # The pod is gone from the cluster; history still names the root cause from the bundle.
    assert sandbox.store.list("pods", "tofu-state")[0] == []
    shown = invoke("history", "tofu-state/tf-state-backup", "--bundles", str(root), "-o", "json",
                   "--kubeconfig", kubeconfig)
    runs = {r["job"]: r for r in json.loads(shown.stdout)["runs"]}
    assert runs[job]["verdict"]["verdict"] == "oom"
    # never both "pods gone, evidence lost" and a verdict: the record holds the evidence
    assert runs[job]["recorded"] is True and runs[job]["evidence_lost"] is False
    text = invoke("history", "tofu-state/tf-state-backup", "--bundles", str(root), "--kubeconfig", kubeconfig,
                  "--limit", "0")
    squeezed = " ".join(text.stdout.split())
    assert f"{job} (recorded): oom" in squeezed
    assert "recorded: a record bundle holds its pods' statuses and logs" in squeezed
    without = invoke("history", "tofu-state/tf-state-backup", "-o", "json", "--kubeconfig", kubeconfig)
    assert {r["job"]: r for r in json.loads(without.stdout)["runs"]}[job]["verdict"] is None


def test_once_waits_for_a_run_that_starts_after_it_and_says_it_caught_up_an_earlier_one(
    sandbox: Sandbox, kubeconfig: str, tmp_path: Path
) -> None:
    from tests.waiting import wait_until

    root = tmp_path / "rec"
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    template = json.loads(json.dumps(cronjob["spec"]["jobTemplate"]))
    template["spec"]["template"]["metadata"].setdefault("annotations", {})["sandbox.cronjob-doctor.io/scenario"] = (
        "hang"
    )
    earlier = "log-rotate-29000000"
    sandbox.store.create("jobs", {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": earlier, "namespace": "ok", "labels": {"app": "log-rotate"},
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "log-rotate",
                                          "uid": cronjob["metadata"]["uid"], "controller": True}]},
        "spec": template["spec"],
    })
    wait_until(lambda: sandbox.store.list("pods", "ok")[0], what="the earlier run's pod")
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(invoke(
        "record", "ok/log-rotate", "--once", "-o", "json", "--bundle", str(root), "--kubeconfig", kubeconfig)))
    thread.start()
    wait_until(lambda: (root / "ok" / "log-rotate" / earlier / "meta.json").exists(),
               what="record following the earlier run")
    sandbox.store.delete("jobs", "ok", earlier)  # it ends without finishing: record closes it, --once waits on
    meta = root / "ok" / "log-rotate" / earlier / "meta.json"
    wait_until(lambda: json.loads(meta.read_text()).get("state") != "following", what="the earlier run closed")
    later = sandbox.cluster.trigger_cronjob("ok", "log-rotate")
    thread.join(60)
    [result] = outcome
    assert result.exit_code == 0, result.output
    jobs = [json.loads(line)["job"] for line in result.stdout.splitlines()]
    assert jobs[-1] == later
    assert f"caught up ok/{earlier}, a run that started before record did" in result.stderr


def test_the_metrics_server_listens_on_loopback_unless_told_otherwise(kubeconfig: str, tmp_path: Path) -> None:
    result = invoke("record", "ok/log-rotate", "--metrics-port", "0", "--duration", "1s", "--bundle",
                    str(tmp_path / "rec"), "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.output
    assert "record: metrics on http://127.0.0.1:" in result.stderr
    opened = invoke("record", "ok/log-rotate", "--metrics-port", "0", "--metrics-address", "0.0.0.0",
                    "--duration", "1s", "--bundle", str(tmp_path / "rec2"), "--kubeconfig", kubeconfig)
    assert "record: metrics on http://0.0.0.0:" in opened.stderr
