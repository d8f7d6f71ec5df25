"""The learner's view of a graded exercise: one rich renderable. The verdict comes first, then
each cause of failure once (the likeliest root cause first, see `grader.views.causes`), then the
checks that passed. Whatever the learner's code printed or raised is shown literally, never read
as markup, and never crosses the panel's border (see `grader.views.fitting`)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.results import (
    ERROR,
    FAILED,
    NOT_STARTED,
    PASSED,
    CheckResult,
    ExerciseResult,
    Figure,
    format_points,
)
from grader.views.causes import Cause, group_causes
from grader.views.fitting import Cropped, literal

MARKS = {
    PASSED: ("✓", "green"),
    FAILED: ("✗", "red"),
    ERROR: ("✗", "red"),
    NOT_STARTED: ("○", "yellow"),
    "skipped": ("-", "dim"),
}
BAR_WIDTH = 36
OUTPUT_LINES = 12
PANEL_LINES = 2  # the top and bottom borders
NAMED = 6  # checks named in "and N more checks for the same reason (…)"


def exercise_view(result: ExerciseResult, solution_path: str = "",
                  hint_available: bool = True, *, hint: str | None = None,
                  compact: bool = False, max_lines: int | None = None) -> RenderableType:
    """The exercise's panel. `hint` replaces the "Stuck?" line (watch names its own key);
    `compact` shows a pass as its verdict alone; `max_lines` crops the panel to that height,
    keeping the verdict and the root cause, which come first."""
    if hint is None:
        hint = f"Stuck? `grader hint {result.number}` shows the next hint." \
            if hint_available else ""
    parts: list[RenderableType] = [literal(result.notes_line, "dim")] \
        if result.notes else []
    if result.problem:
        parts.append(literal(f"✗ {result.problem}", "bold red"))
    if result.load_output:
        parts.append(_block("Your file printed while being imported:", result.load_output, 0))
    if result.not_started:
        parts.append(literal(f"○ not started: open {_shown_path(result.file)} and replace each "
                             "`raise NotImplementedError` with your code", "yellow"))
    else:
        parts.append(verdict_line(result))
        if not (compact and result.passed):
            parts.extend(_checks(result))
    parts.append(_next_step(result, solution_path, hint))
    body: RenderableType = Group(*parts)
    if max_lines is not None:
        body = Cropped(body, max_lines - PANEL_LINES, f"`grader check {result.number}` "
                       "prints them all")
    title = Text.assemble(("Exercise ", "bold"), (f"{result.number} · ", "bold"),
                          literal(result.title, "bold"))
    subtitle = literal(_shown_path(result.file), "dim") if result.file else None
    return Panel(body, title=title, subtitle=subtitle, title_align="left",
                 subtitle_align="right", border_style=_border(result), padding=(0, 1))


def verdict_line(result: ExerciseResult) -> Text:
    passed = sum(c.passed for c in result.checks)
    mark, style = ("✓", "bold green") if result.passed else ("✗", "bold red")
    text = Text(f"{mark} {passed}/{len(result.checks)} checks passed · "
                f"{format_points(result.score)}/{format_points(result.max_score)} points",
                style=style)
    if result.withheld:
        more = "check" if result.withheld == 1 else "checks"
        text.append(f"  (+ {result.withheld} more {more} your instructor runs when grading)",
                    style="dim")
    return text


def _shown_path(file: str) -> str:
    """The learner's file relative to where they are, when it is below it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file


def _border(result: ExerciseResult) -> str:
    if result.passed:
        return "green"
    return "yellow" if result.not_started else "red"


def _checks(result: ExerciseResult) -> list[RenderableType]:
    """Each cause of failure once (root cause first), then the other checks in their order."""
    lines: list[RenderableType] = []
    for cause in group_causes(result.checks):
        lines.extend(_cause_lines(cause, result.problem))
    for check in result.checks:
        if check.status not in (FAILED, ERROR):
            lines.append(_row(check))
            if check.status not in (PASSED, NOT_STARTED) and check.message:
                lines.append(_indented(literal(check.message, "dim")))
            lines.extend(Padding(bars(f, indent=0), (0, 0, 0, 4)) for f in check.figures)
    return lines


