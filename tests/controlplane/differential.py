"""The machinery of the differential test (test_differential.py): raw HTTP, the two backends, normalisation.

`Wire` speaks raw HTTP through a kubernetes ApiClient's own connection pool and credentials, so the answers
compared are the bytes on the wire (status code, content type, Warning headers, body), not client objects.
`SandboxBackend` and `RealBackend` give the script the few things it cannot ask through the API (kwok serves
logs from files, the sandbox from its log store; a too-old resourceVersion). `normalise` replaces what
differs by nature between two runs (uids, times, resourceVersions, generated names); every other value is
compared as it is, and whatever is left out is listed in EXCLUSIONS with the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import urllib3

from tests.controlplane import helpers

Json = Any
LOG_START = dt.datetime(2025, 1, 1, 0, 0, 0, tzinfo=dt.timezone.utc)
"""The timestamp of the first line both backends serve (one line a second after it)."""


@dataclass
class Answer:
    """One response as it came over the wire: for watches and followed logs `body` is what was read."""

    code: int
    content_type: str
    warnings: list[str]
    body: Json
    watch: bool = False

    def json(self) -> dict[str, Any]:
        assert isinstance(self.body, dict), f"not a JSON object: {self.body!r}"
        return self.body


def _warnings(response: urllib3.BaseHTTPResponse) -> list[str]:
    values = response.headers.getlist("Warning") if hasattr(response.headers, "getlist") else []
    return sorted(values)


def _parse(content_type: str, data: bytes) -> Json:
    if content_type == "application/json" and data:
        return json.loads(data)
    return data.decode()


class Wire:
    """Raw HTTP to one API server with the kubeconfig's credentials (its client certificate or token)."""

    def __init__(self, api_client: Any) -> None:
        configuration = api_client.configuration
        self.host = configuration.host.rstrip("/")
        self.pool = api_client.rest_client.pool_manager
        self.headers: dict[str, str] = {}
        token = (configuration.api_key or {}).get("authorization")
        if token:
            prefix = (configuration.api_key_prefix or {}).get("authorization")
            self.headers["Authorization"] = f"{prefix} {token}" if prefix else token

    def open(self, method: str, path: str, query: dict[str, str] | None = None, body: Json = None, *,
             content_type: str = "application/json", accept: str = "application/json",
             read_timeout: float = 30.0) -> urllib3.BaseHTTPResponse:
        url = self.host + path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": accept, **self.headers}
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = json.dumps(body).encode()
        return self.pool.request(method, url, body=data, headers=headers, preload_content=False,
                                 timeout=urllib3.Timeout(connect=10, read=read_timeout), retries=False)

    def call(self, method: str, path: str, query: dict[str, str] | None = None, body: Json = None,
             **kwargs: Any) -> Answer:
        response = self.open(method, path, query, body, **kwargs)
        try:
            data = response.read()
        finally:
            response.release_conn()
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        return Answer(response.status, content_type, _warnings(response), _parse(content_type, data))

    def watch(self, path: str, query: dict[str, str], during: Callable[[], None] = lambda: None) -> Answer:
        """Open a watch, run `during` while it is open, read it until the server ends it (timeoutSeconds)."""
        timeout = float(query.get("timeoutSeconds", "10"))
        response = self.open("GET", path, {**query, "watch": "1"}, read_timeout=timeout + 20)
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        events: list[Json] = []
        failure: list[BaseException] = []

        def read() -> None:
            try:
                events.extend(_parse(content_type, line) for line in _lines(response))
            except Exception as error:  # noqa: BLE001  # reported below, in the test's thread
                failure.append(error)

        reader = threading.Thread(target=read, daemon=True)
        if response.status == 200:
            reader.start()
            try:
                during()
            finally:
                reader.join(timeout + 20)
            assert not reader.is_alive(), f"the watch {path} did not end after timeoutSeconds={timeout:.0f}"
            response.release_conn()
            if failure:  # recorded, so the comparison shows it: a real apiserver ends its watches cleanly
                events.append({"stream broken": type(failure[0]).__name__})
            return Answer(200, content_type, _warnings(response), events, watch=True)
        data = response.read()
        response.release_conn()
        return Answer(response.status, content_type, _warnings(response), _parse(content_type, data))

    def follow(self, path: str, query: dict[str, str], lines: int, timeout: float = 20.0) -> Answer:
        """pods/log with follow=true: the first `lines` lines, then the client closes the stream (kwok's
        never ends by itself, a kubelet's ends when the container exits)."""
        response = self.open("GET", path, {**query, "follow": "true"}, accept="*/*", read_timeout=timeout)
        content_type = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if response.status != 200:
            data = response.read()
            response.release_conn()
            return Answer(response.status, content_type, _warnings(response), _parse(content_type, data))
        read: list[str] = []
        try:
            for line in _lines(response):
                read.append(line.decode())
                if len(read) >= lines:
                    break
        finally:
            with contextlib.suppress(RuntimeError, ValueError):  # already released: the server ended it
                response.shutdown()
            response.close()
        return Answer(200, content_type, _warnings(response), "".join(f"{line}\n" for line in read))


