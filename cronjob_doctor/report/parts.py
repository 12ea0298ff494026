"""The pieces every report format shows the same way: severity of a verdict id, the runner-up findings,
remediation split into prose and code, and text made safe to show.

Pure: Verdicts and strings in, strings out. The formats differ in markup only, never in what they claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cronjob_doctor.rules.base import Finding, Verdict

# CSI/OSC escape sequences and the C0/C1 controls other than tab and newline. Pod logs are untrusted: an escape
# sequence in a log line must not recolour, move the cursor in, or retitle the reader's terminal.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that move or reorder text without being controls: the Unicode line and paragraph separators
# (str.splitlines() breaks on them) and the bidirectional overrides (a name that reads backwards). Shown
# as escapes, so the reader sees that they are there.
_INVISIBLE = re.compile("[\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")

_COMMAND = re.compile(
    r"^\s*(?:\$\s+)?(?:kubectl|helm|cronjob-doctor|curl|wget|apk|apt-get|apt|docker|podman|mc|aws|gcloud|"
    r"az|oc|kustomize|jq|yq|tofu|terraform|export|sh|bash|set)(?:\s|$)"
)
_DOCKERFILE = re.compile(r"^\s*(?:FROM|RUN|COPY|ADD|ENV|ARG|WORKDIR|USER|ENTRYPOINT|CMD)\s")
_YAML = re.compile(r"^\s*(?:-\s+)?[\w./-]+:(?:\s|$)|^\s*-\s")


def severity(verdict_id: str) -> str:
    """`ok`, `unknown` or `failure`: what colour and words a verdict gets, decided in one place."""
    if verdict_id == "success":
        return "ok"
    if verdict_id == "unknown":
        return "unknown"
    return "failure"


def clean(text: str) -> str:
    """Drop terminal escape sequences and control characters (keeping tab and newline) from untrusted text,
    and show line separators and bidirectional overrides as escapes."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\r\n", "\n")))
    return _INVISIBLE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def one_line(text: str) -> str:
    """`clean(text)` on one line: a newline is shown as `\\n`. For what is one line by nature (a summary, a
    name, a note): a pod name or an event message cannot start a line of the report (`VERDICT: success`)."""
    return clean(text).replace("\n", "\\n")


def runner_ups(verdict: Verdict) -> tuple[Finding, ...]:
    """The ranked candidates other than the one the verdict reports (the engine lists the winner too)."""
    rest = tuple(
        f for f in verdict.findings if not (f.verdict == verdict.verdict and f.summary == verdict.summary)
    )
    if len(rest) == len(verdict.findings) and rest and rest[0].verdict == verdict.verdict:
        # The flow may reword the winner's summary (e.g. adding the measured peak); it is still ranked first.
        return rest[1:]
    return rest


@dataclass(frozen=True)
class Block:
    """One piece of a remediation item: a sentence to read, or code to copy verbatim."""

    kind: str
    """`prose` or `code`."""
    text: str
    language: str = ""
    """For code: `sh`, `yaml`, `dockerfile` or empty; markdown puts it on the fence."""


def is_code_line(line: str) -> bool:
    """A line a reader copies rather than reads: a shell command or a Dockerfile instruction."""
    return bool(_COMMAND.match(line) or _DOCKERFILE.match(line))


def _is_prose_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped or line[:1].isspace() or is_code_line(line):
        return False
    # `resources:` is YAML; `Raise the memory limit to 256Mi:` is a sentence introducing code.
    return " " in stripped and not (_YAML.match(line) and len(stripped.split()) <= 2)


def _language(code: str) -> str:
    lines = [line for line in code.splitlines() if line.strip()]
    if any(_DOCKERFILE.match(line) for line in lines):
        return "dockerfile"
    if lines and _COMMAND.match(lines[0]):
        return "sh"
    if lines and _YAML.match(lines[0]):
        return "yaml"
    return ""


def remediation_blocks(item: str) -> tuple[Block, ...]:
    """Split one remediation item into leading prose and the code that follows it.

    Rules write items like "Raise the limit:\\nkubectl patch ..." or a bare YAML fragment; a one-line item is
    code only when it is a command or a Dockerfile instruction, so ordinary sentences stay sentences.
    """
    text = clean(item).strip("\n")
    lines = text.splitlines()
    if not lines:
        return ()
    if len(lines) == 1:
        line = lines[0]
        if is_code_line(line):
            return (Block("code", line, _language(line)),)
        # "apply: kubectl patch ...": a label, then a command to paste on its own.
        label, sep, rest = line.partition(": ")
        if sep and " " not in label.strip() and is_code_line(rest):
            return (Block("prose", f"{label.strip()}:"), Block("code", rest, _language(rest)))
        return (Block("prose", line.strip()),)
    prose: list[str] = []
    while lines and _is_prose_line(lines[0]):
        prose.append(lines.pop(0).strip())
    blocks: list[Block] = []
    if prose:
        blocks.append(Block("prose", " ".join(prose)))
    if lines:
        code = "\n".join(lines)
        blocks.append(Block("code", code, _language(code)))
    return tuple(blocks)


_CLAUSE_COMMAND = re.compile(
    r"(?:^|(?<=: ))((?:kubectl|cronjob-doctor|helm|curl|docker|mc|aws|gcloud|az|oc)\s[^;]*)")


def hint_blocks(text: str) -> tuple[Block, ...]:
    """Split a one-line hint (`capture every run before cleanup: cronjob-doctor record NS/NAME; or set ...`) into
    prose and the commands in it, each command a code block to print whole: a wrapped command does not paste."""
    text = clean(text)
    blocks: list[Block] = []
    position = 0
    for match in _CLAUSE_COMMAND.finditer(text):
        before = text[position:match.start(1)].strip()
        if before:
            blocks.append(Block("prose", before))
        command = match.group(1).strip()
        blocks.append(Block("code", command, "sh"))
        position = match.end(1)
    rest = text[position:].strip().lstrip(";").strip()
    if rest:
        blocks.append(Block("prose", rest))
    return tuple(blocks)
