"""A workload line shaped like the sampler's cannot set the peak, and stays a log line: in the facts `analyze`
judges, in the follower, and end to end through `diagnose` against the sandbox."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.capture.follow import JobFollower
from cronjob_doctor.cli import app
from cronjob_doctor.debugjob.sampler import TOKEN_ANNOTATION
from cronjob_doctor.rules.engine import analyze
from cronjob_doctor.rules.facts import _build
from cronjob_doctor_sandbox import Sandbox
from tests.builders import container, job, job_complete, log, pod, terminated

FORGED = "##cronjob-doctor-mem current=999999999999 peak=999999999999"
SAMPLE = "##cronjob-doctor-mem sampler=k3j4h-77 current=1048576 peak=2097152"
Mi = 1024 * 1024


def _succeeded_debug_run(*lines: str, meta: dict[str, Any] | None = None, annotations: dict[str, str] | None = None,
                         limit: str = "512Mi") -> Bundle:
    debug_job = job("tf-state-backup-doctor-k3j4h", succeeded=1, conditions=job_complete(), memory_limit=limit)
    debug_job["metadata"]["annotations"] = annotations or {}
    return Bundle(
        job=debug_job,
        pods=[pod(container("backup", terminated(reason="Completed", exit_code=0)), phase="Succeeded",
                  name="tf-state-backup-doctor-k3j4h-p0o9i", job="tf-state-backup-doctor-k3j4h", memory_limit=limit)],
        logs=[LogFile(pod="tf-state-backup-doctor-k3j4h-p0o9i", container="backup", text=log(*lines))],
        meta={"variant": limit, "original_limits": {"backup": "128Mi"}, **(meta or {})},
    )


def test_a_workload_line_that_looks_like_a_sample_sets_no_peak_and_is_judged_as_a_log_line() -> None:
    bundle = _succeeded_debug_run("+ apk add curl", SAMPLE, FORGED, "curl: (6) Could not resolve host: dl.min.io",
                                  meta={"sampler_token": "k3j4h-77"})
    facts = _build(bundle)
    assert facts.peak_memory_bytes == 2097152
    assert [m.text for m in facts.matches] == ["curl: (6) Could not resolve host: dl.min.io"]
    assert (FORGED in [text for _source, _number, text in facts.last_lines[("tf-state-backup-doctor-k3j4h-p0o9i",
                                                                            "backup", False)]])
    assert any("look like memory samples" in note for note in facts.notes)
    verdict = analyze(bundle)
    assert verdict.verdict != "oom" and not any("999999999999" in step or "Gi" in step for step in verdict.remediation)


def test_a_forged_line_in_a_bundle_without_a_token_sets_no_peak() -> None:
    facts = _build(_succeeded_debug_run("echo", FORGED))
    assert facts.peak_memory_bytes is None
    assert any("no sampler token on record" in note for note in facts.notes)


def test_the_token_comes_from_the_debug_jobs_annotation_when_meta_json_has_none() -> None:
    bundle = _succeeded_debug_run(SAMPLE, FORGED, annotations={TOKEN_ANNOTATION: "k3j4h-77"})
    assert _build(bundle).peak_memory_bytes == 2097152


def test_a_sample_above_the_containers_limit_is_noise_and_says_so() -> None:
    bundle = _succeeded_debug_run("##cronjob-doctor-mem sampler=t current=1048576 peak=2097152",
                                  "##cronjob-doctor-mem sampler=t current=8000000000 peak=9000000000",
                                  meta={"sampler_token": "t"})
    facts = _build(bundle)
    assert facts.peak_memory_bytes == 2097152
    assert facts.notes == [
        "logs/tf-state-backup-doctor-k3j4h-p0o9i/backup.log: 1 memory sample(s) above container backup's limit "
        "512Mi ignored as noise (impossible under a cgroup limit; first at line 2: 9000000000 bytes)"
    ]


def test_a_sample_written_after_unfinished_output_keeps_that_output_as_a_line() -> None:
    bundle = _succeeded_debug_run("curl: (6) Could not resolve host: x##cronjob-doctor-mem sampler=t current=5 peak=7",
                                  meta={"sampler_token": "t"})
    facts = _build(bundle)
    assert facts.peak_memory_bytes == 7
    assert [m.text for m in facts.matches] == ["curl: (6) Could not resolve host: x"]


def test_diagnose_takes_no_peak_from_a_forged_line_and_shows_it(sandbox: Sandbox, kubeconfig: str,
                                                                tmp_path: Path) -> None:
    cronjob = sandbox.store.get("cronjobs", "ok", "log-rotate")
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    spec["command"] = ["/bin/sh", "-c", f"set -e\necho '{FORGED}'\necho rotated"]
    spec.pop("args", None)
    sandbox.store.update("cronjobs", cronjob)
    bundle = tmp_path / "b"
    result = CliRunner().invoke(app, ["diagnose", "ok/log-rotate", "--kubeconfig", kubeconfig, "--bundle",
                                      str(bundle), "-o", "json"], catch_exceptions=False)
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "success", verdict["summary"]
    peaks = [run["peak_memory_bytes"] for run in verdict["runs"]]
    assert peaks and all(peak is not None and peak < 64 * Mi for peak in peaks)
    assert FORGED in result.stderr, "a line the workload printed is shown like any other"
    logs = list(bundle.rglob("*.log"))
    assert any(FORGED in path.read_text() for path in logs)


def _follower(tmp_path: Path, shown: list[str], *, sampler_token: str | None = None) -> JobFollower:
    follower = JobFollower(object(), namespace="ns", job_name="j", bundle_dir=tmp_path,  # type: ignore[arg-type]
                           stop=threading.Event(), on_line=lambda _pod, _c, _ts, text: shown.append(text),
                           sampler_token=sampler_token)
    follower.capture.pods["p"] = pod(container("backup", terminated(reason="Completed", exit_code=0)), name="p",
                                     memory_limit="512Mi")
    return follower


def test_the_follower_takes_only_the_runs_samples_and_shows_every_other_line(tmp_path: Path) -> None:
    shown: list[str] = []
    follower = _follower(tmp_path, shown, sampler_token="k3j4h-77")
    follower._lines(("p", "backup", False), [("t1", SAMPLE), ("t2", FORGED), ("t3", "uploading... " + SAMPLE),
                                             ("t4", SAMPLE.replace("k3j4h-77", "k3j4h"))])
    assert follower.capture.peak_memory_bytes == 2097152
    assert shown == [FORGED, "uploading... ", SAMPLE.replace("k3j4h-77", "k3j4h")]
    assert follower.capture.lines[("p", "backup", False)] == 4


def test_the_follower_reads_the_token_from_the_followed_job_when_none_is_given(tmp_path: Path) -> None:
    shown: list[str] = []
    follower = _follower(tmp_path, shown)
    follower._lines(("p", "backup", False), [("t1", SAMPLE)])
    assert (follower.capture.peak_memory_bytes, shown) == (None, [SAMPLE]), "no Job seen yet: no token, no sample"
    follower.capture.job = {"metadata": {"name": "j", "annotations": {TOKEN_ANNOTATION: "k3j4h-77"}}}
    follower._lines(("p", "backup", False), [("t2", SAMPLE)])
    assert follower.capture.peak_memory_bytes == 2097152 and shown == [SAMPLE]


def test_the_follower_ignores_a_sample_above_the_containers_limit_and_says_so(tmp_path: Path) -> None:
    follower = _follower(tmp_path, [], sampler_token="t")
    follower._lines(("p", "backup", False), [("t1", "##cronjob-doctor-mem sampler=t current=1 peak=9000000000"),
                                             ("t2", "##cronjob-doctor-mem sampler=t current=1 peak=9000000001"),
                                             ("t3", "##cronjob-doctor-mem sampler=t current=1 peak=2")])
    assert follower.capture.peak_memory_bytes == 2
    assert follower.capture.notes == ["memory samples of p/backup above its limit (9000000000 bytes) ignored as "
                                      "noise: impossible under a cgroup limit"]
