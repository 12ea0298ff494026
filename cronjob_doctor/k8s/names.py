"""Kubernetes object names as the API validates them (DNS-1123), and `NAMESPACE/NAME` as users type it.

Pure: no client, no environment. A bad name is an InputError (exit 2) before the cluster is touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cronjob_doctor.errors import InputError

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Target:
    """A namespaced object named on the command line."""

    namespace: str
    """Kubernetes namespace (a DNS-1123 label)."""
    name: str
    """Object name (a DNS-1123 subdomain, at most 253 characters)."""

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


def check_namespace(namespace: str) -> str:
    """Return `namespace` if it is a valid DNS-1123 label, else raise InputError naming the rule broken."""
    if not namespace:
        raise InputError("namespace is empty")
    if len(namespace) > 63 or not _DNS1123_LABEL.match(namespace):
        raise InputError(
            f"invalid namespace {namespace!r}: must be a DNS-1123 label "
            "(lowercase letters, digits and '-', start and end alphanumeric, at most 63 characters)"
        )
    return namespace


def check_name(name: str, kind: str = "name") -> str:
    """Return `name` if it is a valid DNS-1123 subdomain (what CronJob and Job names are)."""
    if not name:
        raise InputError(f"{kind} is empty")
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        raise InputError(
            f"invalid {kind} {name!r}: must be a DNS-1123 name "
            "(lowercase letters, digits, '-' and '.', start and end alphanumeric)"
        )
    return name


def parse_target(text: str, *, default_namespace: str | None = None) -> Target:
    """Parse `NAMESPACE/NAME` (or a bare NAME when a default namespace is known)."""
    raw = text.strip()
    if raw.count("/") > 1:
        raise InputError(f"invalid target {text!r}: expected NAMESPACE/NAME")
    if "/" in raw:
        namespace, name = raw.split("/", 1)
        if namespace.lower() in ("cronjob", "cronjobs", "cronjob.batch", "cj", "job", "jobs", "job.batch"):
            raise InputError(
                f"invalid target {text!r}: expected NAMESPACE/NAME, not KIND/NAME",
                hint=f"name the namespace: cronjob-doctor ... <namespace>/{name} or -n <namespace> {name}",
            )
    elif default_namespace:
        namespace, name = default_namespace, raw
    else:
        raise InputError(f"invalid target {text!r}: expected NAMESPACE/NAME", hint="or give -n NAMESPACE NAME")
    return Target(check_namespace(namespace), check_name(name))
