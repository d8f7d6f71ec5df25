"""Gradescope's autograder results.json (https://gradescope-autograders.readthedocs.io/en/latest/
specs/): a test per check with its visibility, scores in hundredths, Markdown output whose learner
text sits only inside code fences."""

from __future__ import annotations

import math
from typing import Any

from grader.instructor.formats.text import (
    check_name,
    clean,
    clip,
    details_markdown,
    fence,
    md_label,
)
from grader.results import ExerciseResult, format_points, round_points, total_points


def gradescope(results: list[ExerciseResult]) -> dict[str, Any]:
    """One student's results.json (written to /autograder/results/results.json)."""
    tests: list[dict[str, Any]] = []
    notes: list[str] = []
    for result in results:
        major = str(int(result.number)) if result.number.isdigit() else result.number
        heading = clean(f"{result.number} · {result.title}")
        for index, check in enumerate(result.checks, 1):
            tests.append({
                "name": check_name(result, check),
                "number": f"{major}.{index}",
                "score": round_points(check.points),
                "max_score": round_points(check.max_points),
                "status": "passed" if check.passed else "failed",
                "output": details_markdown(check),
                "visibility": check.visibility,
            })
        if result.problem:
            notes.append(f"**{md_label(heading)}**: could not be graded\n\n"
                         + fence(clean(result.problem)))
            if not result.checks:
                tests.append({"name": f"{heading}: could not be graded", "number": major,
                              "score": 0.0, "max_score": 0.0, "status": "failed",
                              "output": fence(clean(result.problem)), "visibility": "visible"})
        if result.load_output:
            notes.append(f"**{md_label(heading)}**: your file printed while being imported\n\n"
                         + fence(clip(result.load_output)))
        if result.notes:
            notes.append(f"**{md_label(heading)}**: before grading\n\n"
                         + fence(clean(result.notes_line)))
    score = total_points(t["score"] for t in tests)
    max_score = total_points(t["max_score"] for t in tests)
    done = sum(r.passed for r in results)
    summary = (f"{format_points(score)}/{format_points(max_score)} points · {done}/{len(results)} "
               "exercises passed")
    return {
        "score": score,
        "max_score": max_score,
        # Whole seconds, as the spec's example; rounded up so a quick run never reads 0.
        "execution_time": math.ceil(sum(r.seconds for r in results)),
        "output": "\n\n".join([summary, *notes]),
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
