"""The one exception hierarchy; `cli.exit_codes()` is the only place that turns it into messages and exit codes.

Exit codes (DESIGN.md): 2 usage or input error, 3 cannot reach or use the cluster. A diagnosed failure is a
result (exit 1), never an exception.
"""

from __future__ import annotations

from typing import ClassVar


class DoctorError(Exception):
    """Base of every error the tool reports to the user as one line plus an optional hint."""

    exit_code: ClassVar[int] = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(DoctorError):
    """Bad flag, NS/NAME, size, duration, unreadable bundle or YAML."""


class ClusterError(DoctorError):
    """The cluster cannot be reached or used."""

    exit_code: ClassVar[int] = 3


class NotFound(ClusterError):
    """The object does not exist (in that namespace and context)."""


class Forbidden(ClusterError):
    """RBAC refused a verb."""


class Unauthorized(ClusterError):
    """The credentials were refused."""


class Unreachable(ClusterError):
    """No connection to the API server (refused, DNS, TLS, timeout)."""


class Conflict(ClusterError):
    """The object already exists or changed under us (409)."""


class Gone(ClusterError):
    """A watch or list resourceVersion is too old (410); callers relist."""


class ApiFailure(ClusterError):
    """Any other API answer the tool cannot act on (5xx after retries, 422, unexpected status)."""


class Interrupted(DoctorError):
    """Ctrl-C or SIGTERM, raised after the flow cleaned up."""

    exit_code: ClassVar[int] = 130
