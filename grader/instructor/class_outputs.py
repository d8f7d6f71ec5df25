"""Everything `grader grade` writes besides the grading itself, in one place.

Per student: `OUT/<student>.json` (always) and the requested per-student formats. Per class:
`gradebook.csv` (always), the requested class formats (`canvas.csv`, `moodle.csv`, `long.csv`),
hand-back feedback `feedback/<student>.md` and `.html`, and the page `report.html`.
"""

from __future__ import annotations

from pathlib import Path

from grader.files import atomic_write
from grader.instructor.formats.tables import gradebook
from grader.instructor.reports import CLASS_FORMATS, render
from grader.results import ExerciseResult

STUDENT_FILES = {"json": "json", "junit": "junit.xml", "gradescope": "gradescope.json",
                 "classroom": "classroom.json"}
FEEDBACK = "feedback"


def write_student_outputs(out: Path, student: str, results: list[ExerciseResult],
                          formats: list[str]) -> None:
    """`<student>.json`, and `<student>.junit.xml`... for each per-student format asked for."""
    from grader.checking import results_json

    full = out / f"{student}.json"
    atomic_write(full, results_json(results) + "\n")
    for fmt in (f for f in formats if f in STUDENT_FILES and f != "json"):
        atomic_write(out / f"{student}.{STUDENT_FILES[fmt]}",
                     render(fmt, {student: results}, full_report=full.name) + "\n")


def write_class_outputs(out: Path, graded: dict[str, list[ExerciseResult]], formats: list[str],
                        seconds: float | None = None) -> list[Path]:
    """The class files (see the module's docstring); returns the paths written."""
    from grader.views.handback import feedback_html, feedback_markdown
    from grader.views.html_report import html_report

    files: dict[Path, str] = {out / "gradebook.csv": gradebook(graded)}
    for fmt in (f for f in CLASS_FORMATS if f in formats):
        files[out / f"{fmt}.csv"] = render(fmt, graded)
    for student, results in sorted(graded.items()):
        files[out / FEEDBACK / f"{student}.md"] = feedback_markdown(student, results)
        files[out / FEEDBACK / f"{student}.html"] = feedback_html(student, results)
    files[out / "report.html"] = html_report(graded, seconds)
    for path, text in files.items():
        atomic_write(path, text)
    return list(files)
