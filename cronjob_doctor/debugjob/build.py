"""CronJob in, debug Job out: the pure function at the heart of `diagnose`, plus its readable diff.

The debug Job must reproduce production (image, env, volumes, serviceAccount, labels, scheduling) and change only
what the diagnosis needs; every change is recorded in its annotations. No client, no clock, no randomness here:
the caller passes the run id.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from cronjob_doctor.debugjob import sampler as memory_sampler
from cronjob_doctor.debugjob import yamltext
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes
from cronjob_doctor.k8s.shell import shell_script
from cronjob_doctor.k8s.templates import memory_limit, memory_limit_bytes
from cronjob_doctor.managed import (
    CHANGES_ANNOTATION,
    MANAGED_BY,
    MANAGED_BY_KEY,
    ORIGINAL_LIMITS_ANNOTATION,
    RUN_ID_LABEL,
    SOURCE_ANNOTATION,
    SOURCE_LABEL,
    VARIANT_LABEL,
)

DEFAULT_TIMEOUT_SECONDS = 1800
"""The debug Job's activeDeadlineSeconds when neither --timeout nor the CronJob sets one."""
SAFETY_TTL_SECONDS = 3600
"""ttlSecondsAfterFinished: the cluster removes the debug Job even if the tool dies before cleaning up."""

MAX_NAME = 63


@dataclass(frozen=True)
class Variant:
    """One way to run the clone: a memory limit (None keeps the original) and an optional image."""

    name: str
    memory_bytes: int | None = None
    image: str | None = None
    raise_only: bool = False
    """The default raise (no --memory given): a container gets `memory_bytes` only where that raises its own
    limit. A higher limit is kept, and a container without a limit is given none (it runs as in production)."""


@dataclass
class DebugJob:
    """The manifest to create and what the tool did to get it."""

    manifest: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    instrumented: list[str] = field(default_factory=list)
    """Containers that got `set -x` (and the sampler)."""
    original_limits: dict[str, str | None] = field(default_factory=dict)
    """Container name (app and init) -> original memory limit (None when unset)."""
    limits: dict[str, str | None] = field(default_factory=dict)
    """Container name (app and init) -> its memory limit in the debug Job (None when unset)."""
    deadline_seconds: int = DEFAULT_TIMEOUT_SECONDS
    """The debug Job's activeDeadlineSeconds."""
    deadline_source: str = "the default"
    """Where it came from: `--timeout`, `the CronJob's own`, or `the default`."""
    sampler_token: str | None = None
    """The token the memory sampler prints on its lines (None: no sampler runs); only lines with it are samples.
    Also in the Job's `cronjob-doctor/sampler-token` annotation; the bundle's meta.json records it."""

    @property
    def name(self) -> str:
        return str(self.manifest["metadata"]["name"])


def job_name(cronjob_name: str, run_id: str) -> str:
    """`<cronjob>-doctor-<id>`, the CronJob part shortened so the whole stays within 63 characters."""
    suffix = f"-doctor-{run_id}"
    base = cronjob_name[: MAX_NAME - len(suffix)].rstrip("-.")
    return f"{base}{suffix}"


def _instrument(container: dict[str, Any], *, trace: bool, token: str | None) -> bool:
    """Prepend the sampler and `set -x` to the container's shell script; False when it runs no shell script."""
    script = shell_script(container)
    if script is None:
        return False
    words = [str(word) for word in container.get(script.field) or []]
    words[script.index] = memory_sampler.instrument(script.text, token=token, trace=trace)
    container[script.field] = words
    return True


def _raise_memory(container: dict[str, Any], limit_bytes: int, changes: list[str]) -> None:
    """The default raise: never lower a limit, never add one where production has none (say so either way)."""
    name, before = container["name"], memory_limit(container)
    current = memory_limit_bytes(container)
    if before is None:
        # No limit, no cgroup OOM kill at a limit: giving it one would add a failure production cannot have.
        changes.append(f"container {name}: no memory limit, none added (the default raise only raises limits; "
                       "--memory SIZE sets one)")
    elif current is None or current >= limit_bytes:
        changes.append(f"container {name}: memory limit {before} kept (the default raise to "
                       f"{format_bytes(limit_bytes)} never lowers a limit)")
    else:
        _set_memory(container, limit_bytes, changes)


