"""The outcome of grading or merging a class: each student's report and the notes the instructor
must read (grader.views.batch_notes shows them), and where per-student outputs go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.instructor.student_report import StudentReport
from grader.results import ExerciseResult

EXTENSIONS = {"junit": "junit.xml", "gradescope": "gradescope.json",
              "classroom": "classroom.json"}
FORMAT_SUFFIXES = tuple(f".{ext}" for ext in EXTENSIONS.values())
# Notes that mean the gradebook may lack someone or something was not written: exit code 1.
FAILING_NOTES = {"refused", "unwritten"}


@dataclass
class Note:
    """Something the instructor must hear about. `kind`: skipped (not a student folder), file (a
    submission's problems and layout), regraded, replaced (a report the grader did not write,
    re-graded), refused (merge left a report out), mixed (shards graded differently), unwritten,
    stale."""

    student: str
    kind: str
    text: str


@dataclass
class ClassResult:
    reports: dict[str, StudentReport] = field(default_factory=dict)  # by student name
    notes: list[Note] = field(default_factory=list)

    @property
    def graded(self) -> dict[str, list[ExerciseResult]]:
        return {name: r.results for name, r in self.reports.items()}

    @property
    def failed(self) -> bool:
        return any(n.kind in FAILING_NOTES for n in self.notes)


def write_or_note(run: ClassResult, student: str, path: Path, write: Callable[[Path], None]
                  ) -> None:
    """`write(path)`, or a note saying why it could not be written: one student's output never
    stops the class."""
    try:
        write(path)
    except (GraderError, OSError) as error:
        text = error.message if isinstance(error, GraderError) else str(error)
        run.notes.append(Note(student, "unwritten", f"{path.name} not written: {text}"))
