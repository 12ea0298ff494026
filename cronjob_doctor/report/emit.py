"""The one way a report reaches stdout: rich renderables through the console, strings straight to its file.

Strings never pass rich's markup parser, so `[...]` in a log line stays `[...]`, `:emoji:` codes stay as
typed and long lines are not re-wrapped. Shared by the verdict, history and scan reports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from rich.console import Console, RenderableType

from cronjob_doctor.errors import InputError

T = TypeVar("T")


def emit(console: Console, renderers: Mapping[str, Callable[[T], RenderableType | str]], subject: T, *,
         fmt: Any) -> None:
    """Render `subject` with the renderer named by `fmt` (a string or the CLI's enum) and write it."""
    name = getattr(fmt, "value", fmt)
    renderer = renderers.get(name)
    if renderer is None:
        raise InputError(f"unknown output format {name!r}", hint="use one of: " + ", ".join(renderers))
    output = renderer(subject)
    if not isinstance(output, str):
        # crop=False: renderables wrap their prose to the width themselves; code they pass through verbatim
        # must reach the reader whole, even when it is wider than the terminal.
        console.print(output, crop=False)
        return
    console.file.write(output if output.endswith("\n") else output + "\n")
    console.file.flush()