def _set_memory(container: dict[str, Any], limit_bytes: int, changes: list[str]) -> None:
    previous = memory_limit_bytes(container)
    resources = container.setdefault("resources", {})
    limits = resources.setdefault("limits", {})
    before = limits.get("memory")
    new = format_bytes(limit_bytes)
    limits["memory"] = new
    lowered = " (lowered: --memory asked for it)" if previous is not None and previous > limit_bytes else ""
    changes.append(f"container {container['name']}: memory limit {before or 'unset'} -> {new}{lowered}")
    requests = resources.get("requests") or {}
    request = requests.get("memory")
    # The API server rejects a request above the limit (422): lower it to the limit.
    if request is not None and parse_bytes(str(request)) > limit_bytes:
        requests["memory"] = new
        changes.append(f"container {container['name']}: memory request {request} -> {new} (may not exceed the limit)")


def build(
    cronjob: dict[str, Any],
    *,
    variant: Variant,
    run_id: str,
    timeout_seconds: int | None,
    container: str | None = None,
    trace: bool = True,
    sampler: bool = True,
    sampler_nonce: str = "",
) -> DebugJob:
    """Clone the CronJob's jobTemplate into a one-off debug Job (rules in DESIGN.md, "The debug Job").

    `sampler_nonce`: the caller's random part of the sampler's token (e.g. `secrets.token_hex(8)`); without it
    the token is the run id alone, which the workload could read in its pod's name."""
    meta = cronjob.get("metadata") or {}
    name, namespace = meta.get("name"), meta.get("namespace")
    template = ((cronjob.get("spec") or {}).get("jobTemplate")) or {}
    spec = copy.deepcopy(template.get("spec") or {})
    pod_template = spec.get("template") or {}
    pod_spec = pod_template.get("spec") or {}
    containers: list[dict[str, Any]] = pod_spec.get("containers") or []
    if not name or not namespace or not containers:
        raise InputError(f"cronjob {namespace}/{name} has no jobTemplate containers to clone")

    names = [c.get("name") for c in containers]
    init_names = [c.get("name") for c in pod_spec.get("initContainers") or []]
    if container is not None and container not in names and container not in init_names:
        raise InputError(
            f"container {container!r} not found in cronjob {namespace}/{name}",
            hint=f"containers: {', '.join(str(n) for n in names + init_names)}",
        )

    changes: list[str] = []
    warnings: list[str] = []
    instrumented: list[str] = []
    # Which containers the variant's memory and image apply to: the named one, else every app container.
    all_containers = containers + list(pod_spec.get("initContainers") or [])
    original_limits = {str(c.get("name")): memory_limit(c) for c in all_containers}
    targets = [c for c in all_containers if c.get("name") == container] if container else containers
    if variant.image and len(targets) > 1:
        raise InputError(
            f"cronjob {namespace}/{name} has {len(targets)} containers: say which gets --image",
            hint=f"add --container, one of: {', '.join(str(n) for n in names)}",
        )
    for target in targets:
        if variant.memory_bytes is not None and variant.raise_only:
            _raise_memory(target, variant.memory_bytes, changes)
        elif variant.memory_bytes is not None:
            _set_memory(target, variant.memory_bytes, changes)
        if variant.image and variant.image != target.get("image"):
            changes.append(f"container {target['name']}: image {target.get('image')} -> {variant.image}")
            target["image"] = variant.image

    token = memory_sampler.token(run_id, sampler_nonce) if sampler else None
    to_instrument = targets if container else all_containers
    for target in to_instrument:
        if not (trace or sampler):
            break
        if _instrument(target, trace=trace, token=token):
            instrumented.append(str(target["name"]))
            what = " and ".join(p for p, on in (("set -x", trace), ("the memory sampler", sampler)) if on)
            changes.append(f"container {target['name']}: {what} prepended to the shell script")
        elif container or target in containers:
            warnings.append(
                f"container {target['name']} does not run a shell script (sh -c ...): it runs unchanged, "
                "without set -x; peak memory comes from the metrics API if the cluster has one"
            )

    if pod_spec.get("restartPolicy") != "Never":
        changes.append(f"restartPolicy {pod_spec.get('restartPolicy', 'unset')} -> Never (one pod per attempt)")
    pod_spec["restartPolicy"] = "Never"
    if spec.get("backoffLimit") != 0:
        changes.append(f"backoffLimit {spec.get('backoffLimit', 'unset')} -> 0 (repeat with --runs)")
    spec["backoffLimit"] = 0
    own = spec.get("activeDeadlineSeconds")
    if timeout_seconds is not None:
        deadline, source = timeout_seconds, "--timeout"
    elif isinstance(own, int) and not isinstance(own, bool) and own > 0:
        # A hang that production's own deadline would end must end the same way in the debug run.
        deadline, source = own, "the CronJob's own"
    else:
        deadline, source = DEFAULT_TIMEOUT_SECONDS, "the default"
    if own != deadline:
        changes.append(f"activeDeadlineSeconds {own if own is not None else 'unset'} -> {deadline} ({source})")
    spec["activeDeadlineSeconds"] = deadline
    if spec.get("ttlSecondsAfterFinished") != SAFETY_TTL_SECONDS:
        changes.append(
            f"ttlSecondsAfterFinished {spec.get('ttlSecondsAfterFinished', 'unset')} -> {SAFETY_TTL_SECONDS} "
            "(safety net if cronjob-doctor dies before cleaning up)"
        )
    spec["ttlSecondsAfterFinished"] = SAFETY_TTL_SECONDS
    for key in ("completions", "parallelism"):
        if spec.get(key, 1) != 1:
            changes.append(f"{key} {spec[key]} -> 1 (one pod per debug run)")
            spec[key] = 1
    if spec.get("suspend"):
        changes.append("suspend true -> false")
        spec["suspend"] = False
    # The server generates the selector and the controller-uid labels for a new Job.
    spec.pop("selector", None)
    spec.pop("manualSelector", None)
    template_labels = (pod_template.get("metadata") or {}).get("labels") or {}
    for generated in (
        "controller-uid",
        "batch.kubernetes.io/controller-uid",
        "job-name",
        "batch.kubernetes.io/job-name",
    ):
        template_labels.pop(generated, None)
    pod_template.setdefault("metadata", {}).setdefault("labels", {}).update(
        {MANAGED_BY_KEY: MANAGED_BY, RUN_ID_LABEL: run_id})

    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels.update({MANAGED_BY_KEY: MANAGED_BY, SOURCE_LABEL: str(name)[:63], RUN_ID_LABEL: run_id})
    labels[VARIANT_LABEL] = _label_value(variant.name)
    annotations = dict((template.get("metadata") or {}).get("annotations") or {})
    annotations.update(
        {
            SOURCE_ANNOTATION: f"{namespace}/{name}",
            ORIGINAL_LIMITS_ANNOTATION: json.dumps(original_limits, sort_keys=True),
            CHANGES_ANNOTATION: json.dumps(changes),
        }
    )
    # Only the token of this run's own sampler may say which lines are samples: never one copied from the template.
    annotations.pop(memory_sampler.TOKEN_ANNOTATION, None)
    if token is not None and instrumented:
        annotations[memory_sampler.TOKEN_ANNOTATION] = token
    else:
        token = None
    manifest = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        # No ownerReference to the CronJob: its controller would prune the failed debug Job by the history
        # limits and, worse, count it, deleting the original failed Job (the evidence) and clearing the alert.
        "metadata": {
            "name": job_name(str(name), run_id),
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": spec,
    }
    limits = {str(c.get("name")): memory_limit(c) for c in all_containers}
    return DebugJob(manifest, changes, warnings, instrumented, original_limits, limits, deadline, source, token)


