"""Sidecars: one that ends with an error after the job's own container succeeded is not the failure; one that
never exits and holds the Job open is (deadline/sidecar)."""

from __future__ import annotations

from typing import Any

from tests.builders import container, event, job, job_complete, job_failed, pod, running, terminated
from tests.rules._bundles import COMPLETE, answer, verdict_of

DONE = container("main", terminated(reason="Completed", exit_code=0, finished="2026-03-20T02:01:30Z"))


def _native(p: dict[str, Any], name: str) -> dict[str, Any]:
    for spec in p["spec"].get("initContainers", []):
        if spec["name"] == name:
            spec["restartPolicy"] = "Always"
    return p


def test_native_sidecar_exit_2_after_main_succeeded_is_success_sidecar_shutdown() -> None:
    helper = container("spiffe-helper", terminated(exit_code=2, finished="2026-03-20T02:01:31Z"), init=True)
    p = _native(pod(helper, DONE, phase="Succeeded"), "spiffe-helper")
    got = verdict_of(p, job_=COMPLETE)
    assert (got.verdict, got.detail) == ("success", "sidecar-shutdown")
    assert got.exit_code == 0 and not got.remediation


def test_log_shipper_137_after_main_succeeded_is_not_the_failure_even_when_the_job_failed() -> None:
    shipper = container("shipper", terminated(exit_code=137, finished="2026-03-20T02:01:40Z"),
                        image="fluent/fluent-bit:3.0")
    p = pod(DONE, shipper, phase="Failed")
    got = verdict_of(p, job_=job(failed=1, conditions=job_failed()))
    assert (got.verdict, got.detail) == ("success", "sidecar-shutdown")
    assert "counted the pod as failed" in got.summary


def test_a_sidecar_never_exiting_holds_the_job_open() -> None:
    proxy = container("istio-proxy", running(), image="docker.io/istio/proxyv2:1.20.0")
    assert answer(pod(DONE, proxy, phase="Running"), job_=job()) == ("deadline", "sidecar")


def test_a_held_job_that_ran_out_of_its_deadline_is_sidecar_not_active_deadline() -> None:
    proxy = container("cloudsql", running(), image="gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.8.0")
    j = job(failed=1, conditions=job_failed("DeadlineExceeded"), active_deadline=600)
    got = verdict_of(pod(DONE, proxy, phase="Running"), job_=j)
    assert (got.verdict, got.detail) == ("deadline", "sidecar")
    assert any("native sidecar" in r for r in got.remediation)


def test_any_second_container_still_running_after_main_completed_holds_the_job() -> None:
    other = container("watcher", running(), image="registry.example/watcher:1")
    assert answer(pod(DONE, other, phase="Running"), job_=job()) == ("deadline", "sidecar")


def test_main_container_failure_with_a_sidecar_is_the_main_failure() -> None:
    main = container("main", terminated(exit_code=2))
    proxy = container("istio-proxy", running(), image="istio/proxyv2:1.5.2")
    text = "panic: dial tcp 100.65.158.99:5432: connect: connection refused\n"
    got = verdict_of(pod(main, proxy, phase="Running"), job_=job(failed=1, conditions=job_failed()),
                     logs={"main": text})
    assert (got.verdict, got.detail) == ("network", "refused")


def test_a_proxy_log_is_not_the_jobs_log() -> None:
    main = container("main", terminated(exit_code=1))
    proxy = container("istio-proxy", terminated(exit_code=0), image="istio/proxyv2:1.20.0")
    proxy_log = "warning envoy config gRPC config stream closed: 14, connection error: desc = \"transport: Error " \
                "while dialing dial tcp 10.96.0.20:15012: connect: connection refused\"\n"
    got = verdict_of(pod(main, proxy), job_=job(failed=1, conditions=job_failed()),
                     logs={"istio-proxy": proxy_log, "main": "Traceback (most recent call last):\nValueError: x\n"},
                     events=[event("Started", "Started container main", type_="Normal")])
    assert got.verdict == "script-error"


def test_a_completed_job_with_an_unrelated_second_container_completed_is_plain_success() -> None:
    other = container("sync", terminated(reason="Completed", exit_code=0))
    assert answer(pod(DONE, other, phase="Succeeded"), job_=job(succeeded=1, conditions=job_complete())) == \
        ("success", None)
