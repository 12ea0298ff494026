"""The sandbox's authorizer: everything is allowed unless a test denies it.

One rule list serves both places a real cluster consults RBAC: the request itself (403 Forbidden) and
SelfSubjectAccessReview (status.allowed), so `kubectl auth can-i` and the tool's preflight agree with what
the server then does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Attributes:
    """What is being asked: the resourceAttributes of an access review."""

    verb: str
    resource: str
    namespace: str = ""
    group: str = ""
    subresource: str = ""
    name: str = ""


@dataclass(frozen=True)
class DenyRule:
    """None matches anything; `resource` may be "*"."""

    verb: str
    resource: str
    namespace: str | None = None
    group: str | None = None
    subresource: str | None = None

    def matches(self, attrs: Attributes) -> bool:
        return (
            self.verb in ("*", attrs.verb)
            and self.resource in ("*", attrs.resource)
            and (self.namespace is None or self.namespace == attrs.namespace)
            and (self.group is None or self.group == attrs.group)
            and (self.subresource is None or self.subresource == attrs.subresource)
        )


class Authorizer:
    """Thread-safe deny list consulted for every request and access review."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[DenyRule] = []

    def deny(self, verb: str, resource: str, namespace: str | None = None, group: str | None = None,
             subresource: str | None = None) -> None:
        with self._lock:
            self._rules.append(DenyRule(verb, resource, namespace, group, subresource))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def allowed(self, attrs: Attributes) -> bool:
        with self._lock:
            return not any(rule.matches(attrs) for rule in self._rules)

    def review(self, attrs: Attributes) -> dict[str, object]:
        """The `status` of a SelfSubjectAccessReview, worded like the RBAC authorizer's answers."""
        if self.allowed(attrs):
            return {"allowed": True, "reason": 'RBAC: allowed by ClusterRoleBinding "sandbox-admin" of '
                                              'ClusterRole "cluster-admin" to User "sandbox-user"'}
        return {"allowed": False, "reason": "denied by a sandbox authorization rule"}