def _label_value(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)[:63]
    return cleaned.strip("-_.") or "default"


def diff(cronjob: dict[str, Any], debug_job: DebugJob) -> str:
    """A unified diff, as YAML, of the CronJob's jobTemplate against the debug Job (for `--dry-run`)."""
    template = (cronjob.get("spec") or {}).get("jobTemplate") or {}
    # The API serves jobTemplate.metadata with `creationTimestamp: null`; it is no difference worth showing.
    template_meta = {k: v for k, v in (template.get("metadata") or {}).items() if v is not None}
    before = {"metadata": template_meta, "spec": template.get("spec") or {}}
    after = {
        "metadata": {
            k: v for k, v in debug_job.manifest["metadata"].items() if k in ("labels", "annotations")
        },
        "spec": debug_job.manifest["spec"],
    }
    before_text = yamltext.dump(before, block_scripts=True, sort_keys=True).splitlines(keepends=True)
    after_text = yamltext.dump(after, block_scripts=True, sort_keys=True).splitlines(keepends=True)
    meta = cronjob.get("metadata") or {}
    return "".join(
        difflib.unified_diff(
            before_text,
            after_text,
            fromfile=f"cronjob/{meta.get('name')} jobTemplate",
            tofile=f"job/{debug_job.name}",
        )
    )


def to_yaml(manifest: dict[str, Any]) -> str:
    """The manifest as YAML, block scalars for multi-line scripts so a reader sees the script as written."""
    return yamltext.dump(manifest, block_scripts=True)
