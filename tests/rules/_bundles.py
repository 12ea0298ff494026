"""Bundles for rule tests, from tests/builders.py pieces: one pod's logs by container, events, the Job."""

from __future__ import annotations

from typing import Any

from cronjob_doctor.bundle import Bundle, LogFile
from cronjob_doctor.rules.base import Verdict
from cronjob_doctor.rules.engine import analyze
from tests.builders import job, job_complete, job_failed

POD = "tf-state-backup-29565120-x7k2p"
FAILED = job(failed=1, conditions=job_failed())
COMPLETE = job(succeeded=1, conditions=job_complete())


def bundle(*pods: dict[str, Any], job_: dict[str, Any] | None = None, logs: dict[str, str] | None = None,
           events: list[dict[str, Any]] | None = None, **extra: Any) -> Bundle:
    """A bundle whose logs are keyed by container name, in the first pod (or POD)."""
    pod_name = pods[0]["metadata"]["name"] if pods else POD
    files = [LogFile(pod=pod_name, container=name, text=text) for name, text in (logs or {}).items()]
    return Bundle(pods=list(pods), job=job_, logs=files, events=list(events or []), **extra)


def verdict_of(*pods: dict[str, Any], **kw: Any) -> Verdict:
    return analyze(bundle(*pods, **kw))


def answer(*pods: dict[str, Any], **kw: Any) -> tuple[str, str | None]:
    got = verdict_of(*pods, **kw)
    return got.verdict, got.detail
