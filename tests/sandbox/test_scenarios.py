"""Every scenario's terminal state, run by the kubelet, and the plans' shell semantics."""

from __future__ import annotations

import pytest

from cronjob_doctor.debugjob.sampler import instrument, parse_sample
from cronjob_doctor_sandbox import scenarios, seeds
from cronjob_doctor_sandbox.cluster import Cluster
from tests.waiting import wait_until

from ._cluster import condition, finished, job, pods_of

ANNOTATION = scenarios.SCENARIO_ANNOTATION


def _container_end(cluster: Cluster, name: str) -> dict:
    done = wait_until(lambda: finished(cluster.store, name), what=f"job {name} to finish")
    assert condition(done, "Failed") or condition(done, "Complete")
    pod = pods_of(cluster.store, name)[0]
    return pod["status"]["containerStatuses"][0]["state"]["terminated"]


@pytest.mark.parametrize(
    ("scenario", "exit_code", "signature"),
    [
        ("success", 0, "backup complete"),
        ("cdn-down", 6, "curl: (6) Could not resolve host: dl.min.io"),
        ("netpol-blocked", 1, "dial tcp 10.43.12.7:9000: i/o timeout"),
        ("forbidden", 1, 'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:ns:default" '
                         'cannot list resource "secrets" in API group "" in the namespace "ns"'),
        ("flaky", 56, "curl: (56) Recv failure: Connection reset by peer"),
    ],
)
def test_scenario_terminal_state(cluster: Cluster, scenario: str, exit_code: int, signature: str) -> None:
    cluster.store.create("jobs", job(scenario, annotations={ANNOTATION: scenario}))
    end = _container_end(cluster, scenario)
    assert end["exitCode"] == exit_code
    assert end["reason"] == ("Completed" if exit_code == 0 else "Error")
    lines = cluster.logs.written("ns", pods_of(cluster.store, scenario)[0]["metadata"]["name"], "backup")
    assert any(signature in line for line in lines)


def test_oom_under_limit_is_inferred_from_the_incident_script(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("inferred", memory="128Mi"))
    assert _container_end(cluster, "inferred")["reason"] == "OOMKilled"


def test_image_pull_backs_off_until_the_deadline(cluster: Cluster) -> None:
    cluster.store.create("jobs", job("pull", annotations={ANNOTATION: "image-pull"},
                                     image="registry.example.com/x:nope"))

    def waiting() -> set[str]:
        history = [e.object for e in cluster.store.events_since("pods", "ns", 0)]
        return {s["state"].get("waiting", {}).get("reason") for p in history
                for s in (p.get("status") or {}).get("containerStatuses") or []}

    # Backing off, then past its deadline (set now, already passed: one given at creation could run out on a
    # loaded machine before the first pull failed; 40 simulated seconds are 0.4 s here).
    wait_until(lambda: {"ErrImagePull", "ImagePullBackOff"} <= waiting(), what="the pull to back off")
    cluster.store.mutate("jobs", "ns", "pull", lambda j: j["spec"].update(activeDeadlineSeconds=1))
    done = wait_until(lambda: finished(cluster.store, "pull"), what="job pull to finish")
    assert condition(done, "Failed")["reason"] == "DeadlineExceeded"
    messages = [e["message"] for e in cluster.store.list("events", "ns")[0] if e["reason"] == "Failed"]
    assert any(
        m.startswith('Failed to pull image "registry.example.com/x:nope": rpc error: code = NotFound') for m in messages
    )


def test_flaky_alternates_per_series() -> None:
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", seeds.INCIDENT_SCRIPT]}
    codes = [scenarios.plan(scenario="flaky", container=container, env={}, namespace="ns", service_account="sa",
                            attempt=attempt).exit_code for attempt in range(4)]
    assert codes == [56, 0, 56, 0]


