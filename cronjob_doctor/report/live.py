"""The live progress view of `diagnose` on stderr: what the debug Job changed, pod phases, the followed log.

Given the stderr console, it never touches stdout (which carries only the report). Log lines come from pods:
they are shown verbatim but never parsed as rich markup, and terminal escape sequences are dropped. Every
other line fits MAX_WIDTH columns (wrapped under a hanging indent), except a command in a hint, kept whole so it
pastes. The changes a variant makes are listed
once, not once per run. A long wait says what it waits for: the spinner on a terminal, a `waiting:` line every
WAIT_NOTE_SECONDS in plain mode. Follower threads call it concurrently, so state changes are locked; printing
relies on the console's own lock.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from cronjob_doctor.report.parts import clean, hint_blocks

_TIME = re.compile(r"(\d{2}:\d{2}:\d{2})(?:[.,](\d+))?")
MAX_WIDTH = 100
"""The widest line the view writes itself (container log lines are shown verbatim, however long)."""
WAIT_NOTE_SECONDS = 15.0
"""In plain mode, a pod waiting this long (Pending, pulling, backing off) gets a `waiting:` line, and again
after each further interval."""
REPEATING = frozenset({"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "CreateContainerConfigError",
                       "CreateContainerError", "RunContainerError", "ContainerCreating", "PodInitializing"})
"""Waiting reasons the kubelet flips between while it retries: each is announced once per pod."""


def clock_time(timestamp: str) -> str:
    """`2024-05-01T02:00:03.123456789Z` -> `02:00:03.123` (the kubelet's time, as given: UTC)."""
    match = _TIME.search(timestamp)
    if not match:
        return timestamp.strip() or "--:--:--.---"
    return f"{match.group(1)}.{(match.group(2) or '').ljust(3, '0')[:3]}"


def is_terminal_phase(phase: str) -> bool:
    """Whether a pod is done: `Succeeded`, `Failed (OOMKilled, exit 137)`, or gone (`Deleted`)."""
    return phase.startswith(("Succeeded", "Failed")) or phase == "Deleted"


def _phase_style(phase: str) -> str:
    if phase.startswith("Succeeded"):
        return "green"
    if phase.startswith(("Failed", "Err")) or phase.endswith("BackOff"):
        return "red"
    return "cyan"


def _elapsed(seconds: float) -> str:
    """`0:07`, `12:30`, `1:02:03`: a stopwatch, steady as it ticks (no changing units or decimals)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _ActivePods:
    """The spinner's text: every pod still running, its phase and how long it has been in it."""

    def __init__(self, view: LiveView) -> None:
        self._view = view

    def __rich__(self) -> RenderableType:
        # Called from rich's refresh thread: read a snapshot, never take the view's lock (lock-order safety).
        now = self._view._clock()
        lines = []
        for pod, (phase, since) in tuple(self._view._active.items()):
            line = Text(f"{pod}: ")
            line.append(phase, style=_phase_style(phase))
            line.append(f" {_elapsed(now - since)}", style="dim")
            lines.append(line)
        return Group(*lines) if lines else Text("waiting for pods")


class LiveView:
    """Progress of a diagnose run; `plain` gives one line per event, for pipes, CI logs and dumb terminals."""

    def __init__(
        self, console: Console, *, plain: bool, clock: Callable[[], float] = time.monotonic,
        wait_note_seconds: float = WAIT_NOTE_SECONDS,
    ) -> None:
        self.console = console
        self.plain = plain
        self._clock = clock
        self._wait_note_seconds = wait_note_seconds
        self._lock = threading.Lock()
        self._active: dict[str, tuple[str, float]] = {}
        self._phases: dict[str, tuple[str, float]] = {}
        self._announced: set[tuple[str, str]] = set()
        self._noted_wait: dict[str, float] = {}
        self._changes_shown: set[tuple[str, tuple[str, ...]]] = set()
        self._live: Live | None = None
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = False

    def _print(self, text: Text) -> None:
        # soft_wrap: a log line stays one line in a pipe or a CI log, and the terminal wraps it on screen.
        self.console.print(text, soft_wrap=True, highlight=False)

    def _print_wrapped(self, text: Text, *, indent: int = 0, hanging: int = 2) -> None:
        """A line of the view's own, wrapped to fit MAX_WIDTH (or the terminal, if narrower) under an indent."""
        width = max(20, min(MAX_WIDTH, self.console.width) - indent - hanging)
        lines = text.wrap(self.console, width, overflow="fold")
        for number, line in enumerate(lines):
            line.rstrip()
            pad = indent if number == 0 else indent + hanging
            self._print(Text(" " * pad) + line if pad else line)

    def header(self, target: str, variant: str, changes: list[str]) -> None:
        """Announce a debug Job before it runs, with every way it differs from the CronJob's own Job (listed
        once per variant: the runs of a variant make the same changes)."""
        self._print_wrapped(Text(f"diagnose {clean(target)}: variant {clean(variant)}", style="bold"))
        key = (target, tuple(changes))
        with self._lock:
            seen = key in self._changes_shown
            self._changes_shown.add(key)
        if seen:
            return
        for change in changes:
            self._print_wrapped(Text(f"changed: {clean(change)}"), indent=2, hanging=9)

    def phase(self, pod: str, phase: str) -> None:
        """Record a pod's new phase: a permanent line saying so, and the spinner for pods still running. A
        waiting reason the kubelet flips back to while retrying (ImagePullBackOff, ErrImagePull) is said once."""
        now = self._clock()
        with self._lock:
            previous = self._phases.get(pod)
            repeat = phase in REPEATING and (pod, phase) in self._announced
            self._announced.add((pod, phase))
            # flipping between retry states is one wait, timed from its first state
            retrying = previous is not None and previous[0] in REPEATING and phase in REPEATING
            self._phases[pod] = (phase, previous[1] if retrying and previous else now)
            if is_terminal_phase(phase):
                self._active.pop(pod, None)
            else:
                self._active[pod] = (phase, self._phases[pod][1])
            self._update_spinner()
            self._start_ticker()
        if repeat:
            return
        line = Text(f"pod {clean(pod)}: ")
        line.append(clean(phase), style=f"bold {_phase_style(phase)}")
        if previous and previous[0] != phase:
            line.append(f" (after {_elapsed(now - previous[1])} {clean(previous[0])})", style="dim")
        self._print_wrapped(line)

    def tick(self) -> None:
        """In plain mode, a `waiting:` line for each pod that has waited WAIT_NOTE_SECONDS more in a phase
        other than Running (on a terminal the spinner shows the same, live)."""
        if not self.plain:
            return
        now = self._clock()
        with self._lock:
            waiting = [(pod, phase, since) for pod, (phase, since) in self._active.items() if phase != "Running"]
            due = []
            for pod, phase, since in waiting:
                last = self._noted_wait.get(pod, since)
                if now - last >= self._wait_note_seconds:
                    self._noted_wait[pod] = now
                    due.append((pod, phase, since))
        for pod, phase, since in due:
            self._print_wrapped(Text(f"waiting: pod {clean(pod)} {clean(phase)} for {_elapsed(now - since)}",
                                     style="dim"))

    def _start_ticker(self) -> None:
        """Start the plain-mode ticker once a pod is active (caller holds the lock)."""
        if not self.plain or self._ticker is not None or self._closed:
            return

        def run() -> None:
            while not self._stop.wait(1.0):
                self.tick()

        self._ticker = threading.Thread(target=run, name="live-view-waits", daemon=True)
        self._ticker.start()

    def _update_spinner(self) -> None:
        """Start the spinner when a pod is active, stop it when none is (caller holds the lock)."""
        wanted = bool(self._active) and not self.plain and not self._closed
        if wanted and self._live is None:
            # Not rich's Status: that Live redirects sys.stdout into this (stderr) console while it spins.
            spinner = Spinner("dots", text=_ActivePods(self), style="status.spinner")
            self._live = Live(
                spinner,
                console=self.console,
                refresh_per_second=8,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        elif not wanted and self._live is not None:
            self._live.stop()
            self._live = None

    def log_line(self, pod: str, container: str, timestamp: str, text: str) -> None:
        """One line of a container's log; `set -x` traces (`+ cmd`) are dimmed so the script's output stands out."""
        body = clean(text).rstrip("\n")
        line = Text.assemble(
            (clock_time(timestamp), "dim"),
            (f" {clean(pod)}/{clean(container)} ", "blue"),
            (body, "dim" if body.startswith("+") else ""),
        )
        self._print(line)

    def note(self, text: str) -> None:
        """Something the tool did or noticed (a Job created, a warning, a retry), between the log lines."""
        style = "yellow" if text.startswith(("warning", "error")) else "dim" if text.startswith("waiting") else ""
        self._print_wrapped(Text(clean(text), style=style))

    def hint(self, text: str) -> None:
        """What the reader can do (`resume it: kubectl patch ...`): its prose wrapped, each command in it whole on
        a line of its own, so it pastes (a command, like a log line, may pass MAX_WIDTH: wrapped, it would not)."""
        for index, block in enumerate(hint_blocks(text)):
            lead = "hint: " if index == 0 else "  "
            if block.kind == "code":
                self._print(Text(lead + block.text, style="cyan"))
            else:
                self._print_wrapped(Text(lead + block.text), hanging=6 if index == 0 else 2)

    def close(self) -> None:
        """Stop the spinner and the ticker (idempotent); later calls still print, as plain lines."""
        self._stop.set()
        with self._lock:
            self._closed = True
            self._update_spinner()
