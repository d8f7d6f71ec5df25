"""`gradebook.csv`: one row per student with points per exercise, total, maximum and a status
per exercise (grader.instructor.status), every cell escaped against formula injection."""

from __future__ import annotations

from pathlib import Path

from grader.deck.project import Project
from grader.files import atomic_write
from grader.instructor.spreadsheet import csv_text
from grader.instructor.student_report import StudentReport
from grader.results import format_points

GRADEBOOK = "gradebook.csv"


def gradebook_csv(project: Project, reports: dict[str, StudentReport]) -> str:
    """Points per exercise, total and maximum, then a status per exercise; one row per student
    in name order; every cell escaped against formula injection."""
    cards = project.cards
    rows: list[list[object]] = [["student", *(c.module for c in cards), "total", "max",
                                 *(f"{c.module} status" for c in cards)]]
    for name in sorted(reports):
        report = reports[name]
        by_number = {r.number: r for r in report.results}
        scores = [by_number[c.number].score if c.number in by_number else 0.0 for c in cards]
        maximum = sum(by_number[c.number].max_score for c in cards if c.number in by_number)
        rows.append([name, *(format_points(s) for s in scores), format_points(sum(scores)),
                     format_points(maximum),
                     *(report.statuses.get(c.number, "not graded") for c in cards)])
    return csv_text(rows)


def write_gradebook(project: Project, out: Path, reports: dict[str, StudentReport]) -> None:
    atomic_write(out / GRADEBOOK, gradebook_csv(project, reports))