def _row(check: CheckResult) -> Table:
    mark, style = MARKS.get(check.status, ("?", "magenta"))
    label = "  (not started)" if check.status == NOT_STARTED else ""
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(width=1, no_wrap=True)
    row.add_column(ratio=1)
    row.add_column(justify="right", no_wrap=True)
    row.add_row(Text(mark, style=style), Text.assemble(literal(check.title), (label, style)),
                Text(f"{format_points(check.points)}/{format_points(check.max_points)}",
                     style="dim"))
    return row


def _indented(renderable: RenderableType, left: int = 4) -> Padding:
    return Padding(renderable, (0, 0, 0, left))


def _cause_lines(cause: Cause, problem: str) -> list[RenderableType]:
    """The first check of a cause in full; the others as one line that counts them."""
    check = cause.first
    lines: list[RenderableType] = [_row(check)]
    said = bool(problem) and check.message in problem  # the problem line at the top said it
    if check.message and not said:
        lines.append(_indented(literal(check.message, "red")))
    frames = (check.learner_error or {}).get("frames") or []
    if check.status == ERROR and frames and not said:
        lines.append(_indented(Text("where, in your code:", style="dim")))
        for f in frames:
            where = f"{f['file']}:{f['line']}" if f.get("line") else str(f.get("file", ""))
            lines.append(_indented(literal(f"{where} in {f.get('function', '?')}", "cyan"), 6))
            if f.get("code"):
                lines.append(_indented(literal(str(f["code"])), 8))
    if check.output:
        lines.append(_block("your code printed:", check.output))
    lines.extend(_indented(bars(f, indent=0)) for f in check.figures)
    if cause.others:
        count = len(cause.others)
        names = ", ".join(c.name.removeprefix("test_").replace("_", " ")
                          for c in cause.others[:NAMED])
        names += ", …" if count > NAMED else ""
        noun = "check" if count == 1 else "checks"
        lines.append(_indented(literal(f"and {count} more {noun} for the same reason "
                                       f"({names})", "dim")))
    return lines


def _block(title: str, body: str, indent: int = 4) -> Padding:
    """Printed output: a line repeated in a row is shown once with its count, then at most
    OUTPUT_LINES lines and how many more there were."""
    runs: list[tuple[str, int]] = []
    for line in body.rstrip("\n").replace("\r\n", "\n").split("\n"):
        if runs and runs[-1][0] == line:
            runs[-1] = (line, runs[-1][1] + 1)
        else:
            runs.append((line, 1))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(ratio=1, overflow="fold")
    for line, count in runs[:OUTPUT_LINES]:
        grid.add_row("│", Text.assemble(literal(line), (f"  (×{count})" if count > 1 else "",
                                                         "dim")))
    left_out = sum(count for _, count in runs[OUTPUT_LINES:])
    if left_out:
        grid.add_row("│", Text(f"… {left_out} more lines", style="dim"))
    return _indented(Group(Text(title, style="dim"), grid), indent)


class Bars:
    """A horizontal bar chart, one line per label, bars scaled to the largest value and to the
    width there is (never wider, so a narrow terminal wraps nothing)."""

    def __init__(self, figure: Figure, indent: int = 2):
        self.figure = figure
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        figure, pad = self.figure, " " * self.indent
        values = [f"{v:.3g}" for v in figure.values]
        labels = [literal(label).plain for label in figure.labels]
        label_width = min(max((len(x) for x in labels), default=0), options.max_width // 3)
        room = options.max_width - self.indent - label_width - max(map(len, values), default=0)
        width = max(min(BAR_WIDTH, room - 3), 4)
        yield Text.assemble(pad, literal(figure.title, "bold"))
        for label, value, shown in zip(labels, figure.values, values, strict=False):
            bar = figure.bar(value, width)
            text = Text(f"{pad}{label[:label_width].rjust(label_width)} ", no_wrap=True,
                        overflow="crop")
            text.append(bar or "▏", style="cyan")
            text.append(f" {shown}")
            yield text


def bars(figure: Figure, indent: int = 2) -> Bars:
    return Bars(figure, indent)


def _next_step(result: ExerciseResult, solution_path: str, hint: str) -> Text:
    if result.passed:
        tail = f" Compare with the reference solution: {solution_path}" if solution_path else ""
        return Text(f"Done!{tail}", style="green")
    return Text(hint, style="dim")


def summary_line(results: list[ExerciseResult]) -> Text:
    done = sum(r.passed for r in results)
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    return Text(f"{done}/{len(results)} exercises passed · "
                f"{format_points(score)}/{format_points(total)} points", style="bold")
