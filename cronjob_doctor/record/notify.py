"""`--on-failure CMD`: run the user's command (through /bin/sh, so pipes and variables work) when a recorded run
failed, with the bundle path and the verdict in its environment.

It never raises: a broken hook must not stop the recorder; the caller reports the failure it returns.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from cronjob_doctor.record.model import RecordedRun


def environment(result: RecordedRun, *, base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus CRONJOB_DOCTOR_* variables describing the run."""
    bundle = Path(result.bundle)
    return {
        **base,
        "CRONJOB_DOCTOR_NAMESPACE": result.namespace,
        "CRONJOB_DOCTOR_CRONJOB": result.cronjob,
        "CRONJOB_DOCTOR_JOB": result.job,
        "CRONJOB_DOCTOR_OUTCOME": result.outcome,
        "CRONJOB_DOCTOR_REASON": result.reason or "",
        "CRONJOB_DOCTOR_VERDICT": result.verdict,
        "CRONJOB_DOCTOR_CONFIDENCE": f"{result.confidence:.2f}",
        "CRONJOB_DOCTOR_SUMMARY": result.summary,
        "CRONJOB_DOCTOR_BUNDLE": str(bundle),
        "CRONJOB_DOCTOR_VERDICT_FILE": str(bundle / "verdict.json"),
        "CRONJOB_DOCTOR_PARTIAL": "true" if result.partial else "false",
    }


def run_hook(command: str, result: RecordedRun, *, base_env: Mapping[str, str], timeout: float,
             output: Callable[[str], None]) -> str | None:
    """Run `command` for a failed run, passing each line it prints to `output` (stdout is the recorder's own);
    None on success, else what went wrong (for stderr and the metrics)."""
    try:
        completed = subprocess.run(
            ["/bin/sh", "-c", command],
            env=environment(result, base=base_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"--on-failure command timed out after {timeout:.0f}s"
    except OSError as exc:
        return f"--on-failure command could not start: {exc.strerror or exc}"
    for line in completed.stdout.decode("utf-8", errors="replace").splitlines():
        output(line)
    if completed.returncode != 0:
        return f"--on-failure command exited {completed.returncode}"
    return None
