"""Every report of every command, rendered the same way: `write(console, result, fmt=...)` picks the renderer
for the result's type and the format, and is the only function that prints a report.

Renderers return a rich renderable (text) or a string (json, yaml, markdown, sarif, record's lines); they never
print. Strings are written as they are, never through rich's markup parser, so `[...]` in a log line stays
`[...]`. Renderer modules are imported when a report of their kind is written (start-up stays small).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console, RenderableType

from cronjob_doctor.report.emit import emit

Renderer = Callable[[Any], RenderableType | str]

FORMATS: dict[str, tuple[str, ...]] = {
    "verdict": ("text", "json", "yaml", "markdown"),
    "history": ("text", "json", "yaml", "markdown"),
    "scan": ("text", "json", "yaml", "markdown"),
    "lint": ("text", "json", "yaml", "markdown", "sarif"),
    "record": ("text", "json"),
    "dry-run": ("text", "yaml", "json"),
}
"""The formats each kind of report comes in (the CLI refuses any other -o before doing any work)."""


def renderers(result: Any) -> Mapping[str, Renderer]:
    """The renderers for this result's kind of report."""
    from cronjob_doctor.history.model import History
    from cronjob_doctor.lint.engine import LintReport
    from cronjob_doctor.record.model import RecordedRun
    from cronjob_doctor.rules.base import Verdict
    from cronjob_doctor.scan.model import Scan

    if isinstance(result, Verdict):
        from cronjob_doctor.report import verdict

        return verdict.RENDERERS
    if isinstance(result, History):
        from cronjob_doctor.report import history

        return history.RENDERERS
    if isinstance(result, Scan):
        from cronjob_doctor.report import scan

        return scan.RENDERERS
    if isinstance(result, LintReport):
        from cronjob_doctor.report import lint

        return lint.RENDERERS
    from cronjob_doctor.diagnose.model import DryRun

    if isinstance(result, DryRun):
        from cronjob_doctor.report import dry_run

        return dry_run.RENDERERS
    if isinstance(result, RecordedRun):
        from cronjob_doctor.report import record

        return record.RENDERERS
    raise TypeError(f"no report for {type(result).__name__}")


def write(console: Console, result: Any, *, fmt: str) -> None:
    """Render `result` in `fmt` and write it to `console` (stdout: nothing else goes there)."""
    emit(console, renderers(result), result, fmt=fmt)
