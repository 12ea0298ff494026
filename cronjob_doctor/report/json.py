"""The JSON report: exactly `Verdict.to_dict()`, the shape DESIGN.md documents (and verdict.json holds)."""

from __future__ import annotations

import json
from typing import Any

from cronjob_doctor.rules.base import Verdict


def document(data: Any) -> str:
    """Any report's `-o json` text (verdict, history, scan): indented, keys in the order given."""
    return json.dumps(data, indent=2)


def render(verdict: Verdict) -> str:
    """The verdict as indented JSON, for `-o json | jq`."""
    return document(verdict.to_dict())