def _lines(response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
    buffer = b""
    for chunk in response.stream(4096):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        yield from (line for line in complete if line.strip())
    if buffer.strip():
        yield buffer


# ---------------------------------------------------------------------------------------------- backends


@dataclass
class Backend:
    """What the script needs from a cluster beyond its API."""

    name: str
    wire: Wire
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
        return helpers.wait_for(check, timeout=timeout, interval=0.1, what=f"{what} ({self.name})")

    def settle_namespace(self, namespace: str) -> None:
        """Wait until pods can be created in a new namespace."""

    def serve_logs(self, namespace: str, pod: str, *, current: list[str], previous: list[str],
                   tmp: Path) -> None:
        """Make container `task` of POD serve CURRENT (one line a second from LOG_START) and, for
        previous=true, PREVIOUS; container `sidecar` has no previous instance."""
        raise NotImplementedError

    def too_old_resource_version(self) -> str:
        """A resourceVersion the server no longer has the history for (a watch from it is 410 Expired)."""
        raise NotImplementedError

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()


class RealBackend(Backend):
    def __init__(self, api_client: Any) -> None:
        super().__init__("real", Wire(api_client))
        self.api_client = api_client

    def settle_namespace(self, namespace: str) -> None:
        # Pods need the namespace's default ServiceAccount (the ServiceAccount admission plugin)
        self.wait(lambda: self.wire.call("GET", f"/api/v1/namespaces/{namespace}/serviceaccounts/default").code
                  == 200, f"ServiceAccount {namespace}/default")

    def serve_logs(self, namespace: str, pod: str, *, current: list[str], previous: list[str],
                   tmp: Path) -> None:
        current_file = helpers.write_cri_log(tmp / "task.log", current, start=LOG_START)
        previous_file = helpers.write_cri_log(tmp / "task-previous.log", previous, start=LOG_START)
        sidecar_file = helpers.write_cri_log(tmp / "sidecar.log", ["sidecar up"], start=LOG_START)
        name = f"{namespace}-logs"
        helpers.create_cluster_logs(self.api_client, {
            "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs", "metadata": {"name": name},
            "spec": {"selector": {"matchNamespaces": [namespace], "matchNames": [pod]},
                     "logs": [{"containers": ["task"], "logsFile": str(current_file),
                               "previousLogsFile": str(previous_file), "follow": True},
                              {"containers": ["sidecar"], "logsFile": str(sidecar_file), "follow": True}]}})
        self.cleanups.append(lambda: helpers.delete_cluster_logs(self.api_client, name))
        # kwok sees the new ClusterLogs through its watch: until then it answers 400 "no logs found"
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        self.wait(lambda: self.wire.call("GET", path, {"container": "task"}, accept="*/*").code == 200,
                  "kwok serving the logs")

    def too_old_resource_version(self) -> str:
        # The watch cache starts at the revision the apiserver listed at its start: "1" is older than that,
        # unless the apiserver started on an empty etcd (a fresh `up`), whose first revisions its cache still
        # holds; a restart then moves the cache's start past them. (Compaction alone would not do: the watch
        # cache keeps answering until the apiserver restarts.)
        if not self._expired("1"):
            restarted = subprocess.run([str(helpers.SCRIPT), "restart-apiserver"], capture_output=True, text=True,
                                       timeout=180)
            assert restarted.returncode == 0, restarted.stderr
            self.wait(lambda: self._expired("1"), "the restarted apiserver's watch cache to start past revision 1")
        return "1"

    def _expired(self, resource_version: str) -> bool:
        answer = self.wire.watch("/apis/batch/v1/cronjobs", {"resourceVersion": resource_version,
                                                             "timeoutSeconds": "1"})
        events = answer.body if isinstance(answer.body, list) else []
        return answer.code == 410 or any(
            isinstance(e, dict) and e.get("type") == "ERROR" and (e.get("object") or {}).get("code") == 410
            for e in events)


class SandboxBackend(Backend):
    def __init__(self, sandbox: Any, api_client: Any) -> None:
        super().__init__("sandbox", Wire(api_client))
        self.sandbox = sandbox

    def serve_logs(self, namespace: str, pod: str, *, current: list[str], previous: list[str],
                   tmp: Path) -> None:
        logs = self.sandbox.logs
        # The simulated kubelet starts container `task` (a hang: it prints its start line, then nothing).
        # Two restarts' worth of instances replace it: PREVIOUS, then CURRENT, stamped as kwok's files are.
        self.wait(lambda: logs.written(namespace, pod, "task"), "the task container's start line")
        for lines in (previous, current):
            logs.start_instance(namespace, pod, "task")
            for index, line in enumerate(lines):
                logs.append(namespace, pod, "task", line, when=LOG_START + dt.timedelta(seconds=index))

    def too_old_resource_version(self) -> str:
        store = self.sandbox.store
        old = store.resource_version
        store.compact()  # the sandbox's stand-in for a watch cache that has moved on
        return str(old)


# ------------------------------------------------------------------------------------------ normalising


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
NUMBERS = (
    # resourceVersions inside messages: "too old resource version: 1 (602)", "... in record (2619)"
    (re.compile(r"too old resource version: \d+ \(\d+\)"), "too old resource version: <rv> (<rv>)"),
    (re.compile(r"ResourceVersion in record \(\d+\)"), "ResourceVersion in record (<rv>)"),
    # the ServiceAccount admission plugin's volume: kube-api-access-<5 random characters>
    (re.compile(r"^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$"), "kube-api-access-<gen>"),
)
NODE_WRITTEN = "<written by the node: kwok or the sandbox's kubelet>"


@dataclass
class Normaliser:
    """Replaces what differs by nature between two runs with placeholders (see EXCLUSIONS)."""

    names: dict[str, str] = field(default_factory=dict)
    """Run-specific names (the namespace, generated suffixes) -> their placeholder, replaced in every string."""

    def alias(self, value: str, placeholder: str) -> None:
        self.names[value] = placeholder

    def __call__(self, value: Json, key: str = "") -> Json:
        if isinstance(value, dict):
            out = {k: self(v, k) for k, v in value.items() if k != "managedFields"}
            if value.get("kind") == "Pod" and (value.get("spec") or {}).get("nodeName") and "status" in out:
                out["status"] = NODE_WRITTEN  # see EXCLUSIONS
            return out
        if isinstance(value, list):
            return [self(item, key) for item in value]
        if not isinstance(value, str):
            return value
        if key == "resourceVersion" and value:
            return "<rv>"
        if key == "continue" and value:
            return "<continue>"
        if key == "nodeName" and value:
            return "<node>"
        if TIME.match(value):
            return "<time>"
        for name, placeholder in sorted(self.names.items(), key=lambda item: -len(item[0])):
            value = value.replace(name, placeholder)
        value = UUID.sub("<uid>", value)
        for pattern, replacement in NUMBERS:
            value = pattern.sub(replacement, value)
        return value


def generated(name: str, prefix: str) -> bool:
    """A name the server generated from PREFIX (generateName, a Job's pods): PREFIX + 5 characters."""
    return re.fullmatch(re.escape(prefix) + r"[bcdfghjklmnpqrstvwxz2456789]{5}", name) is not None


def wait_gone(backend: Backend, path: str, what: str, timeout: float = 90.0) -> None:
    backend.wait(lambda: backend.wire.call("GET", path).code == 404, f"{what} gone", timeout=timeout)
