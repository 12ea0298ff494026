"""`DiagnoseSettings`: what `diagnose` was asked for, parsed and validated by `from_flags` before the cluster is
touched (the CLI builds it; the flow receives it).

Nothing here reads the environment or the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cronjob_doctor.capture.never_starts import StartPolicy
from cronjob_doctor.errors import InputError
from cronjob_doctor.k8s.duration import parse_duration
from cronjob_doctor.k8s.names import Target, check_name, parse_target
from cronjob_doctor.k8s.quantity import format_bytes, parse_bytes

MAX_RUNS = 20
MAX_MEMORY_BYTES = 64 * 1024**3
MIN_MEMORY_BYTES = 4 * 1024**2
MAX_TIMEOUT_SECONDS = 7 * 86400


def parse_memory_list(text: str | None) -> tuple[str, ...]:
    """`--memory original,512Mi` -> ("original", "512Mi"); sizes are validated now, resolved against the
    CronJob's limit later. Empty means the default (the larger of 512Mi and 4x the original limit)."""
    if text is None or not text.strip():
        return ()
    values: list[str] = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            raise InputError(f"invalid --memory {text!r}: empty item")
        if item.lower() == "original":
            item = "original"
        else:
            size = parse_bytes(item)
            if size < MIN_MEMORY_BYTES or size > MAX_MEMORY_BYTES:
                raise InputError(
                    f"invalid --memory {item!r}: must be between {format_bytes(MIN_MEMORY_BYTES)} "
                    f"and {format_bytes(MAX_MEMORY_BYTES)}"
                )
        if item in values:
            raise InputError(f"invalid --memory {text!r}: {item} given twice")
        values.append(item)
    return tuple(values)


@dataclass(frozen=True)
class DiagnoseSettings:
    """Everything `diagnose` needs, parsed and validated before the cluster is touched."""

    target: Target
    """The CronJob, or a Job of it (resolved by ownerReference)."""
    memory: tuple[str, ...] = ()
    """Memory variants: "original" or quantities; empty = the default raised limit."""
    runs: int = 1
    """Runs per variant."""
    image: str | None = None
    """Candidate fix image for the instrumented container."""
    container: str | None = None
    """The container to instrument (default: every shell container)."""
    timeout_seconds: int | None = None
    """activeDeadlineSeconds of each debug Job (--timeout); None keeps the CronJob's own, else DEFAULT_TIMEOUT."""
    bundle: str | None = None
    """Bundle root directory (default: a new ./cronjob-doctor-<ns>-<cronjob>-<UTC time>, -2, -3... when taken)."""
    bundle_subdir: bool = False
    """With --bundle naming a directory that is not empty: write into a fresh subdirectory of it (else refused)."""
    keep: bool = False
    """Leave the debug Jobs in the cluster."""
    dry_run: bool = False
    """Print the debug Job and its diff; create nothing."""
    trace: bool = True
    """Prepend `set -x` to shell scripts."""
    sample: bool = True
    """Run the memory sampler beside shell scripts (--no-sample turns it off)."""
    force: bool = False
    """Run even if another diagnose of this CronJob is running, or beside a debug Job it left."""
    adopt: bool = False
    """Follow the debug Job(s) a diagnose that is gone left behind to their end, judge them and clean up,
    instead of creating a new one (--adopt)."""
    delete_orphans: bool = False
    """Delete the debug Jobs a diagnose that is gone left behind, then run as usual (--delete-orphans)."""
    show_logs: bool = True
    """Stream container logs to the terminal (stderr) as they arrive."""
    redact: bool = True
    """Redact Secret values and credential patterns in the terminal, the bundle logs and the report."""
    start_policy: StartPolicy = field(default_factory=StartPolicy)
    """When a debug pod that cannot start is certain never to (capture.never_starts): stop following then."""

    @classmethod
    def from_flags(
        cls,
        *,
        target: str,
        namespace: str | None = None,
        memory: str | None = None,
        runs: int = 1,
        image: str | None = None,
        container: str | None = None,
        timeout: str | None = None,
        bundle: str | None = None,
        bundle_subdir: bool = False,
        keep: bool = False,
        dry_run: bool = False,
        trace: bool = True,
        sample: bool = True,
        force: bool = False,
        adopt: bool = False,
        delete_orphans: bool = False,
        show_logs: bool = True,
        redact: bool = True,
    ) -> DiagnoseSettings:
        if runs < 1 or runs > MAX_RUNS:
            raise InputError(f"invalid --runs {runs}: must be between 1 and {MAX_RUNS}")
        seconds = parse_duration(timeout) if timeout is not None else None
        if seconds is not None and (seconds < 1 or seconds > MAX_TIMEOUT_SECONDS):
            raise InputError(f"invalid --timeout {timeout!r}: must be between 1s and 7d")
        if image is not None and (not image.strip() or any(ch.isspace() for ch in image)):
            raise InputError(f"invalid --image {image!r}")
        if container is not None:
            check_name(container, "container name")
        if adopt and delete_orphans:
            raise InputError("--adopt and --delete-orphans exclude each other: adopt an orphan, or delete it")
        if adopt:
            given = [flag for flag, value in (("--memory", memory), ("--image", image), ("--timeout", timeout),
                                              ("--dry-run", dry_run or None), ("--runs", runs if runs != 1 else None))
                     if value is not None]
            if given:
                raise InputError(f"--adopt follows the debug Job as it was created: {', '.join(given)} cannot "
                                 "apply to it", hint="adopt it first, then diagnose again with those flags")
        return cls(
            target=parse_target(target, default_namespace=namespace),
            memory=parse_memory_list(memory),
            runs=runs,
            image=image,
            container=container,
            timeout_seconds=int(seconds) if seconds is not None else None,
            bundle=bundle,
            bundle_subdir=bundle_subdir,
            keep=keep,
            dry_run=dry_run,
            trace=trace,
            sample=sample,
            force=force,
            adopt=adopt,
            delete_orphans=delete_orphans,
            show_logs=show_logs,
            redact=redact,
        )
