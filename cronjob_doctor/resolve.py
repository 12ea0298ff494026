"""Which CronJob a name on the command line means: the CronJob itself, the Job an alert names (found by its
ownerReference), or, when the CronJob controller already pruned that Job (`failedJobsHistoryLimit: 1` does
within minutes), the CronJob whose name is the prefix before the Job's scheduled-time suffix. Shared by
diagnose and history; each answer says how it was found.

A name that matches nothing gets a did-you-mean from the names that exist (and from the namespaces, when the
namespace itself is wrong). Read-only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cronjob_doctor.errors import Forbidden, InputError, NotFound
from cronjob_doctor.k8s import jobs as joblib
from cronjob_doctor.k8s.objects import Obj, name_of

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube


@dataclass(frozen=True)
class Resolved:
    """The CronJob a target names, and how it was found (None: it was named directly)."""

    cronjob: Obj
    via: str | None = None
    """e.g. `job tofu-state/backup-29568000 (its owner)` or `job ... was pruned; backup is its name's prefix`."""


def resolve_cronjob(kube: Kube, namespace: str, name: str, *, command: str) -> Resolved:
    """The CronJob named, or the CronJob of the Job named (see the module docstring)."""
    try:
        return Resolved(dict(kube.get_cronjob(namespace, name)))
    except NotFound as missing:
        first_miss = missing
    try:
        job = kube.get_job(namespace, name)
    except NotFound:
        job = None
    if job is not None:
        owner = joblib.cronjob_of(job)
        if owner is None:
            raise InputError(
                f"job {namespace}/{name} was not created by a CronJob (no CronJob ownerReference)",
                hint=f"{command} takes a CronJob or a Job that a CronJob created",
            ) from None
        return Resolved(dict(kube.get_cronjob(namespace, owner)), via=f"job {namespace}/{name} belongs to it")
    prefix = joblib.cronjob_prefix(name)
    if prefix is not None:
        try:
            cronjob = kube.get_cronjob(namespace, prefix)
        except NotFound:
            pass
        else:
            return Resolved(dict(cronjob), via=f"job {namespace}/{name} is gone (pruned by the CronJob controller); "
                            f"{prefix} is the CronJob its name starts with")
    raise NotFound(first_miss.message, hint=suggestion(kube, namespace, name, command=command)
                   or first_miss.hint) from None


def suggestion(kube: Kube, namespace: str, name: str, *, command: str) -> str | None:
    """`did you mean ...?` from the CronJobs of the namespace, or from the namespaces when it has none."""
    try:
        cronjobs = [name_of(c) for c in kube.list_cronjobs(namespace)]
    except (NotFound, Forbidden):
        cronjobs = []
    close = difflib.get_close_matches(name, cronjobs, n=3, cutoff=0.6)
    prefix = joblib.cronjob_prefix(name)
    if prefix is not None:
        close = close or difflib.get_close_matches(prefix, cronjobs, n=3, cutoff=0.6)
    if close:
        return "did you mean: " + ", ".join(f"cronjob-doctor {command} {namespace}/{c}" for c in close)
    if cronjobs:
        return f"list them: cronjob-doctor scan -n {namespace}"
    other = namespace_suggestion(kube, namespace)
    if other:
        return other
    return f"no CronJobs in namespace {namespace}; list every namespace's: cronjob-doctor scan -A"


def namespace_suggestion(kube: Kube, namespace: str) -> str | None:
    """`namespace X does not exist; did you mean ...?`, or None when it exists or namespaces cannot be listed."""
    try:
        names = [name_of(n) for n in kube.list_namespaces()]
    except (NotFound, Forbidden):
        return None
    if namespace in names:
        return None
    close = difflib.get_close_matches(namespace, names, n=3, cutoff=0.6)
    return f"namespace {namespace} does not exist" + (f"; did you mean: {', '.join(close)}" if close else "")
