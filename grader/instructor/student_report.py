"""A student's report, `OUT/<key>.json`: the results in the schema of `grader check --format
json` (docs/formats.md) plus who it is for, what was graded (the submission's picked files,
problems, ignored files and digest), the grading fingerprint, and an HMAC signature
(grader.instructor.integrity). Written by grader.instructor.class_outputs (atomically, never
through a directory or symlink planted at its path); read back only if the signature verifies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.checking import results_doc
from grader.files import read_regular
from grader.instructor.integrity import sign, verified
from grader.instructor.names import Student
from grader.instructor.submissions import Submission
from grader.results import ExerciseResult, exercise_from_dict

MAX_REPORT_BYTES = 64 * 1024 * 1024


class Refused(Exception):
    """A report the grader will not trust; the message says why."""


@dataclass
class StudentReport:
    name: str
    key: str
    results: list[ExerciseResult]  # each with its status (ExerciseResult.status)
    digest: str  # of the submission that was graded
    graded_with: str  # the grading fingerprint
    doc: dict[str, Any] | None = None  # the signed document, when read from a file


def signed_report(student: Student, submission: Submission, graded_with: str,
                  results: list[ExerciseResult], key: bytes) -> str:
    """The text of the student's report, signed with `key`."""
    doc = {
        **results_doc(results),
        "student": {"name": student.name, "key": student.key},
        "submission": {"digest": submission.digest, **submission.to_dict()},
        "graded_with": graded_with,
    }
    return json_text(sign(doc, key)) + "\n"


def json_text(doc: dict[str, Any]) -> str:
    """Readable UTF-8 JSON; escaped ASCII if some text cannot be UTF-8 (a lone surrogate from
    undecodable output): both read back as the same document."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, indent=2, ensure_ascii=True)
    return text


def read_report(path: Path, key: bytes) -> StudentReport:
    """The report at `path` if the grader wrote it with `key`, else Refused (GraderError when it
    is not a regular file of at most MAX_REPORT_BYTES)."""
    data = read_regular(path, MAX_REPORT_BYTES)
    try:
        doc = json.loads(data.decode("utf-8", errors="strict"))
    except ValueError:
        raise Refused("not a JSON report") from None
    if not verified(doc, key):
        raise Refused("its signature does not match the grader's key: planted, edited, or "
                      "signed with another key")
    try:
        student = doc["student"]
        report = StudentReport(
            name=str(student["name"]), key=str(student["key"]),
            results=[exercise_from_dict(e) for e in doc["exercises"]],
            digest=str(doc["submission"]["digest"]), graded_with=str(doc["graded_with"]),
            doc=doc)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise Refused(f"signed, but not in this grader's schema ({type(exc).__name__}: {exc}): "
                      "written by another version?") from None
    if path.name != f"{report.key}.json":
        raise Refused(f"it is {report.name!r}'s report under another file name")
    return report
