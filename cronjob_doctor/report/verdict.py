"""The verdict report's renderers, one per format (the verdict of diagnose, analyze, demo and record)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.console import RenderableType

from cronjob_doctor.report import json, markdown, text, yaml

RENDERERS: Mapping[str, Callable[[Any], RenderableType | str]] = {
    "text": text.render,
    "json": json.render,
    "yaml": yaml.render,
    "markdown": markdown.render,
}
