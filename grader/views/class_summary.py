"""The instructor's terminal summary of `grader grade`: per-exercise table, a histogram of total
scores, and the checks most often failed."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.deck.project import Project
from grader.instructor.grade import most_failed
from grader.results import ExerciseResult, Figure
from grader.views.feedback import bars

BINS = 10


def class_summary(project: Project, graded: dict[str, list[ExerciseResult]]) -> RenderableType:
    table = Table(title=f"{len(graded)} students", title_justify="left")
    for column in ("#", "exercise", "passed", "mean points", "no file"):
        table.add_column(column, justify="left" if column == "exercise" else "right")
    for card in project.cards:
        rows = [r for results in graded.values() for r in results if r.number == card.number]
        if not rows:
            continue
        passed = sum(r.passed for r in rows)
        mean = sum(r.score for r in rows) / len(rows)
        top = max(r.max_score for r in rows)
        missing = sum(bool(r.problem) for r in rows)
        table.add_row(card.number, Text(card.title), f"{passed}/{len(rows)}",
                      f"{mean:.2f}/{top:g}", str(missing))
    parts: list[RenderableType] = [table]
    totals = [sum(r.score for r in results) for results in graded.values()]
    maximum = max((sum(r.max_score for r in results) for results in graded.values()), default=0)
    if totals and maximum:
        width = maximum / BINS
        counts = [0] * BINS
        for total in totals:
            counts[min(int(total / width), BINS - 1)] += 1
        labels = [f"{i * width:5.1f}–{(i + 1) * width:5.1f}" for i in range(BINS)]
        parts.append(bars(Figure("Total scores", labels, [float(c) for c in counts]), indent=0))
    failed = most_failed(graded)
    if failed:
        worst = Table(title="Checks most often failed", title_justify="left")
        worst.add_column("students", justify="right")
        worst.add_column("check")
        for name, count in failed:
            worst.add_row(str(count), Text(name))
        parts.append(worst)
    return Group(*parts)
