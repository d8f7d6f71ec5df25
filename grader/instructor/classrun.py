"""The outcome of grading or merging a class: each student's report and the notes the instructor
must read (grader.views.batch_notes shows them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.instructor.class_outputs import STUDENT_FILES
from grader.instructor.student_report import StudentReport
from grader.results import ExerciseResult

# The file name endings of a student's other formats: `<key>.json` is their report.
FORMAT_SUFFIXES = tuple(f".{ext}" for fmt, ext in STUDENT_FILES.items() if fmt != "json")
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


def write_or_note(run: ClassResult, student: str, write: Callable[[], None]) -> None:
    """`write()`, or a note naming the file that could not be written and why: one student's
    output never stops the class, not even a bug in the grader's own views."""
    try:
        write()
    except (GraderError, OSError) as error:
        if isinstance(error, GraderError):
            where, text = error.path, error.message
        else:
            where, text = error.filename, error.strerror or str(error)
        name = Path(where).name if where else "a file"
        run.notes.append(Note(student, "unwritten", f"{name} not written: {text}"))
    except Exception as error:  # a bug in a view: the class goes on, and the note says so
        run.notes.append(Note(student, "unwritten", f"an output not written: the grader broke "
                              f"({type(error).__name__}: {error}); this is a bug in the "
                              "grader, please report it"))
