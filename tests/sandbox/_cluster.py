"""Shared helpers for driving the sandbox controllers through the Store (no HTTP)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from cronjob_doctor_sandbox import seeds
from cronjob_doctor_sandbox.cluster import Cluster
from cronjob_doctor_sandbox.logstore import LogStore
from cronjob_doctor_sandbox.podtemplate import default_job
from cronjob_doctor_sandbox.seeds import INCIDENT_SCRIPT
from cronjob_doctor_sandbox.store import Store
from tests import builders
from tests.builders import container_spec, pod_template

SCALE = 0.01


def running(seed: str) -> Iterator[Cluster]:
    store, logs = Store(), LogStore()
    seeds.apply(store, seed)
    running = Cluster(store, logs, time_scale=SCALE)
    running.start()
    yield running
    running.stop()


def job(name: str, *, script: str = INCIDENT_SCRIPT, memory: str = "512Mi", restart: str = "Never",
        backoff: int = 0, annotations: dict[str, str] | None = None, image: str = "alpine:3.20",
        **spec: Any) -> dict[str, Any]:
    """A Job in namespace `ns` as the API server stores it once defaulted (`podtemplate.default_job`): the
    incident's container, its S3 keys in env; `spec` sets fields of the Job's spec."""
    container = container_spec(image=image, script=script, memory_limit=memory, requests=None, env=[
        {"name": "S3_ACCESS_KEY", "value": "tf-backup"}, {"name": "S3_SECRET_KEY", "value": "Vq3n8sLk"}])
    template = pod_template(container, restart=restart, service_account=None, labels={}, annotations=annotations)
    return default_job(builders.job(name, namespace="ns", uid=str(uuid.uuid4()), cronjob=None, start=None,
                                    backoff_limit=backoff, template=template, spec=spec))


def condition(obj: dict[str, Any] | None, kind: str) -> dict[str, Any] | None:
    for item in ((obj or {}).get("status") or {}).get("conditions") or []:
        if item["type"] == kind and item["status"] == "True":
            return dict(item)
    return None


def finished(store: Store, name: str, namespace: str = "ns") -> dict[str, Any] | None:
    current = store.find("jobs", namespace, name)
    if current and (condition(current, "Complete") or condition(current, "Failed")):
        return current
    return None


def pods_of(store: Store, job_name: str, namespace: str = "ns") -> list[dict[str, Any]]:
    return [p for p in store.list("pods", namespace)[0]
            if p["metadata"].get("labels", {}).get("batch.kubernetes.io/job-name") == job_name]


def reasons(store: Store, name_prefix: str) -> list[str]:
    return [e["reason"] for e in store.list("events")[0] if e["involvedObject"]["name"].startswith(name_prefix)]
