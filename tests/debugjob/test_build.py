"""The debug Job builder, with plain CronJob dicts."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from cronjob_doctor.debugjob import build as debugjob
from cronjob_doctor.debugjob.build import Variant, build, diff, job_name
from cronjob_doctor.debugjob.sampler import MARKER, TOKEN_ANNOTATION, split_instrumented
from cronjob_doctor.errors import InputError
from tests import builders
from tests.builders import container_spec, pod_template

SCRIPT = "set -e\napk add --no-cache curl\ncurl -sSLo /tmp/mc https://dl.min.io/client/mc/release/linux-amd64/mc\n"


ENV = [{"name": "S3_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "tf-backup-s3-creds", "key": "access-key"}}}]


def cronjob(**container_fields: Any) -> dict[str, Any]:
    """The incident's CronJob with a Secret in env, a mounted volume, scheduling constraints and labels on its
    jobTemplate; `container_fields` replace fields of its container (None removes one)."""
    container = container_spec(script=SCRIPT, env=ENV, volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}],
                               **container_fields)
    template = pod_template(container, nodeSelector={"kubernetes.io/os": "linux"},
                            tolerations=[{"key": "batch", "operator": "Exists"}],
                            volumes=[{"name": "tmp", "emptyDir": {}}])
    return builders.cronjob(uid="cj-uid", schedule="0 8 * * *", concurrency=None, failed_limit=None,
                            successful_limit=None, job_metadata={"labels": {"team": "platform"}}, template=template)


def pod_spec(job: debugjob.DebugJob) -> dict[str, Any]:
    return job.manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_incident_clone_raises_memory_and_traces_but_keeps_production_identity() -> None:
    source = cronjob()
    original = copy.deepcopy(source)
    job = build(source, variant=Variant("512Mi", 512 * 1024**2), run_id="ab12c", timeout_seconds=1800)
    spec = job.manifest["spec"]
    container = pod_spec(job)["containers"][0]
    assert source == original, "the CronJob must never be modified"
    assert job.name == "tf-state-backup-doctor-ab12c"
    assert container["resources"]["limits"]["memory"] == "512Mi"
    assert container["resources"]["requests"] == {"cpu": "50m", "memory": "64Mi"}
    script = container["command"][2]
    assert script.endswith("; set -x; " + SCRIPT) and script.index(MARKER) < script.index("set -x")
    assert split_instrumented(script) == ("ab12c", "set -x; " + SCRIPT)
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 1800
    assert spec["ttlSecondsAfterFinished"] == debugjob.SAFETY_TTL_SECONDS
    assert "ownerReferences" not in job.manifest["metadata"]
    # production identity kept: NetworkPolicies, RBAC and mounts must apply as in production
    assert pod_spec(job)["serviceAccountName"] == "tf-backup"
    assert job.manifest["spec"]["template"]["metadata"]["labels"]["app"] == "tf-state-backup"
    assert container["env"] == original["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert container["image"] == "alpine:3.20"
    assert pod_spec(job)["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    assert pod_spec(job)["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod_spec(job)["tolerations"] == [{"key": "batch", "operator": "Exists"}]
    labels = job.manifest["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "cronjob-doctor"
    assert labels["cronjob-doctor/source"] == "tf-state-backup"
    assert labels["team"] == "platform"
    annotations = job.manifest["metadata"]["annotations"]
    assert annotations["cronjob-doctor/source-cronjob"] == "tofu-state/tf-state-backup"
    assert json.loads(annotations["cronjob-doctor/original-memory-limits"]) == {"backup": "128Mi"}
    assert json.loads(annotations["cronjob-doctor/changes"]) == job.changes
    assert job.instrumented == ["backup"]
    assert job.original_limits == {"backup": "128Mi"}
    assert not job.warnings


def test_original_variant_keeps_the_limit() -> None:
    job = build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60)
    assert pod_spec(job)["containers"][0]["resources"]["limits"]["memory"] == "128Mi"
    assert not any("memory limit" in change for change in job.changes)


def test_request_is_lowered_to_a_smaller_limit() -> None:
    source = cronjob(resources={"requests": {"memory": "256Mi"}, "limits": {"memory": "1Gi"}})
    job = build(source, variant=Variant("128Mi", 128 * 1024**2), run_id="x1", timeout_seconds=60)
    assert pod_spec(job)["containers"][0]["resources"] == {
        "requests": {"memory": "128Mi"},
        "limits": {"memory": "128Mi"},
    }


def test_non_shell_container_runs_unchanged_with_a_warning() -> None:
    source = cronjob(command=["/usr/local/bin/backup", "--all"])
    job = build(source, variant=Variant("original"), run_id="x1", timeout_seconds=60)
    assert pod_spec(job)["containers"][0]["command"] == ["/usr/local/bin/backup", "--all"]
    assert job.instrumented == []
    assert "does not run a shell script" in job.warnings[0]


@pytest.mark.parametrize(
    ("command", "args", "where"),
    [
        (["sh", "-c", "echo hi"], None, ("command", 2)),
        (["/bin/bash", "-ec", "echo hi"], None, ("command", 2)),
        (["/bin/bash", "-o", "pipefail", "-c", "echo hi"], None, ("command", 4)),
        (["/usr/bin/env", "bash", "-c", "echo hi"], None, ("command", 3)),
        (["/bin/ash", "-c"], ["echo hi"], ("args", 0)),
        (None, ["dash", "-c", "echo hi"], ("args", 2)),
        (["busybox", "sh", "-c", "echo hi"], None, ("command", 3)),
        (["env", "A=1", "sh", "-c", "echo hi"], None, ("command", 4)),
    ],
)
def test_set_x_lands_in_the_script_wherever_it_is(command: Any, args: Any, where: tuple[str, int]) -> None:
    overrides: dict[str, Any] = {"command": command, "args": args}
    job = build(cronjob(**overrides), variant=Variant("original"), run_id="x1", timeout_seconds=60, sampler=False)
    container = pod_spec(job)["containers"][0]
    field, index = where
    assert container[field][index] == "set -x; echo hi"


def test_no_trace_leaves_the_script_alone() -> None:
    job = build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60, trace=False, sampler=False)
    assert pod_spec(job)["containers"][0]["command"][2] == SCRIPT
    assert job.instrumented == []


def test_image_variant_replaces_the_image() -> None:
    job = build(cronjob(), variant=Variant("fix", image="registry/backup-tools:1.2"), run_id="x1", timeout_seconds=60)
    assert pod_spec(job)["containers"][0]["image"] == "registry/backup-tools:1.2"
    assert any("image alpine:3.20 -> registry/backup-tools:1.2" in c for c in job.changes)


def test_image_with_several_containers_needs_container() -> None:
    source = cronjob()
    containers = source["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    containers.append({"name": "sidecar", "image": "busybox", "command": ["sleep", "10"]})
    with pytest.raises(InputError, match="--image"):
        build(source, variant=Variant("fix", image="x:1"), run_id="x1", timeout_seconds=60)
    job = build(source, variant=Variant("fix", image="x:1"), run_id="x1", timeout_seconds=60, container="backup")
    names = {c["name"]: c for c in pod_spec(job)["containers"]}
    assert names["backup"]["image"] == "x:1" and names["sidecar"]["image"] == "busybox"
    assert job.instrumented == ["backup"]


def test_unknown_container_is_an_input_error() -> None:
    with pytest.raises(InputError, match="container 'nope' not found"):
        build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60, container="nope")


def test_long_names_stay_within_63_characters() -> None:
    name = job_name("a" * 52, "abcde")
    assert len(name) <= 63 and name.endswith("-doctor-abcde")


def test_generated_selector_and_controller_labels_are_dropped() -> None:
    source = cronjob()
    spec = source["spec"]["jobTemplate"]["spec"]
    spec["selector"] = {"matchLabels": {"controller-uid": "old"}}
    spec["template"]["metadata"]["labels"]["controller-uid"] = "old"
    job = build(source, variant=Variant("original"), run_id="x1", timeout_seconds=60)
    assert "selector" not in job.manifest["spec"]
    assert "controller-uid" not in job.manifest["spec"]["template"]["metadata"]["labels"]


def test_diff_shows_the_changes_as_yaml() -> None:
    source = cronjob()
    job = build(source, variant=Variant("512Mi", 512 * 1024**2), run_id="ab12c", timeout_seconds=1800)
    text = diff(source, job)
    assert "-            memory: 128Mi" in text and "+            memory: 512Mi" in text
    assert "-      restartPolicy: OnFailure" in text and "+      restartPolicy: Never" in text
    assert "-          set -e" in text and "; set -x; set -e" in text and "           apk add --no-cache curl" in text
    assert text.startswith("--- cronjob/tf-state-backup jobTemplate")
    manifest = yaml.safe_load(debugjob.to_yaml(job.manifest))
    assert manifest == job.manifest


def test_the_cronjobs_own_deadline_is_kept_unless_a_timeout_is_given() -> None:
    source = cronjob()
    source["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] = 3600
    kept = build(source, variant=Variant("original"), run_id="x1", timeout_seconds=None)
    assert kept.manifest["spec"]["activeDeadlineSeconds"] == 3600
    assert (kept.deadline_seconds, kept.deadline_source) == (3600, "the CronJob's own")
    assert not [c for c in kept.changes if c.startswith("activeDeadlineSeconds")]
    given = build(source, variant=Variant("original"), run_id="x1", timeout_seconds=600)
    assert given.manifest["spec"]["activeDeadlineSeconds"] == 600 and given.deadline_source == "--timeout"
    default = build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=None)
    assert default.manifest["spec"]["activeDeadlineSeconds"] == 1800 and default.deadline_source == "the default"


def test_no_sample_leaves_only_set_x() -> None:
    job = build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60, sampler=False)
    script = pod_spec(job)["containers"][0]["command"][2]
    assert script == "set -x; " + SCRIPT and "cronjob-doctor-mem" not in script
    assert job.sampler_token is None and TOKEN_ANNOTATION not in job.manifest["metadata"]["annotations"]


def test_the_sampler_token_is_the_run_id_and_the_callers_nonce_in_the_script_and_an_annotation() -> None:
    job = build(cronjob(), variant=Variant("original"), run_id="ab12c", timeout_seconds=60, sampler_nonce="5f0c1e2d")
    assert job.sampler_token == "ab12c-5f0c1e2d"
    assert job.manifest["metadata"]["annotations"][TOKEN_ANNOTATION] == "ab12c-5f0c1e2d"
    script = pod_spec(job)["containers"][0]["command"][2]
    assert split_instrumented(script) == ("ab12c-5f0c1e2d", "set -x; " + SCRIPT)
    assert "sampler=ab12c-5f0c1e2d " in script


def test_no_token_when_no_container_runs_the_sampler_not_even_one_copied_from_the_template() -> None:
    source = cronjob(command=["/usr/local/bin/backup", "--all"])
    source["spec"]["jobTemplate"]["metadata"]["annotations"] = {TOKEN_ANNOTATION: "forged"}
    job = build(source, variant=Variant("original"), run_id="x1", timeout_seconds=60)
    assert job.sampler_token is None
    assert TOKEN_ANNOTATION not in job.manifest["metadata"]["annotations"]


@pytest.mark.parametrize("nonce", ["a b", 'x"; rm -rf /; "', "$(id)", "x" * 120])
def test_a_nonce_that_is_not_a_plain_word_is_refused(nonce: str) -> None:
    with pytest.raises(ValueError, match="sampler token"):
        build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60, sampler_nonce=nonce)


def test_line_numbers_of_the_script_are_kept() -> None:
    job = build(cronjob(), variant=Variant("original"), run_id="x1", timeout_seconds=60)
    script = pod_spec(job)["containers"][0]["command"][2]
    assert script.count("\n") == SCRIPT.count("\n")


def _two_containers(prep_limit: str | None) -> dict[str, Any]:
    """The CronJob with a second container `prep` (limit `prep_limit`, None: no limit)."""
    source = cronjob()
    spec = source["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    prep: dict[str, Any] = {"name": "prep", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "echo warm"]}
    if prep_limit is not None:
        prep["resources"] = {"limits": {"memory": prep_limit}}
    spec["containers"].append(prep)
    return source


def test_the_default_raise_never_lowers_a_containers_own_limit() -> None:
    job = build(_two_containers("1Gi"), variant=Variant("512Mi", 512 * 1024**2, raise_only=True), run_id="x1",
                timeout_seconds=60)
    limits = {c["name"]: c["resources"]["limits"]["memory"] for c in pod_spec(job)["containers"]}
    assert limits == {"backup": "512Mi", "prep": "1Gi"}
    assert job.limits == {"backup": "512Mi", "prep": "1Gi"}
    assert job.original_limits == {"backup": "128Mi", "prep": "1Gi"}
    assert "container backup: memory limit 128Mi -> 512Mi" in job.changes
    assert "container prep: memory limit 1Gi kept (the default raise to 512Mi never lowers a limit)" in job.changes


def test_the_default_raise_gives_no_limit_to_a_container_without_one() -> None:
    job = build(_two_containers(None), variant=Variant("512Mi", 512 * 1024**2, raise_only=True), run_id="x1",
                timeout_seconds=60)
    prep = next(c for c in pod_spec(job)["containers"] if c["name"] == "prep")
    assert "resources" not in prep and job.limits["prep"] is None
    assert any(change.startswith("container prep: no memory limit, none added") for change in job.changes)


def test_a_memory_size_given_applies_as_asked_and_says_when_it_lowers() -> None:
    job = build(_two_containers("1Gi"), variant=Variant("256Mi", 256 * 1024**2), run_id="x1", timeout_seconds=60)
    assert job.limits == {"backup": "256Mi", "prep": "256Mi"}
    assert "container prep: memory limit 1Gi -> 256Mi (lowered: --memory asked for it)" in job.changes
    assert "container backup: memory limit 128Mi -> 256Mi" in job.changes
