"""The terminal report: a verdict panel, then evidence, other candidates, the fix, the runs, bundle and cleanup.

Returns a rich renderable and never prints (report.write() does). Every fact is said in words as well as
colour, so `--no-color` and a pipe lose nothing; prose wraps (never ellipsis) so nothing is hidden at 80
columns. Code in the fix (a `kubectl patch` line, a Dockerfile) is never wrapped: a command hard-wrapped by
the terminal no longer pastes (`error: invalid JSON document`), so it keeps its own lines at any width.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from cronjob_doctor.report import runs as runs_table
from cronjob_doctor.report.parts import hint_blocks, one_line, remediation_blocks, runner_ups, severity
from cronjob_doctor.rules.base import Verdict

_COLOURS = {"ok": "green", "unknown": "yellow", "failure": "red"}
_OUTCOME_COLOURS = {"succeeded": "green", "failed": "red"}


def _heading(title: str) -> Text:
    return Text(title, style="bold")


def _indented(renderable: RenderableType, level: int = 1) -> Padding:
    # expand=False: no trailing spaces padded out to the console width in piped output.
    return Padding(renderable, (0, 0, 0, 2 * level), expand=False)


def _hanging(marker: Text | str, body: RenderableType) -> Table:
    """`marker` then `body`, continuation lines aligned under the body rather than under the marker."""
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(marker, body)
    return grid


def _panel(verdict: Verdict) -> Panel:
    colour = _COLOURS[severity(verdict.verdict)]
    lines: list[RenderableType] = [
        Text(f"VERDICT: {verdict.verdict} (confidence {verdict.confidence:.2f})", style=f"bold {colour}"),
        Text(one_line(verdict.summary)),
    ]
    if verdict.detail:
        lines.append(Text(f"detail: {one_line(verdict.detail)}"))
    target = verdict.context.get("target")
    title = f"cronjob-doctor: {one_line(str(target))}" if target else "cronjob-doctor"
    return Panel(Group(*lines), title=title, title_align="left", border_style=colour, box=box.ROUNDED)


def _evidence(verdict: Verdict) -> list[RenderableType]:
    out: list[RenderableType] = [_heading("Evidence")]
    for item in verdict.evidence:
        source = Text(one_line(item.source), style="dim", overflow="fold")
        out.append(_indented(_hanging("-", Group(source, Text(one_line(item.text), overflow="fold")))))
    return out


def _candidates(verdict: Verdict) -> list[RenderableType]:
    others = runner_ups(verdict)
    if not others:
        return []
    out: list[RenderableType] = [_heading("Root cause"), _indented(Text("Other candidates:"))]
    for finding in others:
        line = Text.assemble(
            (f"{finding.verdict} {finding.confidence:.2f}", "bold"), f" — {one_line(finding.summary)}"
        )
        out.append(_indented(_hanging("-", line), 2))
    return out


class Indented:
    """Text wrapped under an indent of `margin` columns, continuation lines aligned, no trailing spaces (rich's
    Padding pads every line to the full width, which litters piped output and copied text)."""

    def __init__(self, text: Text, margin: int) -> None:
        self.text, self.margin = text, margin

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(10, options.max_width - self.margin)
        for line in self.text.wrap(console, width, overflow="fold"):
            line.rstrip()
            yield Segment(" " * self.margin)
            yield from line.render(console)
            yield Segment.line()


class Verbatim:
    """Lines written exactly as given, indented, whatever the width: code to copy, never wrapped or cropped."""

    def __init__(self, text: str, *, indent: int, style: str = "") -> None:
        self.lines = text.splitlines()
        self.indent = indent
        self.style = Style.parse(style) if style else Style()

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.lines:
            if line.strip():
                yield Segment(" " * self.indent)
                yield Segment(line.rstrip(), self.style)
            yield Segment.line()


_FIX_INDENT = 7
"""Code under item N. of the fix starts here: two spaces, the number, a space, then two more."""


def hint(text: str, *, indent: int, marker: str = "->") -> list[RenderableType]:
    """A one-line hint, its prose wrapped after `marker` and its commands printed whole on lines of their own."""
    out: list[RenderableType] = []
    for index, block in enumerate(hint_blocks(text)):
        lead = f"{marker} " if index == 0 else ""
        if block.kind == "code":
            # first: on the marker's line (`next: cronjob-doctor ...`); after prose: on a line of its own
            out.append(Verbatim(lead + block.text, indent=indent) if index == 0
                       else Verbatim(block.text, indent=indent + 2))
        else:
            out.append(Indented(Text(lead + block.text), indent))
    return out


def _fix(verdict: Verdict) -> list[RenderableType]:
    if not verdict.remediation or verdict.verdict == "success":
        return []  # nothing failed, so there is nothing to fix (a retried run's hint stays in the JSON)
    out: list[RenderableType] = [_heading("Fix")]
    for number, item in enumerate(verdict.remediation, 1):
        blocks = remediation_blocks(item)
        marker = f"{number}."
        if not blocks or blocks[0].kind != "prose":
            out.append(_indented(Text(marker)))
        for index, block in enumerate(blocks):
            if block.kind == "prose":
                text = Text(block.text, overflow="fold")
                out.append(_indented(_hanging(marker, text) if index == 0 else _indented(text), 1))
            else:
                # Code keeps its own line breaks and indentation, set off under the item (and in colour where
                # there is colour); an over-long line stays one line rather than being wrapped.
                out.append(Verbatim(block.text, indent=_FIX_INDENT, style="cyan"))
    return out


def _runs(verdict: Verdict) -> list[RenderableType]:
    if not verdict.runs:
        return []
    # The box's blank column divider is the only gap: the eight columns then fit in 80.
    table = Table(box=box.SIMPLE_HEAD, padding=0, pad_edge=False, show_edge=False)
    for name in runs_table.headers(verdict.runs):
        table.add_column(name, overflow="fold")
    for run, cells in zip(verdict.runs, runs_table.rows(verdict.runs), strict=False):
        styled = [Text(one_line(cell)) for cell in cells]
        styled[2].stylize(_OUTCOME_COLOURS.get(run.outcome, "yellow"))
        table.add_row(*styled)
    return [_heading("Runs"), _indented(table)]


def _footer(verdict: Verdict) -> list[RenderableType]:
    out: list[RenderableType] = []
    for label, key in (("Bundle", "bundle"), ("Cleanup", "cleanup")):
        value = verdict.context.get(key)
        if value:
            out.append(_hanging(Text(f"{label}:", style="bold"), Text(one_line(str(value)), overflow="fold")))
    return out


def _notes(verdict: Verdict) -> list[RenderableType]:
    if not verdict.notes:
        return []
    out: list[RenderableType] = [_heading("Notes")]
    for note in verdict.notes:
        blocks = hint_blocks(one_line(note))
        if not any(block.kind == "code" for block in blocks):
            out.append(_indented(_hanging("-", Text(one_line(note), overflow="fold"))))
            continue
        # A command in a note is printed whole on a line of its own, under the note's text: wrapped, it would not paste.
        for index, block in enumerate(blocks):
            if block.kind == "code":
                out.append(Verbatim(block.text, indent=6))
            else:
                text = Text(block.text, overflow="fold")
                out.append(_indented(_hanging("-", text) if index == 0 else _indented(text)))
    return out


class _RightTrimmed:
    """Renders its content without the spaces tables and grids pad each line with (noise in pipes and diffs)."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in console.render_lines(self.renderable, options, pad=False, new_lines=False):
            while line and not line[-1].text.strip() and not line[-1].control and not _shows(line[-1].style):
                line.pop()
            if line and not line[-1].control:
                last = line[-1]
                if not _shows(last.style):
                    line[-1] = Segment(last.text.rstrip(" "), last.style)
            yield from line
            yield Segment.line()


def _shows(style: Style | None) -> bool:
    """Whether a blank cell is visible anyway (a background colour, an underline)."""
    return bool(style and (style.bgcolor or style.underline or style.reverse))


def render(verdict: Verdict) -> RenderableType:
    """The whole report as one renderable; sections with nothing to say are left out. Verbatim code is passed
    through as it is; everything else is rendered to the width and right-trimmed."""
    sections = [
        _evidence(verdict) if verdict.evidence else [],
        _candidates(verdict),
        _fix(verdict),
        _runs(verdict),
        _footer(verdict),
        _notes(verdict),
    ]
    parts: list[RenderableType] = [_panel(verdict)]
    for section in sections:
        if section:
            parts.append(Text(""))
            parts.extend(section)
    out: list[RenderableType] = []
    pending: list[RenderableType] = []
    for part in parts:
        if isinstance(part, Verbatim):
            if pending:
                out.append(_RightTrimmed(Group(*pending)))
                pending = []
            out.append(part)
        else:
            pending.append(part)
    if pending:
        out.append(_RightTrimmed(Group(*pending)))
    return Group(*out)
