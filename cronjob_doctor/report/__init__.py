"""Report rendering: one renderer per `--output` format, and `write()`, the only function that prints a report.

Renderers take a Verdict and return a rich renderable (text) or a string (json, yaml, markdown); they never
print.
Strings are written as they are, never through rich's markup parser, so `[...]` in a log line stays `[...]`.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, RenderableType

from cronjob_doctor.errors import InputError
from cronjob_doctor.report import json, markdown, text, yaml
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
    name = getattr(fmt, "value", fmt)  # cli's OutputFormat enum or a plain string
    renderer = RENDERERS.get(name)
    if renderer is None:
        raise InputError(f"unknown output format {name!r}", hint="use one of: " + ", ".join(RENDERERS))
    if name == "text":
        console.print(renderer(verdict))
        return
    output = renderer(verdict)
    assert isinstance(output, str)  # json, yaml and markdown return text
    # Straight to the file: Console.print would parse markup, replace :emoji: codes and re-wrap long lines.
    console.file.write(output if output.endswith("\n") else output + "\n")
    console.file.flush()
