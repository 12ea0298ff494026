"""SARIF 2.1.0 output for code-scanning UIs (GitHub, GitLab, the VS Code SARIF viewer).

One run; tool.driver.rules lists every check that ran (id, name, shortDescription, fullDescription, help,
defaultConfiguration.level); each result carries ruleId and ruleIndex, level (error/warning/note), message,
a physicalLocation (the file, and the line where known) and a logicalLocation naming the object.
"""

from __future__ import annotations

import json
from typing import Any

from cronjob_doctor import __version__
from cronjob_doctor.lint.base import LintFinding
from cronjob_doctor.lint.engine import LintReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rule_name(check_id: str) -> str:
    return "".join(part.capitalize() for part in check_id.split("-"))


def _uri(source: str) -> str:
    return "stdin" if source == "-" else source.removeprefix("./")


def _result(finding: LintFinding, rule_index: int) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.source)}}
    if finding.line:
        physical["region"] = {"startLine": finding.line}
    qualified = "/".join(p for p in (finding.kind, finding.namespace, finding.name) if p)
    return {
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {"name": finding.name, "fullyQualifiedName": f"{qualified}:{finding.path}", "kind": "object"}
                ],
            }
        ],
        "properties": {"path": finding.path, "fix": finding.fix, "severity": finding.severity},
    }


def to_sarif(report: LintReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for json.dumps)."""
    rules = [
        {
            "id": check.id,
            "name": _rule_name(check.id),
            "shortDescription": {"text": check.title},
            "fullDescription": {"text": check.help},
            "help": {"text": check.help},
            "defaultConfiguration": {"level": _LEVEL[check.severity]},
        }
        for check in report.checks
    ]
    index = {check.id: i for i, check in enumerate(report.checks)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "cronjob-doctor",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": [_result(f, index[f.check]) for f in report.shown],
            }
        ],
    }


def render(report: LintReport) -> str:
    """The SARIF log as indented JSON text."""
    return json.dumps(to_sarif(report), indent=2)
