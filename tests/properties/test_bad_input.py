"""Bad input of every kind ends in a clean error with the right exit code: never a traceback, never a
half-written file. Flags and NS/NAME (hypothesis over arbitrary text), bundle files (random bytes, truncated
JSON, wrong kinds, wrong types in known fields, oversize), and API objects with missing or unexpected fields."""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.capture.secrets import secret_refs
from cronjob_doctor.cli import app
from cronjob_doctor.diagnose import flow as diagnose
from cronjob_doctor.diagnose.settings import DiagnoseSettings, parse_memory_list
from cronjob_doctor.errors import DoctorError, InputError
from cronjob_doctor.k8s import events as eventlib
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s import pods as podlib
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.duration import parse_duration
from cronjob_doctor.k8s.names import parse_target
from cronjob_doctor.k8s.quantity import parse_bytes

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
words = st.text(alphabet=string.ascii_letters + string.digits + "-./_:, \t*=!0", max_size=80) | st.text(max_size=80)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)


@FAST
@given(text=words, namespace=st.none() | words)
def test_targets_parse_or_raise_input_error(text: str, namespace: str | None) -> None:
    try:
        target = parse_target(text, default_namespace=namespace)
    except InputError:
        return
    assert 0 < len(target.namespace) <= 63 and 0 < len(target.name) <= 253
    assert "/" not in target.name and target.name == target.name.strip()


@FAST
@given(text=words)
def test_sizes_durations_and_memory_lists_parse_or_raise_input_error(text: str) -> None:
    for parse in (parse_bytes, parse_duration, parse_memory_list):
        with contextlib.suppress(InputError):
            parse(text)


@FAST
@given(memory=st.none() | words, runs=st.integers(-5, 50), timeout=words, image=st.none() | words,
       container=st.none() | words)
def test_diagnose_flags_become_settings_or_input_error(
    memory: str | None, runs: int, timeout: str, image: str | None, container: str | None
) -> None:
    with contextlib.suppress(InputError):
        DiagnoseSettings.from_flags(target="ns/name", memory=memory, runs=runs, timeout=timeout, image=image,
                                    container=container)


@settings(max_examples=25, deadline=None)
@given(target=words, memory=words, timeout=words)
def test_the_cli_rejects_bad_flags_with_exit_2_and_no_traceback(target: str, memory: str, timeout: str) -> None:
    result = CliRunner().invoke(app, ["diagnose", target, "-n", "ns", "--memory", memory, "--timeout", timeout,
                                      "--kubeconfig", "/nonexistent/kubeconfig"])
    # 2: rejected before any connection; 3: the input was valid and the (missing) kubeconfig was reached
    assert result.exit_code in (2, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


BUNDLE_FILES = ("cronjob.json", "job.json", "jobs.json", "pods.json", "events.json", "networkpolicies.json",
                "metrics.json", "meta.json", "verdict.json")


def contents() -> st.SearchStrategy[bytes]:
    documents = json_values.map(lambda v: json.dumps(v).encode())
    truncated = documents.flatmap(lambda d: st.integers(0, max(0, len(d) - 1)).map(lambda n: d[:n]))
    wrong_kinds = st.sampled_from(["Pod", "Job", "Secret", "List", 5, None]).map(
        lambda k: json.dumps({"kind": k, "items": [{"kind": k}]}).encode())
    wrong_types = st.sampled_from([
        {"kind": "Pod", "metadata": "x", "status": {"containerStatuses": 5}},
        {"kind": "Pod", "metadata": {"name": 3}, "status": {"phase": 1, "containerStatuses": [{"state": []}]}},
        {"kind": "Job", "status": {"conditions": "Failed"}, "spec": []},
        {"kind": "Event", "involvedObject": None, "reason": 137, "message": ["x"]},
        {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": "x"}}}}}},
        {"items": [{"kind": "Pod", "status": {"containerStatuses": [{"name": "c", "state": {"terminated": 7}}]}}]},
    ]).map(lambda d: json.dumps(d).encode())
    return st.binary(max_size=200) | documents | truncated | wrong_kinds | wrong_types


@FAST
@given(files=st.dictionaries(st.sampled_from(BUNDLE_FILES), contents(), min_size=1, max_size=4),
       log=st.binary(max_size=300))
def test_any_bundle_is_analyzed_or_rejected_with_exit_2(files: dict[str, bytes], log: bytes, tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    if root.exists():
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    (root / "logs" / "pod").mkdir(parents=True)
    (root / "logs" / "pod" / "c.log").write_bytes(log)
    for name, data in files.items():
        (root / name).write_bytes(data)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = CliRunner().invoke(app, ["analyze", str(root), "-o", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert result.stderr.startswith("error: ")
    else:
        json.loads(result.stdout)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before, "analyze wrote to the bundle"


def test_a_huge_bundle_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(bundle_io, "MAX_JSON_BYTES", 1024)
    (tmp_path / "pods.json").write_text(json.dumps({"items": [{"kind": "Pod", "x": "y" * 2000}]}))
    result = CliRunner().invoke(app, ["analyze", str(tmp_path)])
    assert result.exit_code == 2 and "too large" in result.stderr


def test_a_failed_write_leaves_no_half_file(tmp_path: Path, monkeypatch: Any) -> None:
    bundle_io.write_json(tmp_path, "verdict.json", {"verdict": "oom"})

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle_io.os, "fsync", full_disk)
    with pytest.raises(InputError, match="No space left on device"):
        bundle_io.write_json(tmp_path, "verdict.json", {"verdict": "network", "pad": "x" * 10000})
    assert json.loads((tmp_path / "verdict.json").read_text()) == {"verdict": "oom"}
    assert [p.name for p in tmp_path.iterdir()] == ["verdict.json"]


@FAST
@given(obj=json_values)
def test_api_objects_with_missing_or_unexpected_fields_never_crash_the_readers(obj: Any) -> None:
    item = obj if isinstance(obj, dict) else {"spec": obj, "status": obj, "metadata": obj}
    readers = (joblib.outcome, joblib.finished, joblib.failure_reason, joblib.end_time, joblib.duration_seconds,
               joblib.scheduled_time, joblib.cronjob_of, podlib.terminations, podlib.waitings, podlib.log_sources,
               podlib.telling_state, podlib.pod_reason, templates.pod_spec, eventlib.about, eventlib.message,
               eventlib.count, eventlib.when, secret_refs)
    for read in readers:
        try:
            read(item)
        except (AttributeError, TypeError, KeyError) as exc:
            raise AssertionError(f"{read.__name__} crashed on {item!r}") from exc
    try:
        podlib.failure([item])
        joblib.owned_jobs({"metadata": {"uid": "u"}}, [item])
        diagnose.original_limit_bytes(item, None)
    except (AttributeError, TypeError, KeyError) as exc:
        raise AssertionError(f"crashed on {item!r}") from exc


@FAST
@given(spec=json_values, container=json_values)
def test_a_cronjob_of_any_shape_is_planned_or_an_input_error(spec: Any, container: Any) -> None:
    pod_spec = spec if not isinstance(spec, dict) else {**spec, "containers": [container]}
    cronjob = {"metadata": {"name": "c", "namespace": "n", "uid": "u"},
               "spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}
    settings_ = DiagnoseSettings.from_flags(target="n/c")
    try:
        (item,) = diagnose.plan(settings_, cronjob, Path("."))
    except DoctorError as exc:
        problem: DoctorError | None = exc
    else:
        problem = None
        assert item.debug.name.startswith("c-doctor-")
    assert problem is None or problem.exit_code == 2
