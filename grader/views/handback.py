"""Hand-back feedback: a student's graded exercises as a Markdown file and as an HTML page, with
the same content as `grader check` shows in the terminal.

The HTML page is rich's own export of the terminal view (inline styles: one self-contained file).
The Markdown is a small template in which every piece of text from a check or from the learner's
code sits inside a code fence. Checks marked `hidden` are never handed back (their points still
count); Gradescope's `after_due_date` and `after_published` are, since hand-back comes after both.
"""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console
from rich.segment import Segment, Segments

from grader.instructor.formats.text import clean, details_markdown, fence, md_label
from grader.instructor.stats import student_total
from grader.results import ExerciseResult, format_points, total_points
from grader.views.feedback import MARKS, exercise_view, summary_line

WIDTH = 100
_PANELS_KEPT = 512  # rendered exercise panels kept for reuse by the next students


def shown_to_student(result: ExerciseResult) -> tuple[ExerciseResult, str]:
    """The exercise without its hidden checks, and a note on what was left out ("" if none):
    the exercise's points are then those of its shown checks, and the student's total (which
    counts every check) differs by the hidden checks' points, which the note gives."""
    checks = [c for c in result.checks if c.visibility != "hidden"]
    hidden = len(result.checks) - len(checks)
    if not hidden:
        return result, ""
    worth = format_points(result.max_score - total_points(c.max_points for c in checks))
    note = f"{hidden} more check{'s' if hidden != 1 else ''} ({worth} points) graded but not " \
           "shown: hidden"
    return replace(result, checks=checks), note


def feedback_html(student: str, results: list[ExerciseResult]) -> str:
    """The terminal view of every exercise, exported by rich as one HTML page."""
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", highlight=False)
    console.print(f"Feedback for {student}", style="bold", markup=False)
    for result in results:
        shown, note = shown_to_student(result)
        console.print(Segments(_panel(console, shown)))
        if note:
            console.print(f"  {note}", style="dim", markup=False)
    console.print(summary_line(results))
    return console.export_html(inline_styles=True)


_panels: dict[str, list[Segment]] = {}


def _panel(console: Console, shown: ExerciseResult) -> list[Segment]:
    """The exercise's panel as rich renders it (the same segments `console.print` would
    record). Many students get the same panel for an exercise, so each is rendered once: the
    key is everything the panel shows (the result without its timings and its checks'
    measurements, which it does not)."""
    key = repr(replace(shown, seconds=0.0, checks=[replace(c, seconds=0.0, measurements=[])
                                                   for c in shown.checks]))
    segments = _panels.get(key)
    if segments is None:
        if len(_panels) >= _PANELS_KEPT:
            _panels.pop(next(iter(_panels)))
        segments = _panels[key] = list(console.render(exercise_view(shown, hint_available=False),
                                                      console.options))
    return segments


def feedback_markdown(student: str, results: list[ExerciseResult]) -> str:
    """The same feedback as Markdown: our labels outside fences, everything else inside."""
    score, top = student_total(results)
    done = sum(r.passed for r in results)
    lines = [f"# Feedback for {md_label(student)}", "",
             f"**{format_points(score)}/{format_points(top)} points** · {done}/{len(results)} "
             "exercises passed", ""]
    for result in results:
        shown, note = shown_to_student(result)
        lines += [f"## {result.number} · {md_label(result.title)}: "
                  f"{format_points(shown.score)}/{format_points(shown.max_score)} points", ""]
        if result.notes:
            lines += ["before grading:", "", fence(clean(result.notes_line)), ""]
        if result.problem:
            lines += ["✗ could not be graded:", "", fence(clean(result.problem)), ""]
        said: set[str] = set()
        for check in shown.checks:
            mark = MARKS.get(check.status, ("?", ""))[0]
            lines.append(f"- {mark} {md_label(check.title)} "
                         f"({format_points(check.points)}/{format_points(check.max_points)})")
            details = details_markdown(check) if not check.passed else ""
            if not details or (check.message and check.message in result.problem):
                continue  # the problem above says it already, as the terminal view does
            lines += ["", _indent("the same as above" if details in said else details), ""]
            said.add(details)
        if note:
            lines += ["", note]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.split("\n"))
