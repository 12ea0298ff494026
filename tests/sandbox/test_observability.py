"""The sandbox's hooks for tests that wait on state: requests as they arrive, and the ones still being answered."""

from __future__ import annotations

import threading
from typing import Any

from kubernetes import client

from cronjob_doctor_sandbox import OpenRequest, Sandbox
from tests.builders import NS, pod
from tests.waiting import wait_until


def test_a_watch_is_open_while_it_streams_and_closed_after(bare: Sandbox, raw: Any) -> None:
    response = raw(f"/apis/batch/v1/namespaces/{NS}/jobs", watch="true", timeoutSeconds="1")
    legacy = raw(f"/apis/batch/v1/watch/namespaces/{NS}/jobs", timeoutSeconds="1")
    assert bare.open_watches("jobs") == 2
    assert bare.open_watches("pods") == 0
    assert [r.path for r in bare.open_requests] == [f"/apis/batch/v1/namespaces/{NS}/jobs",
                                                     f"/apis/batch/v1/watch/namespaces/{NS}/jobs"]
    response.read()  # the server ends both after their one-second timeout
    legacy.read()
    wait_until(lambda: bare.open_watches("jobs") == 0, timeout=10, what="the ended watches to close")
    assert bare.open_requests == []
    assert [bare.watched(r) for r in bare.received] == ["jobs", "jobs"]  # received, though ended


def test_a_list_is_no_watch(bare: Sandbox, raw: Any) -> None:
    raw(f"/apis/batch/v1/namespaces/{NS}/jobs").read()
    assert bare.received == [OpenRequest("GET", f"/apis/batch/v1/namespaces/{NS}/jobs", {})]
    assert bare.open_watches("jobs") == 0
    assert bare.watched(bare.received[0]) is None


def test_a_followed_log_is_received_before_its_answer_begins(api: client.ApiClient, bare: Sandbox) -> None:
    # The kubelet sends a followed log's headers with its first line: until then only `received` knows of it.
    bare.store.create("pods", pod(name="quiet", namespace=NS))
    bare.logs.start_instance(NS, "quiet", "backup")
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(
        client.CoreV1Api(api).read_namespaced_pod_log("quiet", NS, follow=True)), daemon=True)
    reader.start()
    path = f"/api/v1/namespaces/{NS}/pods/quiet/log"
    wait_until(lambda: [r for r in bare.received if r.path == path], timeout=10, what="the log request")
    assert [r.path for r in bare.open_requests] == [path]
    assert not [r for r in bare.requests if r.path == path]
    bare.logs.append(NS, "quiet", "backup", "hello")
    bare.logs.finish(NS, "quiet", "backup")
    reader.join(10)
    assert got == ["hello\n"]
    assert [r.path for r in bare.requests] == [path]
    wait_until(lambda: bare.open_requests == [], timeout=10, what="the ended log stream to close")
