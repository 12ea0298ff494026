"""Turn kubernetes-client and urllib3 failures into cronjob_doctor.errors, with messages that name the object.

The only place that maps client errors: callers in kube/ wrap each call with `raise map_error(exc, call, ...)
from exc`, so no ApiException or urllib3 type ever leaves kube/. Nothing here talks to the cluster.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from typing import Any

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from cronjob_doctor.errors import (
    ApiFailure,
    Conflict,
    DoctorError,
    Forbidden,
    Gone,
    NotFound,
    Unauthorized,
    Unreachable,
)

# What a dropped, refused or timed-out connection looks like, whether urllib3 wrapped it or not.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ProtocolError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.SSLError,
    urllib3.exceptions.ProxyError,
    urllib3.exceptions.IncompleteRead,
    urllib3.exceptions.InvalidChunkLength,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    ssl.SSLError,
)

_SINGULAR = {
    "cronjobs": "cronjob",
    "jobs": "job",
    "pods": "pod",
    "events": "event",
    "networkpolicies": "networkpolicy",
    "secrets": "secret",
    "selfsubjectaccessreviews": "selfsubjectaccessreview",
}


class ContainerWaiting(ApiFailure):
    """The log endpoint answered 400 "waiting to start": the container has no log yet; logs.py waits."""


class NoPreviousLog(NotFound):
    """The log endpoint answered 400 for previous=true: no earlier instance of the container exists."""


@dataclass(frozen=True)
class Call:
    """What was asked of the API, in RBAC terms, so an error message can name it."""

    verb: str
    """RBAC verb: get, list, watch, create, delete."""
    resource: str
    """Plural resource name, e.g. "jobs"."""
    namespace: str | None
    """None for cluster-scoped or all-namespaces calls."""
    name: str | None = None
    """The object's name for get/delete/log calls."""
    subresource: str = ""
    """e.g. "log" for pods/log."""

    @property
    def kind(self) -> str:
        return _SINGULAR.get(self.resource, self.resource.rstrip("s"))

    @property
    def rbac_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def object_ref(self) -> str:
        """`cronjob tofu-state/tf-state-backup`, `jobs in namespace x`, `cronjobs in all namespaces`."""
        if self.name:
            return (
                f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"
            )
        return (
            f"{self.resource} in namespace {self.namespace}"
            if self.namespace
            else f"{self.resource} in all namespaces"
        )

    def scope(self) -> str:
        return f"in namespace {self.namespace}" if self.namespace else "at cluster scope"


def is_connection_error(exc: BaseException) -> bool:
    """True for transport failures (refused, reset, timed out, truncated body, TLS), false for API answers."""
    if isinstance(exc, ApiException):
        # The REST layer turns a urllib3 SSLError into ApiException(status=0).
        return not exc.status
    return isinstance(exc, CONNECTION_ERRORS)


def api_status(exc: BaseException) -> int | None:
    """The HTTP status of an API answer, None for transport failures and everything else."""
    if isinstance(exc, ApiException) and exc.status:
        return int(exc.status)
    return None


def status_body(exc: ApiException) -> dict[str, Any]:
    """The server's metav1.Status as a dict ({} when the body is not one)."""
    body = exc.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"message": str(body).strip()[:500]}
    return parsed if isinstance(parsed, dict) else {}


def server_message(exc: ApiException) -> str:
    """The Status message, else the HTTP reason phrase."""
    status = status_body(exc)
    return str(status.get("message") or exc.reason or f"HTTP {exc.status}")


def connection_reason(exc: BaseException) -> str:
    """A short lowercase phrase for a transport failure: `connection refused`, `DNS lookup failed`, ..."""
    inner: BaseException = exc
    while isinstance(inner, urllib3.exceptions.MaxRetryError) and inner.reason is not None:
        inner = inner.reason
    text = str(inner)
    lowered = text.lower()
    if isinstance(inner, ApiException):
        lowered = str(inner.reason or "").lower()
        text = str(inner.reason or "")
    if (
        isinstance(inner, (urllib3.exceptions.SSLError, ssl.SSLError))
        or "sslerror" in lowered
        or "certificate" in lowered
    ):
        detail = text.splitlines()[-1] if text else "handshake failed"
        return f"TLS error: {detail.strip()[:200]}"
    if "refused" in lowered:
        return "connection refused"
    if isinstance(inner, urllib3.exceptions.NameResolutionError) or any(
        marker in lowered
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "getaddrinfo failed",
            "failed to resolve",
        )
    ):
        return "DNS lookup failed"
    if isinstance(inner, urllib3.exceptions.ReadTimeoutError):
        return "no answer within the read timeout"
    if (
        isinstance(inner, (urllib3.exceptions.ConnectTimeoutError, socket.timeout, TimeoutError))
        or "timed out" in lowered
    ):
        return "connection timed out"
    if "reset" in lowered:
        return "connection reset"
    if isinstance(inner, (urllib3.exceptions.ProtocolError, http.client.HTTPException)):
        return "connection dropped"
    if "unreachable" in lowered:
        return "network unreachable"
    return text.strip().splitlines()[0][:200] if text.strip() else type(inner).__name__


