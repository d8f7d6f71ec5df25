"""One word per graded exercise, saying why it earned what it earned: the gradebook's status
columns. The statuses are distinct so that "no file", "crash" and "not started" never all read 0.
"""

from __future__ import annotations

from grader.instructor.submissions import REFUSED
from grader.results import ExerciseResult

PASSED, FAILED, NOT_STARTED = "passed", "failed", "not started"
SYNTAX_ERROR, IMPORT_ERROR, TIMEOUT, CRASH = "syntax error", "import error", "timeout", "crash"
CRASH_KINDS = {"crash", "memory", "exit", "output", "too_big", "garbled"}
SYNTAX_ERRORS = {"SyntaxError", "IndentationError", "TabError"}
IMPORTING = "importing your file"


def exercise_status(result: ExerciseResult, file_problem: str = "") -> str:
    """`file_problem` is the submission's own status when no file was graded ("no file",
    "two candidates", "refused file"); otherwise the status comes from the checks: a timeout or
    crash outranks a plain failure, since it says why the points were lost."""
    if file_problem:
        return file_problem
    if result.passed:
        return PASSED
    kinds = {c.kind for c in result.checks}
    errors = [c.learner_error for c in result.checks if c.learner_error]
    if "file" in kinds:  # the sandbox would not copy the file in (it changed since discovery)
        return REFUSED
    if any(e.get("during") == IMPORTING for e in errors):
        return SYNTAX_ERROR if any(e.get("type") in SYNTAX_ERRORS for e in errors) \
            else IMPORT_ERROR
    if result.not_started:
        return NOT_STARTED
    if "timeout" in kinds:
        return TIMEOUT
    if kinds & CRASH_KINDS:
        return CRASH
    return FAILED
