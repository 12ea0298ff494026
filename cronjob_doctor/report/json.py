"""The JSON report: exactly `Verdict.to_dict()`, the shape DESIGN.md documents (and verdict.json holds)."""

from __future__ import annotations

import json

from cronjob_doctor.rules.base import Verdict


def render(verdict: Verdict) -> str:
    """The verdict as indented JSON, for `-o json | jq`."""
    return json.dumps(verdict.to_dict(), indent=2)
