"""Container logs through the real path: client -> kube-apiserver pods/log -> kwok's kubelet API (TLS) -> file."""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.controlplane import helpers
from tests.controlplane.helpers import create_job, phase, wait_for, wait_for_pod

pytestmark = pytest.mark.controlplane

RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


@pytest.fixture
def running_pod(api_client: Any, namespace: str) -> str:
    create_job(api_client, namespace, "talker", "run-forever")
    return wait_for_pod(api_client, namespace, "talker", lambda p: phase(p) == "Running", what="Running").metadata.name


def _read_when_served(api_client: Any, namespace: str, pod: str, **query: Any) -> str:
    """kwok sees a new ClusterLogs through its watch: retry the 400 it answers until then."""
    def read() -> str | None:
        try:
            return helpers.read_log(api_client, namespace, pod, **query) or None
        except ApiException as error:
            if error.status == 400 and "no logs found" in str(error.body):
                return None
            raise

    return wait_for(read, timeout=15, what=f"logs of {namespace}/{pod}")


def test_logs_come_from_the_file_through_the_apiserver(
    api_client: Any, namespace: str, running_pod: str, serve_logs: Callable[..., Path], kubectl: Callable[..., Any]
) -> None:
    serve_logs(namespace, ["starting backup", "copied 3 files", "done"])
    assert _read_when_served(api_client, namespace, running_pod) == "starting backup\ncopied 3 files\ndone\n"
    assert kubectl("logs", "-n", namespace, running_pod).stdout == "starting backup\ncopied 3 files\ndone\n"
    assert kubectl("logs", "-n", namespace, "job/talker", "--tail=1").stdout == "done\n"
    assert helpers.read_log(api_client, namespace, running_pod, container="task", tail_lines=2) == \
        "copied 3 files\ndone\n"


def test_timestamps_are_rfc3339nano_prefixes_like_a_kubelet(
    api_client: Any, namespace: str, running_pod: str, serve_logs: Callable[..., Path], kubectl: Callable[..., Any]
) -> None:
    serve_logs(namespace, ["first", "second", "third"])
    text = _read_when_served(api_client, namespace, running_pod, timestamps=True)
    lines = text.splitlines()
    assert len(lines) == 3 and all(RFC3339NANO.match(line) for line in lines), lines
    # the timestamps are the file's own, with the kubelet's fixed 9 fractional digits
    assert lines[0] == "2025-01-01T00:00:00.000000000Z first"
    assert lines[1] == "2025-01-01T00:00:01.000000000Z second"
    # and sinceTime filters on them
    since = kubectl("logs", "-n", namespace, running_pod, "--timestamps", "--since-time=2025-01-01T00:00:01Z").stdout
    assert [line.split(" ", 1)[1] for line in since.splitlines()] == ["second", "third"]


def test_follow_streams_lines_appended_to_the_file(
    api_client: Any, namespace: str, running_pod: str, serve_logs: Callable[..., Path]
) -> None:
    logs_file = serve_logs(namespace, ["line 1"])
    _read_when_served(api_client, namespace, running_pod)
    response = client.CoreV1Api(api_client).read_namespaced_pod_log(
        running_pod, namespace, follow=True, timestamps=True, _preload_content=False, _request_timeout=30)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        buffer = b""
        try:
            for chunk in response.stream(64):
                buffer += chunk
                *complete, buffer = buffer.split(b"\n")
                for line in complete:
                    lines.put(line.decode())
        except Exception:  # noqa: BLE001  # the response closed under us at the end of the test
            pass

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert lines.get(timeout=10).endswith(" line 1")
        helpers.append_cri_log(logs_file, ["line 2", "line 3"])
        assert lines.get(timeout=10).endswith(" line 2")
        assert RFC3339NANO.match(lines.get(timeout=10))
    finally:
        getattr(response, "shutdown", response.close)()  # urllib3 >= 2.3: unblocks the reading thread
        response.release_conn()


def test_follow_does_not_end_when_the_container_has_exited(
    api_client: Any, namespace: str, serve_logs: Callable[..., Path]
) -> None:
    """A quirk to know: a kubelet ends a follow when the container exits; kwok's never ends by itself
    (it has no container to ask, and takes "unknown" for "still running"). The client must close it."""
    create_job(api_client, namespace, "finished", "succeed", run_duration="100ms")
    pod = wait_for_pod(api_client, namespace, "finished", lambda p: phase(p) == "Succeeded", what="Succeeded")
    serve_logs(namespace, ["all done"])
    name = pod.metadata.name
    assert _read_when_served(api_client, namespace, name) == "all done\n"
    response = client.CoreV1Api(api_client).read_namespaced_pod_log(
        name, namespace, follow=True, _preload_content=False, _request_timeout=(5, 3))
    received = b""
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):  # the read times out: the stream is still open
        for chunk in response.stream(64):
            received += chunk
    assert received == b"all done\n"
    response.close()


def test_previous_serves_the_previous_file_and_is_a_400_without_one(
    api_client: Any, namespace: str, running_pod: str, serve_logs: Callable[..., Path]
) -> None:
    serve_logs(namespace, ["current run"], previous=["the run that crashed", "panic: boom"])
    assert _read_when_served(api_client, namespace, running_pod) == "current run\n"
    assert helpers.read_log(api_client, namespace, running_pod, previous=True) == \
        "the run that crashed\npanic: boom\n"


def test_previous_without_a_previous_file_is_a_400(
    api_client: Any, namespace: str, running_pod: str, serve_logs: Callable[..., Path]
) -> None:
    serve_logs(namespace, ["current run"])
    _read_when_served(api_client, namespace, running_pod)
    with pytest.raises(ApiException) as error:
        helpers.read_log(api_client, namespace, running_pod, previous=True)
    assert error.value.status == 400


def test_pods_not_selected_serve_no_logs(api_client: Any, namespace: str, running_pod: str) -> None:
    with pytest.raises(ApiException) as error:
        helpers.read_log(api_client, namespace, running_pod)
    assert error.value.status == 400
    assert "no logs found" in str(error.value.body)