def _where(context: str | None) -> str:
    return f"context {context}" if context else "in-cluster config"


def _kubectl(context: str | None) -> str:
    return f"kubectl --context {context}" if context else "kubectl"


def map_error(exc: BaseException, call: Call, *, context: str | None, server: str) -> DoctorError:
    """The DoctorError for a client failure; callers `raise map_error(...) from exc`. Unknown types pass through
    as ApiFailure so no client exception leaks out of kube/."""
    if isinstance(exc, DoctorError):
        return exc
    if is_connection_error(exc):
        return Unreachable(
            f"cannot reach the cluster at {server}: {connection_reason(exc)}",
            hint=f"check the context: {_kubectl(context)} cluster-info",
        )
    if not isinstance(exc, ApiException):
        return ApiFailure(
            f"unexpected failure talking to the cluster at {server} ({call.verb} {call.object_ref()}): "
            f"{type(exc).__name__}: {exc}",
            hint="rerun with --debug and report it",
        )
    status = int(exc.status or 0)
    message = server_message(exc)
    body = status_body(exc)
    kubectl = _kubectl(context)
    ns_flag = f" -n {call.namespace}" if call.namespace else " -A"
    if status == 404:
        if call.name:
            hint = (
                f"list them: cronjob-doctor scan -n {call.namespace}"
                if call.resource == "cronjobs" and call.namespace
                else f"list them: {kubectl} get {call.resource}{ns_flag}"
            )
            return NotFound(f"{call.object_ref()} not found ({_where(context)})", hint=hint)
        return NotFound(
            f"{call.object_ref()}: the API has no such resource ({_where(context)}): {message}",
            hint=f"check the API: {kubectl} api-resources",
        )
    if status == 401:
        return Unauthorized(
            f"the cluster refused the credentials of {_where(context)} (401 Unauthorized)",
            hint=f"renew the credentials (login/token), then check: {kubectl} auth whoami",
        )
    if status == 403:
        return Forbidden(
            f"forbidden: cannot {call.verb} {call.rbac_resource} {call.scope()} (see README, Permissions)",
            hint=f"the server said: {message}; check: {kubectl} auth can-i {call.verb} {call.rbac_resource}"
            + (f" -n {call.namespace}" if call.namespace else ""),
        )
    if status == 409:
        if body.get("reason") == "AlreadyExists":
            text = f"{call.object_ref()} already exists ({_where(context)})"
        else:
            text = f"{call.object_ref()} changed meanwhile ({_where(context)}): {message}"
        return Conflict(
            text, hint=f"inspect it: {kubectl} get {call.resource}{ns_flag} {call.name or ''}".rstrip()
        )
    if status == 410:
        return Gone(
            f"the cluster no longer has the requested version of {call.object_ref()} (410 Gone): {message}",
            hint="this is retried by relisting; if it persists the API server's watch cache is too small",
        )
    if status == 422:
        causes = [
            f"{cause.get('field', '')}: {cause.get('message', '')}".strip(": ")
            for cause in (body.get("details") or {}).get("causes") or []
            if isinstance(cause, dict)
        ]
        detail = "; ".join(causes) if causes else message
        return ApiFailure(
            f"the cluster rejected {call.object_ref()} as invalid: {detail}",
            hint="the manifest does not validate against this cluster's API version; see --dry-run output",
        )
    reason = exc.reason or http.client.responses.get(status, "")
    return ApiFailure(
        f"the cluster answered {status} {reason} to {call.verb} {call.object_ref()}: {message}".replace(
            "  ", " "
        ),
        hint=f"check the API server's health: {kubectl} get --raw /readyz?verbose",
    )
