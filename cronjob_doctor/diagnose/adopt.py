"""Orphan debug Jobs as diagnose meets them: finding them, refusing to run beside one still running, deleting
them (`--delete-orphans`), and taking one over (`--adopt`).

An orphan is a debug Job whose diagnose is gone (scan/orphans.py decides). Adopting it rebuilds, from the Job
itself, what the flow needs to follow and judge it: its variant (label), the changes and original limits it
records (annotations) and its deadline.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cronjob_doctor.debugjob.build import DebugJob, Variant
from cronjob_doctor.debugjob.sampler import MARKER
from cronjob_doctor.diagnose.lock import Host, LeaseLock
from cronjob_doctor.diagnose.settings import DiagnoseSettings
from cronjob_doctor.errors import Conflict, InputError
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import annotations_of, labels_of, name_of
from cronjob_doctor.k8s.quantity import format_bytes
from cronjob_doctor.managed import CHANGES_ANNOTATION, ORIGINAL_LIMITS_ANNOTATION, VARIANT_LABEL
from cronjob_doctor.scan import orphans as orphanlib
from cronjob_doctor.scan.left import UNKNOWN, LeftJob

if TYPE_CHECKING:
    from cronjob_doctor.kube.client import Kube

Obj = dict[str, Any]

ADOPT_HINT = "--adopt (follow it to its end into a bundle and judge it) or --delete-orphans (delete it, then run)"


def unfinished_orphans_message(orphans: Sequence[LeftJob], target: str) -> str:
    """The error when a diagnose that is gone left a debug Job still running: one more would run beside it."""
    names = "; ".join(orphan.describe() for orphan in orphans)
    return f"cronjob {target}: {names}"


def orphan_hint(target: str) -> str:
    return (f"adopt it: cronjob-doctor diagnose {target} --adopt; delete it: cronjob-doctor diagnose {target} "
            "--delete-orphans; or run beside it: --force")


def find_orphans(
    settings: DiagnoseSettings, kube: Kube, *, namespace: str, cronjob: str, host: Host, lock: LeaseLock
) -> list[LeftJob]:
    """The debug Jobs of this CronJob whose diagnose is gone. Refuses (Conflict, exit 3) when one still runs
    and no flag says what to do with it: another debug run would run beside it."""
    left = orphanlib.debug_jobs_left(kube, namespace, cronjob=cronjob, now=host.clock(), host=host.name,
                                     pid_alive=host.pid_alive, notes=lock.notes)
    found = [job for job in left if job.orphan or job.state == UNKNOWN]
    target = f"{namespace}/{cronjob}"
    if settings.adopt and not found:
        raise InputError(
            f"cronjob {target}: no debug Job left by a diagnose that is gone, nothing to adopt",
            hint=f"list what cronjob-doctor left in the cluster: cronjob-doctor scan -n {namespace}",
        )
    running = [job for job in found if not job.finished]
    if running and not (settings.adopt or settings.delete_orphans or settings.force):
        raise Conflict(unfinished_orphans_message(running, target), hint=orphan_hint(target))
    return found


def handle_orphans(
    settings: DiagnoseSettings, kube: Kube, orphans: list[LeftJob], *, namespace: str, note: Callable[[str], None]
) -> list[str]:
    """Delete the orphans (--delete-orphans), or say they are there and what to do about them."""
    notes = []
    for orphan in orphans:
        if settings.delete_orphans:
            kube.delete_job(namespace, orphan.name)
            text = f"deleted {orphan.describe()} (--delete-orphans)"
        elif settings.adopt:
            text = f"adopted {orphan.describe()}"
        else:
            text = f"{orphan.describe()}; {ADOPT_HINT}"
        note(text)
        notes.append(text)
    return notes


def debug_job_of(job: Obj) -> tuple[Variant, DebugJob]:
    """The variant and DebugJob of a debug Job read from the cluster, as the diagnose that made it planned them."""
    notes = annotations_of(job)
    changes = _json_list(notes.get(CHANGES_ANNOTATION))
    original = _json_dict(notes.get(ORIGINAL_LIMITS_ANNOTATION))
    spec = templates.pod_spec(job)
    containers = templates.containers(spec, init=False)
    instrumented = [str(c.get("name")) for c in containers if MARKER in json.dumps(c) or "set -x" in json.dumps(c)]
    measured = next((c for c in containers if str(c.get("name")) in instrumented), None) or next(
        iter(containers), None)
    limit = templates.memory_limit_bytes(measured) if measured else None
    variant_name = labels_of(job).get(VARIANT_LABEL) or (format_bytes(limit) if limit else "adopted")
    deadline = (job.get("spec") or {}).get("activeDeadlineSeconds")
    debug = DebugJob(
        manifest=job,
        changes=[str(change) for change in changes],
        instrumented=instrumented,
        original_limits={str(k): (str(v) if v is not None else None) for k, v in original.items()},
        limits={str(c.get("name")): templates.memory_limit(c) for c in templates.containers(spec)},
        deadline_seconds=int(deadline) if isinstance(deadline, int) else 1800,
        deadline_source="the adopted Job's own",
    )
    return Variant(f"{variant_name} (adopted {name_of(job)})", limit, None), debug


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _json_dict(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
