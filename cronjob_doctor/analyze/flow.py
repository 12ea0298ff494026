"""The `analyze` flow: read a saved bundle (or raw `kubectl get -o json` dumps), run the verdict engine, and
optionally write verdict.json into the bundle.

Offline by design: it never imports the kubernetes client and never prints (cli.py renders the result). The
bundle is untrusted input: bundle.read() reads only inside it and within stated bounds, and says in notes what
it skipped or cut; those notes reach the report.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cronjob_doctor import bundle as bundles
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.objects import int_field
from cronjob_doctor.rules.base import DebugRun, Verdict
from cronjob_doctor.rules.debug_runs import debug_run_of
from cronjob_doctor.rules.engine import analyze, analyze_runs, failure_on_record


@dataclass(frozen=True)
class AnalyzeSettings:
    """What `cronjob-doctor analyze` was asked to do."""

    bundle: Path
    """The bundle directory to read."""
    write: bool = False
    """Write verdict.json (0600, atomically) into the bundle directory."""
    command: str | None = None
    """The command line as typed, for the report's "what ran"."""


@dataclass(frozen=True)
class AnalyzeOutcome:
    verdict: Verdict
    written: Path | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


def _target(data: bundles.Bundle) -> str | None:
    """NS/CRONJOB the bundle is about: from cronjob.json, else the Job's CronJob ownerReference."""
    meta = (data.cronjob or {}).get("metadata") or {}
    if isinstance(meta, dict) and meta.get("namespace") and meta.get("name"):
        return f"{meta['namespace']}/{meta['name']}"
    job_meta = (data.job or {}).get("metadata") or {}
    if not isinstance(job_meta, dict):
        return None
    for ref in job_meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("kind") == "CronJob" and job_meta.get("namespace"):
            return f"{job_meta['namespace']}/{ref.get('name')}"
    return None


def _runs(root: Path) -> list[tuple[DebugRun, bundles.Bundle]]:
    """The run bundles under a diagnose bundle root (one per variant and run: `original-run1/`, `512Mi-run1/`)."""
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if not (child / "meta.json").is_file():
            continue
        sub = bundles.read(child)
        run = debug_run_of(sub)
        if run is not None:
            found.append((run, sub))
    # diagnose's order: the variants as given, then the runs (older bundles without it: by name)
    return sorted(found, key=lambda pair: (int_field(pair[1].meta.get("order")) or 0, pair[0].bundle))


def _judge(data: bundles.Bundle, root: Path) -> Verdict:
    """A run's bundle on its own, or the root of several runs judged together as diagnose judged them."""
    runs = _runs(root) if data.job is None and not data.pods else []
    if runs:
        return analyze_runs(runs, original_limit_bytes=None, on_record=failure_on_record(data))
    return analyze(data)


def run(settings: AnalyzeSettings) -> AnalyzeOutcome:
    """Read the bundle, judge it, and write verdict.json when asked; InputError for unreadable input."""
    data = bundles.read(settings.bundle)
    try:
        verdict = _judge(data, settings.bundle)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
        # The reader checks JSON and kinds; a known field of the wrong type (metadata: "x", conditions: 5)
        # surfaces while the facts are derived. It is the input's fault: say so instead of a traceback.
        raise InputError(
            f"bundle {settings.bundle}: a file holds a field of an unexpected type ({type(exc).__name__}: {exc})",
            hint="the files must be Kubernetes objects as `kubectl get -o json` prints them",
        ) from exc
    # after the rules ran: long log lines are cut as they are read
    verdict = replace(verdict, notes=(*verdict.notes, *(n for n in data.notes() if n not in verdict.notes)))
    context = {**verdict.context, "bundle": str(settings.bundle)}
    target = _target(data)
    if target:
        context.setdefault("target", target)
    if settings.command:
        context["command"] = settings.command
    verdict = replace(verdict, context=context)
    written = bundles.write_json(settings.bundle, "verdict.json", verdict.to_dict()) if settings.write else None
    return AnalyzeOutcome(verdict, written)
