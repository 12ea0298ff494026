"""The YAML report: the same document as `-o json` (`Verdict.to_dict()`), for people and tools that read YAML.

Kept as a separate renderer rather than a JSON flag so `-o yaml` reads like `kubectl get -o yaml`. Log text is
dumped as YAML strings (quoted or block scalars as PyYAML decides), so nothing a pod printed becomes structure.
"""

from __future__ import annotations

from typing import Any

from cronjob_doctor.debugjob import yamltext
from cronjob_doctor.rules.base import Verdict


def document(data: Any) -> str:
    """Any report's `-o yaml` text (verdict, history, scan): block style, keys in the order given, non-ASCII
    text kept readable."""
    return yamltext.dump(data)


def render(verdict: Verdict) -> str:
    """The verdict as YAML, keys in the documented order."""
    return document(verdict.to_dict())
