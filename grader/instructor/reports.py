"""Machine-readable reports of graded exercises, one module per format in
`grader.instructor.formats`: our JSON, JUnit XML, Gradescope, GitHub Classroom (per student or
per learner), and Canvas, Moodle and a long table (per class). See docs/formats.md.

`render(fmt, {student: results})` returns the whole document as a string. The key "" stands for a
single learner (`grader check`); several keys are a class (`grader grade`).
"""

from __future__ import annotations

import json

from grader.instructor.formats import tables
from grader.instructor.formats.classroom import classroom_text
from grader.instructor.formats.gradescope import gradescope
from grader.instructor.formats.junit import junit
from grader.results import ExerciseResult

STUDENT_FORMATS = ("json", "junit", "gradescope", "classroom")
CLASS_FORMATS = {"canvas": tables.canvas, "moodle": tables.moodle, "long": tables.long}
FORMATS = (*STUDENT_FORMATS, *CLASS_FORMATS)


def render(fmt: str, results: dict[str, list[ExerciseResult]], full_report: str = "") -> str:
    """The report `fmt` of each student's results. `full_report` names the file holding the
    full JSON report, which a trimmed Classroom report points to."""
    if fmt == "json":
        return _json(results)
    if fmt == "junit":
        return junit(results)
    if fmt == "gradescope":
        return json.dumps(gradescope(_only_student(fmt, results)), indent=2, ensure_ascii=False)
    if fmt == "classroom":
        return classroom_text(_only_student(fmt, results), full_report)
    if fmt in CLASS_FORMATS:
        return CLASS_FORMATS[fmt](results)
    raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")


def _only_student(fmt: str, results: dict[str, list[ExerciseResult]]) -> list[ExerciseResult]:
    if len(results) != 1:
        raise ValueError(f"the {fmt} format reports one student's results, not {len(results)}")
    return next(iter(results.values()))


def _json(results: dict[str, list[ExerciseResult]]) -> str:
    from grader.checking import results_json

    if list(results) == [""]:
        return results_json(results[""])
    doc = {"version": 1,
           "students": {name: json.loads(results_json(rs)) for name, rs in results.items()}}
    return json.dumps(doc, indent=2, ensure_ascii=False)
