"""Prometheus metrics of a recorder, on their own registry (several recorders in one process, as in tests, do not
collide): runs captured, the last verdict per CronJob as a labelled gauge, capture errors.

An alert on `cronjob_doctor_record_last_verdict{verdict!="success"} == 1` carries the root cause in its labels.
Nothing here decides anything; record.py reports and this module counts.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from cronjob_doctor.record.model import RecordedRun
from cronjob_doctor.rules.base import VERDICT_IDS


class RecorderMetrics:
    """The recorder's metrics and, once `serve` is called, the HTTP endpoint that exposes them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.runs = Counter(
            "cronjob_doctor_record_runs",
            "Finished CronJob runs captured into a bundle.",
            ["namespace", "cronjob", "outcome", "verdict", "partial"],
            registry=self.registry,
        )
        self.last_verdict = Gauge(
            "cronjob_doctor_record_last_verdict",
            "1 for the verdict of the CronJob's latest recorded run, 0 for the other verdict ids.",
            ["namespace", "cronjob", "verdict"],
            registry=self.registry,
        )
        self.last_run = Gauge(
            "cronjob_doctor_record_last_run_timestamp_seconds",
            "When the CronJob's latest recorded run was captured (Unix time).",
            ["namespace", "cronjob", "outcome"],
            registry=self.registry,
        )
        self.errors = Counter(
            "cronjob_doctor_record_capture_errors",
            "Failures while capturing: watch outages, lost streams, catch-up reads, --on-failure commands.",
            ["kind"],
            registry=self.registry,
        )
        self.following = Gauge(
            "cronjob_doctor_record_following_jobs", "Jobs being followed right now.", registry=self.registry
        )
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def observe(self, result: RecordedRun, *, now: float) -> None:
        """Count a finished run and make its verdict the CronJob's current one."""
        self.runs.labels(result.namespace, result.cronjob, result.outcome, result.verdict,
                         "true" if result.partial else "false").inc()
        for verdict in VERDICT_IDS:
            self.last_verdict.labels(result.namespace, result.cronjob, verdict).set(
                1.0 if verdict == result.verdict else 0.0
            )
        for outcome in ("succeeded", "failed", "unknown"):
            self.last_run.labels(result.namespace, result.cronjob, outcome).set(
                now if outcome == result.outcome else 0.0
            )

    def error(self, kind: str) -> None:
        self.errors.labels(kind).inc()

    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Expose /metrics on `addr:port` (0 picks a free port); return the port."""
        self._server, self._thread = start_http_server(port, addr=addr, registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
