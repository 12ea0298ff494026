"""Kubernetes `Status` objects and the error the sandbox's handlers raise to answer with one.

Messages and reasons copy the real API server word for word (clients and kubectl match on them); this module
only builds JSON, it never touches the store or the socket.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """Raised anywhere in request handling; the server turns it into a Status response."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: Obj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = _REASONS.get(code, "") if reason is None else reason  # "": a Status without a reason
        self.details = details
        self.headers = headers or {}

    def status(self) -> Obj:
        return failure(self.code, self.message, reason=self.reason, details=self.details)


def failure(code: int, message: str, *, reason: str | None = None, details: Obj | None = None) -> Obj:
    """A `status: Failure` Status, shaped exactly as the API server sends it (REASON "": none, as some are)."""
    body: Obj = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
    }
    reason = _REASONS.get(code, "") if reason is None else reason
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


def success(*, name: str, group: str, plural: str, uid: str) -> Obj:
    """What a DELETE of a resource without ReturnDeletedObject answers (jobs, cronjobs, ...)."""
    details: Obj = {"name": name, "kind": plural, "uid": uid}
    if group:
        details["group"] = group
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def qualified(plural: str, group: str) -> str:
    """`jobs.batch`, or just `pods` for the core group: the resource name the server puts in messages."""
    return f"{plural}.{group}" if group else plural


def _details(name: str | None, group: str, kind: str) -> Obj:
    details: Obj = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    return details


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404, f'{qualified(plural, group)} "{name}" not found', details=_details(name, group, plural)
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'{qualified(plural, group)} "{name}" already exists',
        reason="AlreadyExists",
        details=_details(name, group, plural),
    )


def conflict(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        details=_details(name, group, plural),
    )


def forbidden(
    *, user: str, verb: str, plural: str, group: str, namespace: str, name: str, subresource: str
) -> ApiError:
    """`jobs.batch is forbidden: User "u" cannot create resource "jobs" in API group "batch" in the ...`."""
    subject = qualified(plural, group) + (f' "{name}"' if name else "")
    resource = f"{plural}/{subresource}" if subresource else plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {scope}'
    )
    return ApiError(403, message, details=_details(name, group, plural))


def invalid(kind: str, group: str, name: str, causes: list[Obj]) -> ApiError:
    """422 with one `field: message` per cause, bracketed when there are several, as apimachinery does."""
    parts = [f"{c['field']}: {c['message']}" for c in causes]
    listed = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    subject = f"{kind}.{group}" if group else kind
    details = _details(name, group, kind)
    if not kind:
        details.pop("kind")  # omitempty: a kind-less object (an empty SelfSubjectAccessReview spec) has none
    details["causes"] = causes
    return ApiError(422, f'{subject} "{name}" is invalid: {listed}', reason="Invalid", details=details)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def parse_resource_version(text: str) -> int:
    """A resourceVersion query parameter as the apiserver parses it (strconv.ParseUint), or ValueError with the
    message it gives: `resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax`."""
    if text.isascii() and text.isdigit():
        if int(text) < 2**64:
            return int(text)
        problem = "value out of range"
    else:
        problem = "invalid syntax"
    raise ValueError(f'resourceVersion: Invalid value: "{text}": strconv.ParseUint: parsing "{text}": {problem}')


def expired(message: str) -> Obj:
    return failure(410, message, reason="Expired")
