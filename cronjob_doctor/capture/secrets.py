"""The Secret values a job's containers read, turned into a Redactor: `set -x` expands them into the trace.

Reads only the Secrets the pod template references, only when `get secrets` is allowed, and keeps the values
in memory (in the Redactor), never on disk. Used by `diagnose` and `record`.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from cronjob_doctor.errors import DoctorError, NotFound
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import as_dicts
from cronjob_doctor.redact import Redactor

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube


def redactor_for(kube: Kube, namespace: str, cronjob: dict[str, Any], *, enabled: bool) -> tuple[Redactor, list[str]]:
    """A Redactor knowing the values of the Secrets the job's containers read (env secretKeyRef, envFrom
    secretRef), and notes on what could not be read. `get secrets` is optional: without it only the
    credential patterns apply. The values live only in the Redactor, never on disk."""
    if not enabled:
        return Redactor(enabled=False), []
    refs = secret_refs(cronjob)
    if not refs:
        return Redactor(), []
    names = sorted({secret for secret, _key, _env in refs})
    if not kube.can_i(namespace, "get", "secrets"):
        unreadable = (
            f"not allowed to get secrets in {namespace}: the values of Secret {', '.join(names)} are not "
            "redacted by value, only credential patterns are"
        )
        return Redactor(), [unreadable]
    data: dict[str, dict[str, Any]] = {}
    notes = []
    for secret in names:
        try:
            data[secret] = dict(kube.get_secret(namespace, secret).get("data") or {})
        except NotFound:
            continue  # the pod cannot read it either (the config verdict says so): nothing to redact
        except DoctorError as exc:
            notes.append(f"could not read Secret {secret} ({exc}): its values are not redacted by value")
    values: dict[str, str] = {}
    for secret, key, env in refs:
        for item_key, encoded in (data.get(secret) or {}).items():
            if key is not None and item_key != key:
                continue
            try:
                value = base64.b64decode(str(encoded), validate=False).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                continue  # binary data cannot appear in a text log as it is
            values.setdefault(env if key is not None else f"{env}{item_key}", value)
    return Redactor(values), notes


def secret_refs(cronjob: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(Secret name, key or None for a whole envFrom Secret, env var name or envFrom prefix) for every
    container of the job's pod template: all their logs are captured."""
    refs: list[tuple[str, str | None, str]] = []
    for container in templates.containers(templates.pod_spec(cronjob)):
        for item in as_dicts(container.get("env")):
            source = item.get("valueFrom")
            ref = source.get("secretKeyRef") if isinstance(source, dict) else None
            if isinstance(ref, dict) and ref.get("name") and ref.get("key"):
                refs.append((str(ref["name"]), str(ref["key"]), str(item.get("name", ref["key"]))))
        for source in as_dicts(container.get("envFrom")):
            ref = source.get("secretRef")
            if isinstance(ref, dict) and ref.get("name"):
                refs.append((str(ref["name"]), None, str(source.get("prefix") or "")))
    return refs
