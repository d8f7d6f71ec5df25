"""A GitHub Classroom autograding runner's result, as the classroom-resources graders emit it
(`{"version": 1, "status", "max_score", "tests": [...]}`); the workflow base64-encodes it into an
environment variable for `classroom-resources/autograding-grading-reporter`.

One environment string is limited to 128 KiB (Linux's MAX_ARG_STRLEN), and base64 adds a third:
the document is kept under LIMIT bytes by trimming the tests' messages, each trimmed message
saying where the full report is.
"""

from __future__ import annotations

import json
from typing import Any

from grader.instructor.formats.text import check_name, clean, details_text, innermost_line
from grader.results import (
    ERROR,
    NOT_STARTED,
    PASSED,
    SKIPPED,
    ExerciseResult,
    round_points,
    total_points,
)

STATUS = {PASSED: "pass", ERROR: "error"}
LIMIT = 64 * 1024  # bytes of JSON: 88 KiB once base64-encoded, well under the 128 KiB limit


def classroom_text(results: list[ExerciseResult], full_report: str = "") -> str:
    """The runner result as JSON text of at most LIMIT bytes (unless the tests' names alone are
    bigger): when the whole would not fit, it is written compactly and every message is cut to
    an even share of the room left, ending with where the full report is."""
    doc = classroom(results)
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if len(text.encode("utf-8")) <= LIMIT:
        return text
    originals = [t["message"] for t in doc["tests"]]
    for test in doc["tests"]:
        test["message"] = _trim("x", 0, full_report)
    room = LIMIT - len(_compact(doc).encode("utf-8"))
    budget = max(0, room // max(1, len(originals)) // 2)  # / 2: a character may take 2 bytes
    for test, original in zip(doc["tests"], originals, strict=True):
        test["message"] = _trim(original, budget, full_report)
    return _compact(doc)


def _compact(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _trim(message: str, budget: int, full_report: str) -> str:
    if len(message) <= budget:
        return message
    where = f"the full report is in {full_report}" if full_report else \
        "`grader check --format json` gives the full report"
    return message[:budget].rstrip() + f"\n… (trimmed to fit GitHub Classroom: {where})"


def classroom(results: list[ExerciseResult]) -> dict[str, Any]:
    """The runner result as a dictionary, messages untrimmed."""
    tests: list[dict[str, Any]] = []
    problems: list[str] = []
    for result in results:
        for check in result.checks:
            status = STATUS.get(check.status, "fail")
            name = check_name(result, check)
            message = details_text(check)
            if status == "error":
                # The reporter prints only "Error: <message>" for an erroring test, not its name.
                message = f"{name}: {message}"
            if check.status == SKIPPED:
                message = f"skipped: {message}"
            elif check.status == NOT_STARTED and not message:
                message = "not started"
            tests.append({
                "name": name,
                "status": status,
                "score": round_points(check.points),
                "max_score": round_points(check.max_points),
                "message": message,
                "test_code": "",
                "filename": clean(result.file),
                "line_no": innermost_line(check),
                "duration": round(check.seconds * 1000),
                "execution_time": f"{check.seconds:.2f}s",
            })
        if result.problem:
            problems.append(clean(f"{result.number} · {result.title}: {result.problem}"))
            if not result.checks:
                tests.append({"name": clean(f"{result.number} · {result.title}"),
                              "status": "error", "score": 0.0, "max_score": 0.0,
                              "message": problems[-1], "test_code": "",
                              "filename": clean(result.file), "line_no": 0, "duration": 0,
                              "execution_time": "0.00s"})
    if any(not r.checks for r in results):
        status = "error"
    elif all(t["status"] == "pass" for t in tests) and not problems:
        status = "pass"
    else:
        status = "fail"
    doc: dict[str, Any] = {
        "version": 1,
        "status": status,
        "max_score": total_points(t["max_score"] for t in tests),
        "tests": tests,
    }
    if problems:
        doc["message"] = "\n".join(problems)
    return doc
