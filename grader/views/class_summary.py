"""The instructor's terminal summary of `grader grade`: per-exercise table, a histogram of total
scores, the checks most often failed, and a row per student (all of them up to a screenful, the
top of the list beyond that)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.instructor.stats import exercise_stats, most_failed, student_total
from grader.results import (
    FILE_STATUSES,
    PROBLEM_STATUSES,
    ExerciseResult,
    Figure,
    format_points,
)
from grader.views.feedback import bars

BINS = 10
SCREENFUL = 40  # student rows shown before the list is cut
SORTS = ("name", "score")


def class_summary(graded: dict[str, list[ExerciseResult]], sort: str = "name",
                  rows: int = SCREENFUL) -> RenderableType:
    table = Table(title=f"{len(graded)} students", title_justify="left")
    for column in ("#", "exercise", "passed", "mean points", "no file", "crashed"):
        table.add_column(column, justify="left" if column == "exercise" else "right")
    for stats in exercise_stats(graded):
        no_file = sum(stats.statuses[s] for s in FILE_STATUSES)
        crashed = sum(stats.statuses[s] for s in PROBLEM_STATUSES if s not in FILE_STATUSES)
        table.add_row(stats.number, Text(stats.title), f"{stats.passed}/{stats.students}",
                      f"{format_points(stats.mean)}/{format_points(stats.max_score)}",
                      str(no_file), str(crashed))
    parts: list[RenderableType] = [table]
    totals = [student_total(results)[0] for results in graded.values()]
    maximum = max((student_total(results)[1] for results in graded.values()), default=0)
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
    parts.append(student_table(graded, sort, rows))
    return Group(*parts)


def student_table(graded: dict[str, list[ExerciseResult]], sort: str = "name",
                  rows: int = SCREENFUL) -> Table:
    """A row per student: points, exercises passed, problems; sorted by name, or by score
    (lowest first: who needs help comes first); the first `rows` of them."""
    names = sorted(graded)
    if sort == "score":
        names.sort(key=lambda s: student_total(graded[s])[0])
    shown = names[:rows]
    title = "Students" + (" (by score, lowest first)" if sort == "score" else "")
    if len(names) > len(shown):
        title += f": the first {len(shown)} of {len(names)}"
    table = Table(title=title, title_justify="left")
    for column in ("student", "points", "passed", "problems"):
        table.add_column(column, justify="right" if column in ("points", "passed") else "left")
    for student in shown:
        results = graded[student]
        score, top = student_total(results)
        problems = ", ".join(f"{r.number} {r.status.replace('_', ' ')}" for r in results
                             if r.status in PROBLEM_STATUSES)
        table.add_row(Text(student), f"{format_points(score)}/{format_points(top)}",
                      f"{sum(r.passed for r in results)}/{len(results)}",
                      Text(problems, style="red"))
    return table