def test_trace_expands_secret_values_and_command_substitution() -> None:
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "set -x\n" + seeds.INCIDENT_SCRIPT]}
    plan = scenarios.plan(scenario="success", container=container, env={"S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "s k"},
                          namespace="ns", service_account="sa", attempt=0)
    lines = [s.line for s in plan.steps if s.line]
    assert "+ /tmp/mc alias set backup http://minio.minio.svc.cluster.local:9000 ak 's k'" in lines
    assert "+ date +%Y%m%d" in lines
    assert any(line.startswith("+ /tmp/kubectl get secrets -n tofu-state -l tfstate=true -o yaml") for line in lines)
    assert 170 * 2**20 <= plan.peak <= 190 * 2**20


def test_without_set_x_there_are_no_trace_lines() -> None:
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", seeds.INCIDENT_SCRIPT]}
    plan = scenarios.plan(
        scenario="success", container=container, env={}, namespace="ns", service_account="sa", attempt=0
    )
    assert not [s.line for s in plan.steps if s.line and s.line.startswith("+ ")]


def test_sampler_lines_report_memory_each_second_with_the_scripts_token(cluster: Cluster) -> None:
    script = instrument(seeds.INCIDENT_SCRIPT, token="r1-f00d", trace=False)
    cluster.store.create("jobs", job("sampled", script=script))
    _container_end(cluster, "sampled")
    lines = cluster.logs.written("ns", pods_of(cluster.store, "sampled")[0]["metadata"]["name"], "backup")
    samples = [s for s in (parse_sample(line, "r1-f00d") for line in lines) if s is not None]
    assert len(samples) > 30
    assert max(s.peak or 0 for s in samples) > 128 * 2**20
    assert not [line for line in lines if parse_sample(line, "r1") is not None], "another token is no sample"


def test_sampler_and_set_x_on_the_first_line_leave_the_scripts_commands_to_replay() -> None:
    script = instrument("echo one\necho two", token="r1", trace=True)
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", script]}
    plan = scenarios.plan(scenario="success", container=container, env={}, namespace="ns", service_account="sa",
                          attempt=0)
    assert [s.line for s in plan.steps if s.line] == ["+ echo one", "one", "+ echo two", "two"]
    assert (plan.sampler, plan.sampler_token) == (True, "r1")


def test_a_workload_line_that_looks_like_a_sample_is_printed_as_written() -> None:
    forged = "##cronjob-doctor-mem current=999999999999 peak=999999999999"
    script = instrument(f"echo '{forged}'", token="r1", trace=False)
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", script]}
    plan = scenarios.plan(scenario="success", container=container, env={}, namespace="ns", service_account="sa",
                          attempt=0)
    assert [s.line for s in plan.steps if s.line] == [forged]


def test_hang_never_exits_by_itself() -> None:
    container = {"name": "c", "image": "postgres:16-alpine", "command": ["/bin/sh", "-c", "vacuumdb --analyze app"]}
    plan = scenarios.plan(scenario="hang", container=container, env={}, namespace="ns", service_account="sa", attempt=0)
    assert plan.exit_code is None


def test_scenario_choice() -> None:
    annotated = {"metadata": {"annotations": {ANNOTATION: "cdn-down"}}, "spec": {"containers": []}}
    assert scenarios.choose(annotated) == "cdn-down"
    plain = {"metadata": {}, "spec": {"containers": [{"name": "c", "command": ["sh", "-c", "echo hi"]}]}}
    assert scenarios.choose(plain) == "success"


def test_forbidden_fails_at_the_kubectl_command_not_at_the_end() -> None:
    container = {"name": "c", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "set -x\n" + seeds.INCIDENT_SCRIPT]}
    plan = scenarios.plan(scenario="forbidden", container=container, env={}, namespace="tofu-state",
                          service_account="tf-backup", attempt=0)
    lines = [s.line for s in plan.steps if s.line]
    assert lines[-1].startswith("Error from server (Forbidden): secrets is forbidden")
    assert lines[-2].startswith("+ /tmp/kubectl get secrets")
    assert plan.exit_code == 1
