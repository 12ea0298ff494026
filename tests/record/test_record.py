"""`record` against the sandbox's CronJob controller: runs are captured before cleanup removes the evidence."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox
from tests.waiting import wait_until

from .conftest import LogTap, Running, fast_settings, wait_for_watches


def log_text_lines(path: Path) -> list[str]:
    return [line.text for line in bundle_io.LogFile(pod="", container="", path=path).lines()]


def test_oom_run_keeps_termination_and_every_log_line_after_pod_and_job_cleanup(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    tap = LogTap(sandbox)
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="tofu-state"), kube, sandbox)
    job = sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    [result] = running.wait_for(1)
    # The Job controller deleted the pod at BackoffLimitExceeded: nothing is left in the cluster but the Job.
    assert sandbox.store.list("pods", "tofu-state")[0] == []

    assert (result.job, result.outcome, result.reason) == (job, "failed", "BackoffLimitExceeded")
    assert result.verdict == "oom"
    bundle = Path(result.bundle)
    assert bundle == tmp_path / "rec" / "tofu-state" / "tf-state-backup" / job
    pods = json.loads((bundle / "pods.json").read_text())["items"]
    [pod] = pods
    status = pod["status"]["containerStatuses"][0]
    terminated = status.get("lastState", {}).get("terminated") or status["state"]["terminated"]
    assert terminated["reason"] == "OOMKilled" and terminated["exitCode"] == 137
    pod_name = pod["metadata"]["name"]
    expected = tap.all_lines("tofu-state", pod_name, "backup")
    assert len(expected) > 10
    assert log_text_lines(bundle / "logs" / pod_name / "backup.log") == expected
    assert json.loads((bundle / "meta.json").read_text())["state"] == "complete", (bundle / "meta.json").read_text()
    assert not result.partial
    assert json.loads((bundle / "verdict.json").read_text())["verdict"] == "oom"
    assert running.finish().exit_code == 130


def test_restart_mid_run_resumes_the_bundle_without_doubling_a_line(
    kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    # Slower simulated time: the run lasts several seconds, so the recorder can be stopped in the middle.
    with Sandbox(seed="incident", time_scale=0.04) as slow:
        config = slow.write_kubeconfig(tmp_path / "slow-kubeconfig")
        slow_kube = Kube.connect(kubeconfig=str(config), retry=kube.retry_policy)
        tap = LogTap(slow)
        settings = fast_settings(tmp_path / "rec", namespace="tofu-state")
        first = start_recorder(settings, slow_kube, slow)
        job = slow.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
        bundle = tmp_path / "rec" / "tofu-state" / "tf-state-backup" / job
        wait_until(lambda: any(p.stat().st_size > 0 for p in bundle.rglob("backup.log")), what="a logged line")
        assert first.finish().exit_code == 130
        meta = json.loads((bundle / "meta.json").read_text())
        assert (meta["state"], meta["interrupted"]) == ("partial", True)
        assert first.results == []

        second = start_recorder(settings, slow_kube, slow)
        [result] = second.wait_for(1)
        assert result.job == job and result.bundle == str(bundle)
        assert result.partial and result.verdict == "oom"
        [pod_dir] = (bundle / "logs").iterdir()
        assert log_text_lines(pod_dir / "backup.log") == tap.all_lines("tofu-state", pod_dir.name, "backup")
        meta = json.loads((bundle / "meta.json").read_text())
        assert (meta["state"], meta["interrupted"]) == ("partial", False)
        second.finish()

        # A third start finds the closed bundle and leaves it alone: no second bundle, no second line.
        before = (bundle / "verdict.json").read_text()
        third = start_recorder(dataclasses.replace(settings, resync_seconds=0.2), slow_kube, slow)
        third.wait_for_resyncs()
        assert third.finish().results == []
        assert (bundle / "verdict.json").read_text() == before
        assert [p.name for p in (tmp_path / "rec" / "tofu-state" / "tf-state-backup").iterdir()] == [job]


def test_a_recorder_killed_mid_run_resumes_with_every_line_once(
    kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    """SIGKILL: no cleanup, no meta update, maybe half a line on disk. The next start continues the bundle."""
    with Sandbox(seed="incident", time_scale=0.04) as slow:
        config = slow.write_kubeconfig(tmp_path / "slow-kubeconfig")
        tap = LogTap(slow)
        root = tmp_path / "rec"
        since = len(slow.received)
        child = subprocess.Popen(
            [sys.executable, "-m", "cronjob_doctor", "record", "tofu-state/tf-state-backup", "--bundle", str(root),
             "--kubeconfig", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_watches(slow, since, alive=lambda: child.poll() is None)
            job = slow.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
            bundle = root / "tofu-state" / "tf-state-backup" / job
            wait_until(lambda: any(p.stat().st_size > 0 for p in bundle.rglob("backup.log")), what="a logged line")
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        [log] = bundle.rglob("backup.log")
        with log.open("a") as handle:
            handle.write("2026-11-25T00:00:00.000000000Z + apk add --no-cache cu")  # a write cut short

        slow_kube = Kube.connect(kubeconfig=str(config), retry=kube.retry_policy)
        second = start_recorder(fast_settings(root, namespace="tofu-state"), slow_kube, slow)
        [result] = second.wait_for(1)
        assert result.job == job and result.bundle == str(bundle)
        assert result.partial and result.verdict == "oom"
        assert log_text_lines(log) == tap.all_lines("tofu-state", log.parent.name, "backup")
        meta = json.loads((bundle / "meta.json").read_text())
        assert meta["state"] == "partial"
        second.finish()


def test_a_run_that_ended_while_the_recorder_was_down_is_captured_as_partial(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    settings = fast_settings(tmp_path / "rec", namespace="ok")
    start_recorder(settings, kube, sandbox).finish()  # the root has been watched: its heartbeat is now
    job = sandbox.cluster.trigger_cronjob("ok", "log-rotate")
    wait_until(lambda: (sandbox.store.get("jobs", "ok", job).get("status") or {}).get("succeeded") == 1,
               what=f"job {job} to succeed")
    running = start_recorder(settings, kube, sandbox)
    [result] = running.wait_for(1)
    assert (result.job, result.outcome, result.verdict, result.partial) == (job, "succeeded", "success", True)
    bundle = Path(result.bundle)
    assert log_text_lines(next((bundle / "logs").rglob("log-rotate.log")))
    assert json.loads((bundle / "meta.json").read_text())["state"] == "partial"
    running.finish()


def test_runs_that_ended_before_the_root_was_ever_watched_are_not_recorded(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    # The incident seed holds five finished runs from March: history, not runs this recorder owes a bundle.
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="tofu-state", resync_seconds=0.2), kube,
                             sandbox)
    running.wait_for_resyncs()
    assert running.finish().results == []
    assert not (tmp_path / "rec" / "tofu-state").exists()


def test_watch_cuts_and_410_lose_no_run(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    tap = LogTap(sandbox)
    sandbox.faults.cut_watches_after(2)
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="tofu-state"), kube, sandbox)
    sandbox.faults.gone_once()
    job = sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    [result] = running.wait_for(1)
    sandbox.faults.reset()
    assert (result.job, result.verdict, result.partial) == (job, "oom", False)
    bundle = Path(result.bundle)
    [pod_dir] = (bundle / "logs").iterdir()
    assert log_text_lines(pod_dir / "backup.log") == tap.all_lines("tofu-state", pod_dir.name, "backup")
    running.finish()


def test_api_server_outage_is_survived_and_later_runs_are_recorded(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="ok"), kube, sandbox)

    def jobs_watch_errors() -> float:
        return running.metrics.registry.get_sample_value(
            "cronjob_doctor_record_capture_errors_total", {"kind": "watch-jobs"}) or 0.0

    sandbox.faults.down()
    # down for longer than the client's retries: the Jobs watch fails (counted), and is restarted once the server
    # is back (another watch may say "retrying" first: the Jobs watch is the one this test needs to see fail)
    wait_until(lambda: jobs_watch_errors() >= 1, what="the Jobs watch to give up on the client's retries")
    assert any("retrying" in m for m in running.logs)
    sandbox.faults.up()
    job = sandbox.cluster.trigger_cronjob("ok", "log-rotate")
    [result] = running.wait_for(1)
    assert (result.job, result.outcome) == (job, "succeeded")
    running.finish()


def test_own_debug_jobs_and_other_cronjobs_are_ignored(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    settings = fast_settings(tmp_path / "rec", namespace="ok", cronjob="log-rotate", resync_seconds=0.2)
    running = start_recorder(settings, kube, sandbox)
    sandbox.cluster.trigger_cronjob("flaky", "metrics-rollup")  # another namespace: out of scope
    job = sandbox.cluster.trigger_cronjob("ok", "log-rotate")
    [result] = running.wait_for(1)
    assert result.job == job
    running.wait_for_resyncs()
    assert [r.job for r in running.finish().results] == [job]
    assert [p.name for p in (tmp_path / "rec").iterdir() if p.is_dir()] == ["ok"]


def test_on_failure_command_gets_bundle_and_verdict(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    out = tmp_path / "hook.txt"
    command = f'echo "$CRONJOB_DOCTOR_VERDICT $CRONJOB_DOCTOR_JOB $CRONJOB_DOCTOR_BUNDLE" >> {out}'
    settings = fast_settings(tmp_path / "rec", namespace=None, selector="app in (tf-state-backup,log-rotate)",
                             on_failure=command)
    running = start_recorder(settings, kube, sandbox, environ={"PATH": "/usr/bin:/bin"})
    ok = sandbox.cluster.trigger_cronjob("ok", "log-rotate")
    failed = sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    results = running.wait_for(2)
    by_job = {r.job: r for r in results}
    assert by_job[ok].outcome == "succeeded" and by_job[failed].outcome == "failed"
    assert out.read_text().split() == ["oom", failed, by_job[failed].bundle]
    gauge = running.metrics.registry.get_sample_value(
        "cronjob_doctor_record_last_verdict", {"namespace": "tofu-state", "cronjob": "tf-state-backup",
                                               "verdict": "oom"})
    assert gauge == 1.0
    assert running.finish().exit_code == 130



def _traced_backup(sandbox: Sandbox) -> None:
    """The incident CronJob with `set -x` and room to finish: its trace expands the S3 keys, as in production."""
    cronjob = sandbox.store.get("cronjobs", "tofu-state", "tf-state-backup")
    container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["command"][2] = "set -x\n" + container["command"][2]
    container["resources"]["limits"]["memory"] = "512Mi"
    sandbox.store.update("cronjobs", cronjob)


def test_secret_values_in_a_traced_run_never_reach_the_bundle(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    _traced_backup(sandbox)
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="tofu-state"), kube, sandbox)
    sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    [result] = running.wait_for(1)
    assert result.outcome == "succeeded"
    bundle = Path(result.bundle)
    text = "".join(p.read_text() for p in bundle.rglob("*") if p.is_file())
    assert "Vq3n8sLk2PzR7wYt" not in text
    assert "<redacted:S3_SECRET_KEY>" in text
    assert any("redacted" in note for note in json.loads((bundle / "verdict.json").read_text()).get("notes", []))
    assert running.finish().exit_code == 130


def test_no_redact_keeps_the_values(
    sandbox: Sandbox, kube: Kube, tmp_path: Path, start_recorder: Callable[..., Running]
) -> None:
    _traced_backup(sandbox)
    running = start_recorder(fast_settings(tmp_path / "rec", namespace="tofu-state", redact=False), kube, sandbox)
    sandbox.cluster.trigger_cronjob("tofu-state", "tf-state-backup")
    [result] = running.wait_for(1)
    log = next(Path(result.bundle).rglob("backup.log")).read_text()
    assert "Vq3n8sLk2PzR7wYt" in log
    assert running.finish().exit_code == 130
