"""SARIF 2.1.0 output, checked against the schema's required properties, enums and allowed keys for every
object it uses (sarif-schema-2.1.0.json: sarifLog, run, tool, toolComponent, reportingDescriptor,
reportingConfiguration, result, message, location, physicalLocation, artifactLocation, region, logicalLocation)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cronjob_doctor.lint.flow import lint_workloads, read_files
from cronjob_doctor.report.sarif import to_sarif

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LEVELS = {"none", "note", "warning", "error"}

# object -> (required keys, allowed keys), from the SARIF 2.1.0 schema definitions
SHAPES: dict[str, tuple[set[str], set[str]]] = {
    "sarifLog": ({"version", "runs"}, {"$schema", "version", "runs", "inlineExternalProperties", "properties"}),
    "run": ({"tool"}, {"tool", "results", "columnKind", "invocations", "artifacts", "logicalLocations",
                       "originalUriBaseIds", "properties", "automationDetails"}),
    "tool": ({"driver"}, {"driver", "extensions", "properties"}),
    "toolComponent": ({"name"}, {"name", "version", "semanticVersion", "informationUri", "rules", "fullName",
                                 "organization", "properties"}),
    "reportingDescriptor": ({"id"}, {"id", "name", "shortDescription", "fullDescription", "help", "helpUri",
                                     "defaultConfiguration", "properties"}),
    "multiformatMessageString": ({"text"}, {"text", "markdown", "properties"}),
    "reportingConfiguration": (set(), {"enabled", "level", "rank", "parameters", "properties"}),
    "result": ({"message"}, {"ruleId", "ruleIndex", "rule", "level", "kind", "message", "locations",
                             "partialFingerprints", "fingerprints", "properties"}),
    "message": (set(), {"text", "markdown", "id", "arguments", "properties"}),
    "location": (set(), {"id", "physicalLocation", "logicalLocations", "message", "annotations",
                         "relationships", "properties"}),
    "physicalLocation": (set(), {"address", "artifactLocation", "region", "contextRegion", "properties"}),
    "artifactLocation": (set(), {"uri", "uriBaseId", "index", "description", "properties"}),
    "region": (set(), {"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength",
                       "byteOffset", "byteLength", "snippet", "message", "sourceLanguage", "properties"}),
    "logicalLocation": (set(), {"name", "index", "fullyQualifiedName", "decoratedName", "parentIndex", "kind",
                                "properties"}),
}


def _shape(obj: dict[str, Any], kind: str) -> None:
    required, allowed = SHAPES[kind]
    assert required <= obj.keys(), (kind, required - obj.keys())
    assert obj.keys() <= allowed, (kind, obj.keys() - allowed)


def validate(log: dict[str, Any]) -> None:
    """Assert `log` matches the parts of the SARIF 2.1.0 schema this tool emits."""
    _shape(log, "sarifLog")
    assert log["version"] == "2.1.0"
    for run in log["runs"]:
        _shape(run, "run")
        assert run.get("columnKind") in (None, "utf16CodeUnits", "unicodeCodePoints")
        _shape(run["tool"], "tool")
        driver = run["tool"]["driver"]
        _shape(driver, "toolComponent")
        rules = driver["rules"]
        assert len({r["id"] for r in rules}) == len(rules)
        for rule in rules:
            _shape(rule, "reportingDescriptor")
            for key in ("shortDescription", "fullDescription", "help"):
                _shape(rule[key], "multiformatMessageString")
            _shape(rule["defaultConfiguration"], "reportingConfiguration")
            assert rule["defaultConfiguration"]["level"] in LEVELS
        for result in run["results"]:
            _shape(result, "result")
            _shape(result["message"], "message")
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in LEVELS
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            for location in result["locations"]:
                _shape(location, "location")
                physical = location["physicalLocation"]
                _shape(physical, "physicalLocation")
                _shape(physical["artifactLocation"], "artifactLocation")
                assert physical["artifactLocation"]["uri"]
                if "region" in physical:
                    _shape(physical["region"], "region")
                    assert isinstance(physical["region"]["startLine"], int) and physical["region"]["startLine"] >= 1
                for logical in location["logicalLocations"]:
                    _shape(logical, "logicalLocation")


def _incident_sarif() -> dict[str, Any]:
    path = str(EXAMPLES / "incident" / "tf-state-backup-cronjob.yaml")
    return to_sarif(lint_workloads(read_files([path], stdin=io.StringIO())))


def test_incident_sarif_is_valid() -> None:
    validate(_incident_sarif())


def test_results_point_at_file_line_and_object() -> None:
    log = _incident_sarif()
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    memory = results["memory-below-downloads"]
    assert memory["level"] == "error"
    location = memory["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "examples/incident/tf-state-backup-cronjob.yaml")
    assert location["physicalLocation"]["region"] == {"startLine": 57}
    assert location["logicalLocations"] == [{
        "name": "tf-state-backup",
        "fullyQualifiedName": "CronJob/tofu-state/tf-state-backup:"
                              "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory",
        "kind": "object",
    }]
    assert results["timezone-missing"]["level"] == "note"
    assert results["runtime-download"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 31}


def test_every_check_is_a_rule_even_when_it_did_not_fire() -> None:
    from cronjob_doctor.lint import CHECKS

    rules = _incident_sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in CHECKS]
    assert rules[0]["shortDescription"]["text"] == CHECKS[0].title


def test_stdin_becomes_a_uri() -> None:
    text = (EXAMPLES / "incident" / "tf-state-backup-cronjob.yaml").read_text()
    log = to_sarif(lint_workloads(read_files(["-"], stdin=io.StringIO(text))))
    validate(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"stdin"}


def test_the_validator_rejects_what_the_schema_rejects() -> None:
    import pytest

    log = _incident_sarif()
    log["runs"][0]["results"][0]["level"] = "info"  # SARIF has note, not info
    with pytest.raises(AssertionError):
        validate(log)
    del log["version"]
    with pytest.raises(AssertionError):
        validate(log)
