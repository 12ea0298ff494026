"""Reading manifests: multi-document YAML, Lists, JSON, Helm output, line numbers, and malformed input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cronjob_doctor.errors import InputError
from cronjob_doctor.lint.flow import read_files
from cronjob_doctor.lint.loader import load_text

DATA = Path(__file__).resolve().parents[1] / "data" / "lint"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_helm_output_skips_other_kinds_and_empty_documents() -> None:
    (workload,) = read_files([str(DATA / "helm-output.yaml")], stdin=io.StringIO())
    assert (workload.kind, workload.name, workload.namespace) == ("CronJob", "db-backup", None)
    assert workload.label == "CronJob db-backup"


def test_json_list_yields_its_cronjobs() -> None:
    (workload,) = read_files([str(DATA / "cronjob-list.json")], stdin=io.StringIO())
    assert (workload.kind, workload.namespace, workload.name) == ("CronJob", "analytics", "report")
    assert workload.line_of("spec.failedJobsHistoryLimit") == 12


def test_typed_list_items_get_their_kind_and_cronjob_owned_jobs_are_skipped() -> None:
    workloads = read_files([str(DATA / "jobs.yaml")], stdin=io.StringIO())
    assert [(w.kind, w.name) for w in workloads] == [("Job", "migrate-schema")]


def test_line_numbers_follow_the_path_or_its_nearest_ancestor() -> None:
    (workload,) = read_files([str(EXAMPLES / "incident" / "tf-state-backup-cronjob.yaml")], stdin=io.StringIO())
    lines = (EXAMPLES / "incident" / "tf-state-backup-cronjob.yaml").read_text().splitlines()
    memory = "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory"
    assert lines[workload.line_of(memory) - 1].strip() == "memory: 128Mi"  # type: ignore[operator]
    assert lines[workload.line_of("spec.jobTemplate.spec.activeDeadlineSeconds") - 1].strip() == "spec:"  # type: ignore[operator]
    script = "spec.jobTemplate.spec.template.spec.containers[0].command[2]"
    assert lines[workload.text_line(script, 1) - 1].strip() == "apk add --no-cache curl"  # type: ignore[operator]


def test_stdin_multi_document() -> None:
    text = (EXAMPLES / "incident" / "tf-state-backup-cronjob.yaml").read_text()
    workloads = read_files(["-"], stdin=io.StringIO(text + "\n---\n" + text.replace("tf-state-backup", "other")))
    assert [w.name for w in workloads] == ["tf-state-backup", "other"]
    assert {w.source for w in workloads} == {"-"}


def test_bare_json_array_of_objects() -> None:
    text = '[{"kind": "CronJob", "metadata": {"name": "a"}, "spec": {}}, {"kind": "Pod", "metadata": {"name": "p"}}]'
    assert [w.name for w in load_text(text, "x.json")] == ["a"]


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"malformed\.yaml:14:12: malformed YAML"):
        read_files([str(DATA / "malformed.yaml")], stdin=io.StringIO())


def test_malformed_json_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^x\.json:3:1: malformed JSON"):
        load_text('{\n  "kind": "CronJob",\n}\n', "x.json")


def test_a_scalar_document_is_not_a_manifest() -> None:
    with pytest.raises(InputError, match="not a Kubernetes object"):
        load_text("just some text\n", "notes.txt")


def test_no_workload_at_all_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no CronJob or Job found"):
        read_files([str(DATA / "no-workloads.yaml")], stdin=io.StringIO())


def test_missing_file_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: no such file"):
        read_files(["nope.yaml"], stdin=io.StringIO())
