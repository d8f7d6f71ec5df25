"""Everything `grader grade` writes besides the grading itself, in one place.

Per student, as soon as they are graded: `OUT/<student>.json`, the requested per-student formats
and hand-back feedback `feedback/<student>.md` and `.html` (rendering the feedback costs about
0.15 s per student of 12 exercises, so it is done once, when the student is graded). Per class:
`gradebook.csv`, the requested class formats (`canvas.csv`, `moodle.csv`, `long.csv`), the page
`report.html`, and feedback for any student who has none yet (e.g. after `grader merge`).
"""

from __future__ import annotations

from pathlib import Path

from grader.files import write_all
from grader.instructor.formats.tables import gradebook
from grader.instructor.reports import CLASS_FORMATS, render
from grader.results import ExerciseResult

STUDENT_FILES = {"json": "json", "junit": "junit.xml", "gradescope": "gradescope.json",
                 "classroom": "classroom.json"}
FEEDBACK = "feedback"


def write_student_outputs(out: Path, student: str, results: list[ExerciseResult],
                          formats: list[str]) -> None:
    """`<student>.json`, `<student>.junit.xml`... for each per-student format asked for, and
    the student's hand-back feedback."""
    from grader.checking import results_json

    full = out / f"{student}.json"
    files = {full: results_json(results) + "\n"}
    for fmt in (f for f in formats if f in STUDENT_FILES and f != "json"):
        files[out / f"{student}.{STUDENT_FILES[fmt]}"] = \
            render(fmt, {student: results}, full_report=full.name) + "\n"
    files.update(_feedback(out, student, results))
    write_all(files)


def graded_students(out: Path) -> list[str]:
    """The students with a report in `out`: `<student>.json`, not `<student>.gradescope.json` or
    `<student>.classroom.json`, which are other formats of the same student."""
    others = tuple(f".{ext}" for fmt, ext in STUDENT_FILES.items() if fmt != "json")
    return sorted(p.name.removesuffix(".json") for p in out.glob("*.json")
                  if not p.name.endswith(others))


def _feedback(out: Path, student: str, results: list[ExerciseResult]) -> dict[Path, str]:
    from grader.views.handback import feedback_html, feedback_markdown

    markdown, html = _feedback_paths(out, student)
    return {markdown: feedback_markdown(student, results), html: feedback_html(student, results)}


def write_class_outputs(out: Path, graded: dict[str, list[ExerciseResult]], formats: list[str],
                        seconds: float | None = None) -> list[Path]:
    """The class files (see the module's docstring); returns the paths written."""
    from grader.views.html_report import html_report

    files: dict[Path, str] = {out / "gradebook.csv": gradebook(graded)}
    for fmt in (f for f in CLASS_FORMATS if f in formats):
        files[out / f"{fmt}.csv"] = render(fmt, graded)
    for student, results in sorted(graded.items()):
        feedback = _feedback_paths(out, student)
        if not all(path.is_file() for path in feedback):
            files.update(_feedback(out, student, results))
    files[out / "report.html"] = html_report(graded, seconds)
    write_all(files)
    return list(files)


def _feedback_paths(out: Path, student: str) -> tuple[Path, Path]:
    return out / FEEDBACK / f"{student}.md", out / FEEDBACK / f"{student}.html"
