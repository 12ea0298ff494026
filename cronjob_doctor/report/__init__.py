"""Every report of every command, rendered the same way: `write(console, result, fmt=...)` picks the renderer
for the result's type and the format, and is the only function that prints a report.

Renderers return a rich renderable (text) or a string (json, yaml, markdown, sarif, record's lines); they never
print. Strings are written as they are, never through rich's markup parser, so `[...]` in a log line stays
`[...]`. Renderer modules are imported when a report of their kind is written (start-up stays small).
"""

from __future__ import annotations

import importlib
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
    from cronjob_doctor.diagnose.model import DryRun
    from cronjob_doctor.history.model import History
    from cronjob_doctor.lint.engine import LintReport
    from cronjob_doctor.record.model import RecordedRun
    from cronjob_doctor.rules.base import Verdict
    from cronjob_doctor.scan.model import Scan

    kinds: tuple[tuple[type, str], ...] = (
        (Verdict, "verdict"), (History, "history"), (Scan, "scan"), (LintReport, "lint"), (DryRun, "dry_run"),
        (RecordedRun, "record"),
    )
    for kind, module in kinds:
        if isinstance(result, kind):
            renderers_of: Mapping[str, Renderer] = importlib.import_module(f"cronjob_doctor.report.{module}").RENDERERS
            return renderers_of
    raise TypeError(f"no report for {type(result).__name__}")


def write(console: Console, result: Any, *, fmt: str) -> None:
    """Render `result` in `fmt` and write it to `console` (stdout: nothing else goes there)."""
    emit(console, renderers(result), result, fmt=fmt)
