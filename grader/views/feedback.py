"""The learner's view of a graded exercise: one rich renderable, built only from `Text` objects so
that whatever the learner's code printed or raised is shown literally, never read as markup."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group, RenderableType
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

MARKS = {
    PASSED: ("✓", "green"),
    FAILED: ("✗", "red"),
    ERROR: ("✗", "red"),
    NOT_STARTED: ("○", "yellow"),
    "skipped": ("-", "dim"),
}
BAR_WIDTH = 36
OUTPUT_LINES = 12


def exercise_view(result: ExerciseResult, solution_path: str = "",
                  hint_available: bool = True) -> RenderableType:
    parts: list[RenderableType] = []
    if result.problem:
        parts.append(Text(f"  ✗ {result.problem}", style="bold red"))
    if result.load_output:
        parts.append(_block("Your file printed while being imported:", result.load_output))
    if result.not_started:
        parts.append(Text(f"  ○ not started: open {_shown_path(result.file)} and replace each "
                          "`raise NotImplementedError` with your code", style="yellow"))
    else:
        shown: set[str] = set()
        for check in result.checks:
            parts.extend(_check_lines(check, shown, result.problem))
    parts.append(Text(""))
    parts.append(_score_line(result))
    parts.append(_next_step(result, solution_path, hint_available))
    title = Text.assemble(("Exercise ", "bold"), (f"{result.number} · {result.title}", "bold"))
    subtitle = Text(_shown_path(result.file), style="dim") if result.file else None
    return Panel(Group(*parts), title=title, subtitle=subtitle, title_align="left",
                 subtitle_align="right", border_style=_border(result), padding=(0, 1))


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


def _check_lines(check: CheckResult, shown: set[str], problem: str) -> list[RenderableType]:
    """A check's row, then its message and traceback unless the exercise's problem line or an
    earlier row said the same."""
    mark, style = MARKS.get(check.status, ("?", "magenta"))
    label = {NOT_STARTED: "  (not started)", ERROR: "  (your code raised)"}.get(check.status, "")
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(width=3, no_wrap=True)
    row.add_column(ratio=1)
    row.add_column(justify="right", no_wrap=True)
    row.add_row(Text(f"  {mark}", style=style), Text.assemble(check.title, (label, style)),
                Text(f"{format_points(check.points)}/{format_points(check.max_points)}",
                     style="dim"))
    lines: list[RenderableType] = [row]
    if check.status == NOT_STARTED:
        return lines
    signature = check.message + repr((check.learner_error or {}).get("frames"))
    if check.message and problem and check.message in problem:
        return lines  # the problem at the top says it already
    if (check.message or check.learner_error) and signature in shown:  # a passed check: nothing
        lines.append(Padding(Text("the same as above", style="dim"), (0, 0, 0, 6)))
        return lines
    shown.add(signature)
    if check.message:
        lines.append(Padding(Text(check.message, style=style), (0, 0, 0, 6)))
    if check.learner_error and check.status == ERROR:
        frames = check.learner_error.get("frames") or []
        if frames:
            lines.append(Text("      where, in your code:", style="dim"))
            for f in frames:
                where = f"{f['file']}:{f['line']}" if f.get("line") else ""
                lines.append(Text(f"        {where} in {f['function']}", style="cyan"))
                if f.get("code"):
                    lines.append(Text(f"          {f['code']}"))
    if check.output and check.status != PASSED:
        lines.append(_block("your code printed:", check.output, indent=6))
    for figure in check.figures:
        lines.append(bars(figure, indent=6))
    return lines


def _block(title: str, body: str, indent: int = 2) -> Text:
    shown = body.rstrip("\n").split("\n")
    extra = len(shown) - OUTPUT_LINES
    shown = shown[:OUTPUT_LINES] + ([f"… {extra} more lines"] if extra > 0 else [])
    pad = " " * indent
    text = Text(f"{pad}{title}\n", style="dim")
    text.append("\n".join(f"{pad}│ {line}" for line in shown))
    return text


def bars(figure: Figure, indent: int = 2) -> Text:
    """A horizontal bar chart: one line per label, bars scaled to the largest value."""
    pad = " " * indent
    text = Text(f"{pad}{figure.title}\n", style="bold")
    top = max((abs(v) for v in figure.values), default=0.0) or 1.0
    width = max((len(label) for label in figure.labels), default=0)
    for label, value in zip(figure.labels, figure.values, strict=False):
        filled = abs(value) / top * BAR_WIDTH
        bar = "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")
        text.append(f"{pad}{label.rjust(width)} ")
        text.append(bar or "▏", style="cyan")
        text.append(f" {value:.3g}\n")
    text.rstrip()
    return text


def _score_line(result: ExerciseResult) -> Text:
    passed = sum(c.passed for c in result.checks)
    style = "bold green" if result.passed else "bold"
    text = Text(f"  {passed}/{len(result.checks)} checks passed · "
                f"{format_points(result.score)}/{format_points(result.max_score)} points",
                style=style)
    if result.withheld:
        more = "check" if result.withheld == 1 else "checks"
        text.append(f"  (+ {result.withheld} more {more} your instructor runs when grading)",
                    style="dim")
    return text


def _next_step(result: ExerciseResult, solution_path: str, hint_available: bool) -> Text:
    if result.passed:
        tail = f" Compare with the reference solution: {solution_path}" if solution_path else ""
        return Text(f"  Done!{tail}", style="green")
    if hint_available:
        return Text(f"  Stuck? `grader hint {result.number}` shows the next hint.", style="dim")
    return Text("")


def summary_line(results: list[ExerciseResult]) -> Text:
    done = sum(r.passed for r in results)
    score = sum(r.score for r in results)
    total = sum(r.max_score for r in results)
    return Text(f"{done}/{len(results)} exercises passed · "
                f"{format_points(score)}/{format_points(total)} points", style="bold")
