"""The markdown report for incident tickets, compared as strings."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from rich.console import Console

from cronjob_doctor import report
from cronjob_doctor.report import markdown
from cronjob_doctor.rules.base import DebugRun, Evidence, Finding, Verdict
from tests.report.verdicts import INCIDENT


def section(out: str, title: str) -> str:
    """The body of one `### title` section."""
    start = out.index(f"### {title}\n")
    end = out.find("\n### ", start + 1)
    return out[start : end if end != -1 else len(out)]


def test_heading_names_target_and_verdict() -> None:
    assert markdown.render(INCIDENT).splitlines()[0] == "## cronjob-doctor: tofu-state/tf-state-backup — oom"


def test_heading_without_target() -> None:
    out = markdown.render(Verdict(verdict="unknown", confidence=0.0, summary="Nothing matched."))
    assert out.splitlines()[0] == "## cronjob-doctor: unknown"
    assert "### How to verify" not in out and "### What ran" not in out


def test_what_ran_gives_the_exact_command_and_every_change() -> None:
    body = section(markdown.render(INCIDENT), "What ran")
    assert "```sh\ncronjob-doctor diagnose tofu-state/tf-state-backup --memory original,512Mi\n```" in body
    assert "- Kube context: `prod`" in body
    assert "- Original memory limit: `128Mi`" in body
    for change in INCIDENT.context["changes"]:
        assert f"- {change}\n" in body


def test_runs_table() -> None:
    body = section(markdown.render(INCIDENT), "Runs")
    assert body.splitlines()[2:6] == [
        "| Variant | Run | Outcome | Reason | Exit | Peak / limit | Duration | Verdict | Job |",
        "|---|---|---|---|---|---|---|---|---|",
        "| original | 1 | failed | OOMKilled | 137 | - / 128Mi | 21.4s | oom | tf-state-backup-doctor-a1b2c |",
        "| 512Mi | 1 | succeeded | - | 0 | 182Mi / 512Mi (36%) | 38.2s | success | tf-state-backup-doctor-d3e4f |",
    ]


def test_evidence_is_code_formatted_with_its_source() -> None:
    body = section(markdown.render(INCIDENT), "Evidence")
    assert (
        "- `pods.json tf-state-backup-doctor-a1b2c-x7k2p/backup`: "
        "`container backup terminated: reason OOMKilled, exit code 137`" in body
    )


def test_multiline_evidence_becomes_an_indented_fence() -> None:
    verdict = Verdict("config", 0.9, "s", evidence=(Evidence("logs/p/c.log:1", "line one\nline `two`"),))
    assert "- `logs/p/c.log:1`:\n\n  ```\n  line one\n  line `two`\n  ```\n" in markdown.render(verdict)


def test_root_cause_gives_confidence_and_runner_ups() -> None:
    body = section(markdown.render(INCIDENT), "Root cause")
    assert "**oom** (confidence 0.95): The container was OOMKilled at the 128Mi limit" in body
    assert "- **network** (0.40): curl downloads from dl.k8s.io and dl.min.io on every run" in body


def test_root_cause_says_when_nothing_else_fired() -> None:
    alone = replace(INCIDENT, findings=INCIDENT.findings[:1])
    assert "No other candidate fired." in section(markdown.render(alone), "Root cause")


def test_fix_fences_commands_and_dockerfile_verbatim() -> None:
    body = section(markdown.render(INCIDENT), "Fix")
    prose, command = INCIDENT.remediation[0].split("\n", 1)
    assert f"{prose}\n\n```sh\n{command}\n```" in body
    assert "```dockerfile\nFROM alpine:3.20\nRUN apk add --no-cache curl\n" in body


def test_fix_fences_a_bare_yaml_fragment() -> None:
    yaml = "resources:\n  limits:\n    memory: 256Mi"
    verdict = Verdict("oom", 0.9, "s", remediation=(yaml, "Bake the binaries into the image."))
    body = section(markdown.render(verdict), "Fix")
    assert f"```yaml\n{yaml}\n```" in body
    assert "\nBake the binaries into the image.\n" in body


def test_how_to_verify_repeats_the_unchanged_run_after_an_oom_fix() -> None:
    body = section(markdown.render(INCIDENT), "How to verify")
    assert (
        "cronjob-doctor --context prod diagnose tofu-state/tf-state-backup --memory original --runs 3" in body
    )
    assert (
        "kubectl --context prod -n tofu-state create job --from=cronjob/tf-state-backup tf-state-backup-verify"
        in body
    )
    assert "cronjob-doctor --context prod history tofu-state/tf-state-backup" in body


@pytest.mark.parametrize(
    ("verdict_id", "runs"), [("image-pull", ""), ("network", " --runs 3"), ("success", " --runs 3")]
)
def test_verify_repeats_only_for_intermittent_causes(verdict_id: str, runs: str) -> None:
    verdict = Verdict(verdict_id, 0.8, "s", context={"target": "ns/job"})
    assert markdown.verify_commands(verdict)[0] == f"cronjob-doctor diagnose ns/job --memory original{runs}"


def test_bundle_path_is_given() -> None:
    body = section(markdown.render(INCIDENT), "Bundle")
    assert "Evidence kept in `bundles/tf-state-backup`." in body


def test_pipes_and_newlines_cannot_break_the_runs_table() -> None:
    run = DebugRun(job="j", variant="a|b", memory_limit=None, outcome="failed", reason="Error\nsecond | line")
    out = markdown.render(Verdict("script-error", 0.6, "s", runs=(run,)))
    row = next(line for line in out.splitlines() if line.startswith("| a"))
    assert row == "| a\\|b | 1 | failed | Error second \\| line | - | - / no limit | 0.0s | j |"


def test_table_helper_escapes_every_cell() -> None:
    assert markdown.table(["a|b", "c"], [["x\ny", ""]]) == "| a\\|b | c |\n|---|---|\n| x y |   |"


@pytest.mark.parametrize(
    ("text", "span"),
    [("plain", "`plain`"), ("a `b` c", "``a `b` c``"), ("`x`", "`` `x` ``"), ("a ``` b", "````a ``` b````")],
)
def test_code_span_outlasts_backticks_inside(text: str, span: str) -> None:
    assert markdown.code(text) == span


def test_fenced_block_outlasts_a_fence_inside() -> None:
    assert markdown.fenced("```\nx\n```", "md") == "````md\n```\nx\n```\n````"


def test_write_emits_markdown_without_markup_parsing_or_wrapping() -> None:
    verdict = replace(INCIDENT, summary="[bold]not markup[/bold] " + "word " * 40)
    console = Console(file=io.StringIO(), width=60, color_system="truecolor", force_terminal=True)
    report.write(console, verdict, fmt="markdown")
    assert console.file.getvalue() == markdown.render(verdict)  # type: ignore[attr-defined]


def test_runner_up_summary_with_reworded_winner() -> None:
    reworded = replace(INCIDENT, summary="OOM: peak 182Mi > 128Mi")
    body = section(markdown.render(reworded), "Root cause")
    assert "**oom** (0.95)" not in body and "**network** (0.40)" in body


def test_finding_detail_is_shown() -> None:
    verdict = Verdict.from_finding(Finding("network", 0.8, "s", detail="dns"), ())
    assert "Detail: `dns`" in markdown.render(verdict)
