"""Report rendering: one renderer per `--output` format, and `write()`, the only function that prints a report.

Renderers take a Verdict and return a rich renderable (text) or a string (json, yaml, markdown); they never
print.
Strings are written as they are, never through rich's markup parser, so `[...]` in a log line stays `[...]`.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, RenderableType

from cronjob_doctor.report import json, markdown, text, yaml
from cronjob_doctor.report.emit import emit
from cronjob_doctor.rules.base import Verdict

Renderer = Callable[[Verdict], RenderableType | str]

RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "yaml": yaml.render,
    "markdown": markdown.render,
}


def write(console: Console, verdict: Verdict, *, fmt: str) -> None:
    """Render `verdict` in `fmt` and write it to `console` (stdout: nothing else goes there)."""
    emit(console, RENDERERS, verdict, fmt=fmt)
