"""A class as CSV tables: our gradebook, Canvas's and Moodle's grade imports, and a long table
(one row per student, exercise and check) for pandas.

Every table is sorted by student and then by exercise, so the same class always gives the same
bytes; points are written as `format_points` shows them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from grader.instructor.formats.text import clean
from grader.instructor.stats import named_mistake, student_total
from grader.results import ExerciseResult, format_points

Graded = dict[str, list[ExerciseResult]]


# OWASP's "CSV Injection" list (and ASVS 1.2.10's NUL): a cell starting with one of these is a
# formula to a spreadsheet.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")


def safe_cell(value: object) -> str:
    """`value` as text a spreadsheet reads as text: a leading `'` before a formula's first
    character (spreadsheets show the rest as typed)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows: Iterable[list[str]]) -> str:
    """Rows as CSV text (the one place every table is written). Every cell is quoted, so a `,` or
    `;` inside a folder name cannot start a new cell whatever separator a spreadsheet assumes,
    and no cell starts a formula (safe_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(clean(str(cell))) for cell in row])
    return buffer.getvalue()


def exercises_of(graded: Graded) -> list[ExerciseResult]:
    """One result per exercise number found in the class, in number order (for names, titles
    and points possible: the one worth the most, in case one run had no checks)."""
    seen: dict[str, ExerciseResult] = {}
    for results in graded.values():
        for result in results:
            if result.number not in seen or result.max_score > seen[result.number].max_score:
                seen[result.number] = result
    return [seen[n] for n in sorted(seen)]


def _by_number(results: list[ExerciseResult]) -> dict[str, ExerciseResult]:
    return {r.number: r for r in results}


def gradebook(graded: Graded) -> str:
    """`student`, points per exercise (`01_forward`...), `total`, `max`, then a status per
    exercise (`01_forward status`: passed, partial, failed, not_started, no_file,
    import_error, timeout or crash)."""
    modules = [f"{r.number}_{r.slug}" for r in exercises_of(graded)]
    numbers = [r.number for r in exercises_of(graded)]
    rows = [["student", *modules, "total", "max", *(f"{m} status" for m in modules)]]
    for student in sorted(graded):
        mine = _by_number(graded[student])
        score, top = student_total(graded[student])
        rows.append([student,
                     *(format_points(mine[n].score) if n in mine else "" for n in numbers),
                     format_points(score), format_points(top),
                     *(mine[n].status if n in mine else "not_graded" for n in numbers)])
    return csv_text(rows)


# Canvas's own gradebook export starts with these columns, and its import reads them back.
CANVAS_HEAD = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas(graded: Graded) -> str:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one
    column per exercise (a new assignment each, named `03 Title`), with a `Points Possible` row
    first. The student folder's name goes in Student, SIS User ID and SIS Login ID (Canvas
    matches a row by any of its identifiers); ID (Canvas's own number) and Section are empty."""
    exercises = exercises_of(graded)
    rows = [[*CANVAS_HEAD, *(f"{r.number} {r.title}" for r in exercises)],
            ["Points Possible", "", "", "", "",
             *(format_points(r.max_score) for r in exercises)]]
    for student in sorted(graded):
        mine = _by_number(graded[student])
        rows.append([student, "", student, student, "",
                     *(format_points(mine[r.number].score) if r.number in mine else ""
                       for r in exercises)])
    return csv_text(rows)


def moodle(graded: Graded) -> str:
    """Moodle's grade import (Grades > Import > CSV file): an identifying column (`Username`:
    the student folder's name), a column per exercise and `Total`; Moodle asks which column
    maps to which grade item."""
    exercises = exercises_of(graded)
    rows = [["Username", *(f"{r.number} {r.title}" for r in exercises), "Total"]]
    for student in sorted(graded):
        mine = _by_number(graded[student])
        rows.append([student,
                     *(format_points(mine[r.number].score) if r.number in mine else ""
                       for r in exercises),
                     format_points(student_total(graded[student])[0])])
    return csv_text(rows)


LONG_HEAD = ["student", "exercise", "check", "title", "status", "points", "max_points",
             "visibility", "mistake", "seconds"]


def long(graded: Graded) -> str:
    """One row per student, exercise and check (tidy data for pandas): points, max, status, the
    named mistake the check diagnosed (or ""), seconds."""
    rows = [LONG_HEAD]
    for student in sorted(graded):
        for result in sorted(graded[student], key=lambda r: r.number):
            for check in result.checks:
                rows.append([student, f"{result.number}_{result.slug}", check.name, check.title,
                             check.status, format_points(check.points),
                             format_points(check.max_points), check.visibility,
                             "" if check.passed else named_mistake(check.message),
                             f"{check.seconds:.3f}"])
    return csv_text(rows)
