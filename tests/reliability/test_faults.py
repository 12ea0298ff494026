"""Transient API faults during a run change nothing: the same verdict, and the complete log — every line the
container wrote, once, in order, compared with what the sandbox's kubelet recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cronjob_doctor.kube.client import Kube
from cronjob_doctor_sandbox import Sandbox
from cronjob_doctor_sandbox.testing.faults import Faults
from tests.waiting import wait_until

from .conftest import captured_lines, debug_jobs, pods_of, run_diagnose

NS = "tofu-state"
FAULTS: dict[str, Callable[[Faults], None]] = {
    "429-with-retry-after": lambda f: f.fail_next(2, 429, retry_after=1),
    "500-burst": lambda f: f.fail_next(3, 500),
    "503-burst-on-log-streams": lambda f: f.fail_next(3, 503, path_contains="/log"),
    "503-burst-on-watches": lambda f: f.fail_next(3, 503, path_contains="/pods"),
    "every-watch-cut-after-1-event": lambda f: f.cut_watches_after(1),
    "log-stream-cut-after-1-line": lambda f: f.cut_logs_after(1),
    "log-stream-cut-after-7-lines": lambda f: f.cut_logs_after(7),
    "log-stream-cut-after-40-lines": lambda f: f.cut_logs_after(40),
    "log-stream-ended-cleanly-after-3-lines": lambda f: f.end_logs_after(3),
    "log-stream-ended-cleanly-after-40-lines": lambda f: f.end_logs_after(40),
    "410-gone-on-the-next-watch": lambda f: f.gone_once(),
}


def assert_complete_log(sandbox: Sandbox, bundle: Path, job: str) -> None:
    pods = pods_of(sandbox, NS, job)
    assert pods, "the kept debug Job has its pod"
    for pod in pods:
        written = sandbox.logs.written(NS, pod, "backup")
        assert len(written) > 50
        # exactly what the container wrote: nothing lost, nothing doubled, nothing reordered
        assert captured_lines(bundle, pod, "backup") == written


def arm(sandbox: Sandbox, fault: str) -> Callable[[], None]:
    """What to do once the debug Job exists: arm the fault, and hold the simulated cluster (its one loop thread)
    until the capture watches the Job, its pods and events. On a loaded machine the short run could otherwise
    be over before those watches list, and the fault would meet no stream of the run."""
    def armed() -> None:
        FAULTS[fault](sandbox.faults)
        since = len(sandbox.received)

        def watching() -> bool:
            return {"jobs", "pods", "events"} <= {sandbox.watched(r) for r in sandbox.received[since:]}

        assert sandbox.cluster is not None
        sandbox.cluster.post(lambda: wait_until(watching, what="the capture's watches"))

    return armed


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_faults_mid_run_keep_the_verdict_and_every_log_line(
    fault: str, sandbox: Sandbox, kube: Kube, tmp_path: Path
) -> None:
    bundle = tmp_path / "b"
    outcome = run_diagnose(
        kube, f"{NS}/tf-state-backup", bundle, keep=True, redact=False, on_created=arm(sandbox, fault)
    )
    assert outcome.verdict is not None
    assert outcome.verdict.verdict == "oom", outcome.verdict.summary
    assert not outcome.partial, outcome.verdict.notes
    assert [r.outcome for r in outcome.verdict.runs] == ["succeeded"]
    (job,) = debug_jobs(sandbox, NS)
    assert_complete_log(sandbox, bundle, job["metadata"]["name"])
    # the fault really happened during the run
    if fault.startswith(("429", "500", "503")):
        assert [r for r in sandbox.requests if r.status == int(fault[:3])]
    elif "cut" in fault:
        assert sandbox.faults.cuts >= 1
    elif "ended-cleanly" in fault:
        assert sandbox.faults.ends >= 1
    else:
        assert sandbox.faults.take_gone() is False, "the 410 was served"


def test_without_faults_the_log_is_complete_too(sandbox: Sandbox, kube: Kube, tmp_path: Path) -> None:
    """The baseline the fault cases compare against."""
    outcome = run_diagnose(kube, f"{NS}/tf-state-backup", tmp_path / "b", keep=True, redact=False)
    assert outcome.verdict is not None and outcome.verdict.verdict == "oom"
    (job,) = debug_jobs(sandbox, NS)
    assert_complete_log(sandbox, tmp_path / "b", job["metadata"]["name"])
