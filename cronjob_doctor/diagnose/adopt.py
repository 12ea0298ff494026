"""Orphan debug Jobs as diagnose meets them: what to say about them, and how to take one over (`--adopt`).

An orphan is a debug Job whose diagnose is gone (scan/orphans.py decides). Adopting it rebuilds, from the Job
itself, what the flow needs to follow and judge it: its variant (label), the changes and original limits it
records (annotations) and its deadline. Pure: Job dicts in, plain values out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cronjob_doctor.debugjob.build import DebugJob, Variant
from cronjob_doctor.debugjob.sampler import MARKER
from cronjob_doctor.k8s import templates
from cronjob_doctor.k8s.objects import annotations_of, labels_of, name_of
from cronjob_doctor.k8s.quantity import format_bytes
from cronjob_doctor.managed import CHANGES_ANNOTATION, ORIGINAL_LIMITS_ANNOTATION, VARIANT_LABEL
from cronjob_doctor.scan.left import LeftJob

Obj = dict[str, Any]

ADOPT_HINT = "--adopt (follow it to its end into a bundle and judge it) or --delete-orphans (delete it, then run)"


def unfinished_orphans_message(orphans: Sequence[LeftJob], target: str) -> str:
    """The error when a diagnose that is gone left a debug Job still running: one more would run beside it."""
    names = "; ".join(orphan.describe() for orphan in orphans)
    return f"cronjob {target}: {names}"


def orphan_hint(target: str) -> str:
    return (f"adopt it: cronjob-doctor diagnose {target} --adopt; delete it: cronjob-doctor diagnose {target} "
            "--delete-orphans; or run beside it: --force")


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
