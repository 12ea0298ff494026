"""The Secret values a job's containers read, turned into a Redactor: `set -x` expands them into the trace.

Reads only the Secrets the pod template references (env, envFrom, Secret volumes and projected volumes), only
when `get secrets` is allowed, and keeps the values in memory (in the Redactor), never on disk. Used by
`diagnose` and `record`, which also ask `split_value_notes` where a value may have been cut in two by a line
break (neither half is redacted).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cronjob_doctor import bundle as bundle_io
from cronjob_doctor.errors import DoctorError, NotFound
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import as_dict, as_dicts
from cronjob_doctor.redact import Redactor

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube


def redactor_for(kube: Kube, namespace: str, cronjob: dict[str, Any], *, enabled: bool) -> tuple[Redactor, list[str]]:
    """A Redactor knowing the values of the Secrets the job's containers read (env secretKeyRef, envFrom
    secretRef, Secret volumes, projected Secret sources), and notes on what could not be read. `get secrets` is
    optional: without it only the credential patterns apply. The values live only in the Redactor."""
    if not enabled:
        return Redactor(enabled=False), []
    env_refs = secret_refs(cronjob)
    mounted = volume_refs(cronjob)
    names = sorted({secret for secret, _key, _label in [*env_refs, *mounted]})
    if not names:
        return Redactor(), []
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
            data[secret] = dict(as_dict(kube.get_secret(namespace, secret).get("data")))
        except NotFound:
            continue  # the pod cannot read it either (the config verdict says so): nothing to redact
        except DoctorError as exc:
            notes.append(f"could not read Secret {secret} ({exc}): its values are not redacted by value")
    values: dict[str, str] = {}
    for secret, key, env in env_refs:
        for item_key, value in _values(data.get(secret), key):
            values.setdefault(env if key is not None else f"{env}{item_key}", value)
    for secret, key, _volume in mounted:
        for item_key, value in _values(data.get(secret), key):
            values.setdefault(f"{secret}/{item_key}", value)
    return Redactor(values), notes


def _values(data: dict[str, Any] | None, key: str | None) -> list[tuple[str, str]]:
    """(key, decoded value) of a Secret's data, one key or all; binary values cannot appear in a text log as
    they are and are left out."""
    out = []
    for item_key, encoded in (data or {}).items():
        if key is not None and item_key != key:
            continue
        try:
            out.append((str(item_key), base64.b64decode(str(encoded), validate=False).decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            continue
    return out


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


def volume_refs(cronjob: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(Secret name, key or None for every key, volume name) for every Secret the pod template mounts: a
    `secret` volume (`secretName`, its `items` when it lists some) and each `secret` source of a `projected`
    volume. A script that reads a mounted file (`PASS=$(cat /etc/creds/password)`) traces the value as well."""
    refs: list[tuple[str, str | None, str]] = []
    for volume in as_dicts(templates.pod_spec(cronjob).get("volumes")):
        label = str(volume.get("name") or "")
        sources = [(as_dict(volume.get("secret")), "secretName")]
        sources += [(as_dict(source.get("secret")), "name")
                    for source in as_dicts(as_dict(volume.get("projected")).get("sources"))]
        for source, name_field in sources:
            name = source.get(name_field)
            if not name:
                continue
            keys = [str(item["key"]) for item in as_dicts(source.get("items")) if item.get("key")]
            refs += [(str(name), key, label) for key in keys] if keys else [(str(name), None, label)]
    return refs


def split_value_notes(redactor: Redactor, root: Path) -> list[str]:
    """A note for each place in the container logs under `root` (a bundle, or the root of several) where a
    Secret value may be split across two lines: neither half matched the value, so both are still there."""
    if not redactor.enabled:
        return []
    notes = []
    for path in sorted(root.rglob("*.log")):
        if path.is_symlink() or not path.is_file() or "logs" not in path.relative_to(root).parts:
            continue
        log = bundle_io.LogFile(pod="", container="", path=path)
        for first, last, name in redactor.splits(line.text for line in log.lines()):
            notes.append(
                f"a secret value ({name}) may be split across lines {first}-{last} of "
                f"{path.relative_to(root).as_posix()}: neither part is redacted; check those lines before sharing"
            )
    return notes
