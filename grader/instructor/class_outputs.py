"""Everything `grader grade` writes besides the grading itself, in one place.

Per student, as soon as they are graded: `OUT/<key>.json` (their signed report, see
grader.instructor.student_report), the requested per-student formats and hand-back feedback
`feedback/<key>.md` and `.html`, where `key` is the student's safe file name
(grader.instructor.names); rendering the feedback costs about 0.15 s per student of 12
exercises, so it is done once, when the student is graded. Per class:
`gradebook.csv`, the requested class formats (`canvas.csv`, `moodle.csv`, `long.csv`), the page
`report.html`, and feedback for any student who has none yet (e.g. after `grader merge`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.files import write_all
from grader.instructor.formats.tables import gradebook
from grader.instructor.reports import CLASS_FORMATS, render
from grader.results import ExerciseResult

STUDENT_FILES = {"json": "json", "junit": "junit.xml", "gradescope": "gradescope.json",
                 "classroom": "classroom.json"}
FEEDBACK = "feedback"


def write_student_outputs(out: Path, key: str, name: str, results: list[ExerciseResult],
                          formats: list[str], report: str) -> None:
    """The student's signed `report` as `<key>.json`, `<key>.junit.xml`... for each per-student
    format asked for, and their hand-back feedback: all written, or none (GraderError when
    something that is not a file sits at one of the paths)."""
    write_all({out / f"{key}.json": report, **format_files(out, key, name, results, formats),
               **_feedback(out, key, name, results)})


def format_files(out: Path, key: str, name: str, results: list[ExerciseResult],
                 formats: list[str]) -> dict[Path, str]:
    """The per-student formats asked for, by path (`key` names the files, `name` is who they
    speak of)."""
    return {out / f"{key}.{STUDENT_FILES[fmt]}":
            render(fmt, {name: results}, full_report=f"{key}.json") + "\n"
            for fmt in dict.fromkeys(formats) if fmt in STUDENT_FILES and fmt != "json"}


def _feedback(out: Path, key: str, name: str, results: list[ExerciseResult]
              ) -> dict[Path, str]:
    from grader.views.handback import feedback_html, feedback_markdown

    markdown, html = _feedback_paths(out, key)
    return {markdown: feedback_markdown(name, results), html: feedback_html(name, results)}


def write_class_outputs(out: Path, graded: dict[str, list[ExerciseResult]], formats: list[str],
                        seconds: float | None = None, keys: dict[str, str] | None = None,
                        guard: Callable[[str, Callable[[], None]], None] | None = None
                        ) -> list[Path]:
    """The class files (see the module's docstring); returns the paths written. `keys` gives
    each student's file name (grader.instructor.names) when it is not their name; `guard(name,
    write)` runs each student's feedback write (e.g. to note a failure and go on), so one
    student's blocked path never stops the gradebook."""
    from grader.views.html_report import html_report

    files: dict[Path, str] = {out / "gradebook.csv": gradebook(graded)}
    for fmt in (f for f in CLASS_FORMATS if f in formats):
        files[out / f"{fmt}.csv"] = render(fmt, graded)
    files[out / "report.html"] = html_report(graded, seconds)
    write_all(files)
    written = list(files)
    for student, results in sorted(graded.items()):
        key = (keys or {}).get(student, student)
        if not all(path.is_file() for path in _feedback_paths(out, key)):
            feedback = _feedback(out, key, student, results)
            (guard or _run)(student, lambda f=feedback: write_all(f))
            written += [p for p in feedback if p.is_file()]
    return written


def _run(student: str, write: Callable[[], None]) -> None:
    write()


def _feedback_paths(out: Path, key: str) -> tuple[Path, Path]:
    return out / FEEDBACK / f"{key}.md", out / FEEDBACK / f"{key}.html"
