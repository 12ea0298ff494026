"""Client failures become the tool's own errors with messages that name the object, context and next step.

Mapping is tested with plain ApiException/urllib3 values; the same errors are then provoked over HTTP against
the sandbox (404, 403, 401, 5xx after retries, a server that is down).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from cronjob_doctor.errors import (
    ApiFailure,
    ClusterError,
    Conflict,
    DoctorError,
    Forbidden,
    Gone,
    NotFound,
    Unauthorized,
    Unreachable,
)
from cronjob_doctor.kube.client import Kube
from cronjob_doctor.kube.errors import Call, connection_reason, is_connection_error, map_error
from cronjob_doctor_sandbox import Sandbox
from tests.builders import NS, job

SERVER = "https://prod.example:6443"
NOWHERE: Any = None  # urllib3 errors name their pool/connection; the mapping never looks at it


def api_error(status: int, message: str = "", reason: str = "", **extra: Any) -> ApiException:
    exc = ApiException(status=status, reason=reason or "Reason")
    exc.body = json.dumps(
        {"kind": "Status", "status": "Failure", "message": message, "reason": reason, **extra}
    )
    return exc


def mapped(exc: BaseException, call: Call, context: str | None = "prod") -> DoctorError:
    return map_error(exc, call, context=context, server=SERVER)


def test_404_names_kind_object_and_context() -> None:
    error = mapped(
        api_error(404, 'cronjobs.batch "tf-state-backup" not found'),
        Call("get", "cronjobs", "tofu-state", "tf-state-backup"),
    )
    assert isinstance(error, NotFound)
    assert str(error) == "cronjob tofu-state/tf-state-backup not found (context prod)"
    assert error.hint == "list them: cronjob-doctor scan -n tofu-state"


def test_404_of_another_kind_hints_kubectl() -> None:
    error = mapped(api_error(404), Call("get", "jobs", "tofu-state", "tf-state-backup-29565120"))
    assert str(error) == "job tofu-state/tf-state-backup-29565120 not found (context prod)"
    assert error.hint == "list them: kubectl --context prod get jobs -n tofu-state"


def test_401_names_the_context() -> None:
    error = mapped(api_error(401, "Unauthorized"), Call("list", "cronjobs", None))
    assert isinstance(error, Unauthorized)
    assert str(error) == "the cluster refused the credentials of context prod (401 Unauthorized)"
    assert error.hint is not None and "kubectl --context prod auth whoami" in error.hint


def test_403_names_verb_resource_namespace_and_keeps_the_server_message() -> None:
    server_says = (
        'jobs.batch is forbidden: User "ci" cannot create resource "jobs" in the namespace "tofu-state"'
    )
    error = mapped(
        api_error(403, server_says, "Forbidden"), Call("create", "jobs", "tofu-state", "x-doctor-1")
    )
    assert isinstance(error, Forbidden)
    assert str(error) == "forbidden: cannot create jobs in namespace tofu-state (see README, Permissions)"
    assert error.hint is not None and server_says in error.hint
    assert "auth can-i create jobs -n tofu-state" in error.hint


def test_403_on_a_subresource_at_cluster_scope() -> None:
    error = mapped(api_error(403), Call("list", "cronjobs", None))
    assert str(error) == "forbidden: cannot list cronjobs at cluster scope (see README, Permissions)"
    log = mapped(api_error(403), Call("get", "pods", NS, "p", subresource="log"))
    assert str(log) == "forbidden: cannot get pods/log in namespace tofu-state (see README, Permissions)"


def test_409_already_exists_is_a_conflict() -> None:
    error = mapped(
        api_error(409, 'jobs.batch "x" already exists', "AlreadyExists"), Call("create", "jobs", NS, "x")
    )
    assert isinstance(error, Conflict)
    assert str(error) == "job tofu-state/x already exists (context prod)"


def test_410_is_gone() -> None:
    error = mapped(api_error(410, "too old resource version: 5 (90)", "Expired"), Call("watch", "pods", NS))
    assert isinstance(error, Gone)
    assert "pods in namespace tofu-state" in str(error) and "too old resource version" in str(error)


def test_422_lists_the_server_causes() -> None:
    causes = [
        {"field": "spec.template.spec.containers[0].image", "message": "Required value"},
        {"field": "metadata.name", "message": "must be no more than 63 characters"},
    ]
    error = mapped(
        api_error(422, "Job is invalid", "Invalid", details={"causes": causes}),
        Call("create", "jobs", NS, "x"),
    )
    assert type(error) is ApiFailure
    assert str(error) == (
        "the cluster rejected job tofu-state/x as invalid: spec.template.spec.containers[0].image: "
        "Required value; metadata.name: must be no more than 63 characters"
    )


def test_other_status_keeps_status_and_message() -> None:
    error = mapped(api_error(500, "etcdserver: request timed out", "InternalError"), Call("list", "jobs", NS))
    assert type(error) is ApiFailure
    assert str(error).startswith("the cluster answered 500")
    assert "list jobs in namespace tofu-state" in str(error) and "etcdserver: request timed out" in str(error)


def test_non_json_error_body_is_kept_as_message() -> None:
    exc = ApiException(status=502, reason="Bad Gateway")
    exc.body = "<html>upstream connect error</html>"
    assert "upstream connect error" in str(mapped(exc, Call("get", "pods", NS, "p")))


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (
            urllib3.exceptions.MaxRetryError(
                NOWHERE,
                "/api",
                urllib3.exceptions.NewConnectionError(
                    NOWHERE, "Failed to establish a new connection: [Errno 111] Connection refused"
                ),
            ),
            "connection refused",
        ),
        (
            urllib3.exceptions.NameResolutionError("prod.example", NOWHERE, NOWHERE),
            "DNS lookup failed",
        ),
        (urllib3.exceptions.ConnectTimeoutError("timed out"), "connection timed out"),
        (
            urllib3.exceptions.ProtocolError("Connection broken", ConnectionResetError(104, "reset by peer")),
            "connection reset",
        ),
        (urllib3.exceptions.ProtocolError("Response ended prematurely"), "connection dropped"),
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (
            urllib3.exceptions.SSLError("certificate verify failed: self-signed certificate"),
            "TLS error: certificate verify failed: self-signed certificate",
        ),
        (
            ApiException(
                status=0, reason="SSLError\n[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
            ),
            "TLS error: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
        ),
    ],
)
def test_transport_failures_are_unreachable(exc: BaseException, reason: str) -> None:
    assert is_connection_error(exc)
    assert connection_reason(exc) == reason
    error = mapped(exc, Call("get", "cronjobs", NS, "tf-state-backup"))
    assert isinstance(error, Unreachable)
    assert str(error) == f"cannot reach the cluster at {SERVER}: {reason}"
    assert error.hint == "check the context: kubectl --context prod cluster-info"


def test_in_cluster_messages_say_so() -> None:
    error = mapped(api_error(404), Call("get", "jobs", NS, "x"), context=None)
    assert str(error) == "job tofu-state/x not found (in-cluster config)"


def test_api_answers_are_not_connection_errors() -> None:
    assert not is_connection_error(api_error(503))
    assert not is_connection_error(ValueError("x"))


def test_unknown_exceptions_still_become_doctor_errors() -> None:
    error = mapped(ValueError("bad json"), Call("list", "pods", NS))
    assert isinstance(error, ApiFailure) and "ValueError: bad json" in str(error)


# --- over HTTP, against the sandbox ----------------------------------------------------------------------


def test_missing_cronjob_over_http(kube: Kube) -> None:
    with pytest.raises(NotFound) as caught:
        kube.get_cronjob(NS, "tf-state-backup")
    assert str(caught.value) == "cronjob tofu-state/tf-state-backup not found (context sandbox)"
    assert isinstance(caught.value.__cause__, ApiException)


def test_denied_create_over_http(kube: Kube, bare: Sandbox) -> None:
    bare.deny("create", "jobs")
    with pytest.raises(Forbidden) as caught:
        kube.create_job(NS, job("x-doctor-1"))
    assert (
        str(caught.value) == "forbidden: cannot create jobs in namespace tofu-state (see README, Permissions)"
    )
    assert caught.value.exit_code == 3
    assert bare.store.find("jobs", NS, "x-doctor-1") is None


def test_refused_credentials_over_http(kube: Kube, bare: Sandbox) -> None:
    bare.faults.fail_next(1, status=401)
    with pytest.raises(Unauthorized, match="context sandbox"):
        kube.list_jobs(NS)
    assert len(bare.requests) == 1  # 401 is not retried


def test_server_down_is_unreachable_with_the_url(kube: Kube, bare: Sandbox) -> None:
    bare.faults.down()
    with pytest.raises(Unreachable) as caught:
        kube.get_job(NS, "x")
    assert str(caught.value) == f"cannot reach the cluster at {bare.url}: connection refused"
    assert caught.value.hint == "check the context: kubectl --context sandbox cluster-info"


def test_persistent_5xx_surfaces_after_the_retries(kube: Kube, bare: Sandbox) -> None:
    bare.faults.fail_next(10, status=503)
    with pytest.raises(ApiFailure, match="answered 503") as caught:
        kube.list_cronjobs(NS)
    assert isinstance(caught.value, ClusterError)
    assert len(bare.requests) == 3  # RetryPolicy(attempts=3)
