"""Machine-readable reports of graded exercises: our JSON, JUnit XML, Gradescope, GitHub Classroom.

`render(fmt, {student: results})` returns the whole document as a string. The key "" stands for a
single learner (`grader check`); several keys are a class (`grader grade`). Whatever the learner's
code printed or raised is data: it is escaped by ElementTree or by JSON, stripped of characters
that XML 1.0 forbids (and of terminal colour codes), and put in Markdown only inside code fences
longer than any run of backticks it contains. See docs/formats.md.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any

from grader.results import ERROR, NOT_STARTED, PASSED, SKIPPED, CheckResult, ExerciseResult, Figure

FORMATS = ("json", "junit", "gradescope", "classroom")

# Terminal escape sequences (CSI such as colours, and OSC such as titles or hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# Everything but tab and newline that XML 1.0 forbids or that is a control character: C0 and C1
# controls, DEL, lone surrogates (from undecodable output) and the non-characters U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BACKTICKS = re.compile("`+")
BAR_WIDTH = 30
OUTPUT_LINES = 60  # lines of the learner's printed output shown per check (JSON keeps it all)
OUTPUT_CHARS = 4000


def render(fmt: str, results: dict[str, list[ExerciseResult]]) -> str:
    """The report `fmt` ("json", "junit", "gradescope" or "classroom") of each student's results."""
    if fmt == "json":
        return _json(results)
    if fmt == "junit":
        return junit(results)
    if fmt == "gradescope":
        return json.dumps(gradescope(_only_student(fmt, results)), indent=2, ensure_ascii=False)
    if fmt == "classroom":
        return json.dumps(classroom(_only_student(fmt, results)), indent=2, ensure_ascii=False)
    raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")


def _only_student(fmt: str, results: dict[str, list[ExerciseResult]]) -> list[ExerciseResult]:
    if len(results) != 1:
        raise ValueError(f"the {fmt} format reports one student's results, not {len(results)}")
    return next(iter(results.values()))


def _single(results: dict[str, list[ExerciseResult]]) -> bool:
    return list(results) == [""]


# ---- text hygiene ------------------------------------------------------------------------------


def clean(text: str) -> str:
    """`text` with Unix newlines, without terminal escapes and without characters XML forbids."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL.sub("", _ANSI.sub("", text))


def fence(text: str, info: str = "text") -> str:
    """A Markdown fenced code block holding `text` literally: its fence is longer than any run of
    backticks inside, so nothing in `text` can close it."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    marks = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{marks}{info}\n{body}{marks}"


def clip(text: str) -> str:
    """The learner's printed output, cut to OUTPUT_LINES lines and OUTPUT_CHARS characters."""
    text = clean(text).rstrip("\n")
    lines = text.split("\n")
    shown = "\n".join(lines[:OUTPUT_LINES])[:OUTPUT_CHARS]
    hidden = len(text) - len(shown)
    return shown + (f"\n… {hidden} more characters not shown" if hidden > 0 else "")


def _total(values: Iterable[float]) -> float:
    """A sum of points, rounded so that shares such as 3 x 3.333333 add up to 10."""
    return round(sum(values), 4)


def _points(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _check_name(result: ExerciseResult, check: CheckResult) -> str:
    return clean(f"{result.number} · {result.title}: {check.title}")


def _frames_text(check: CheckResult) -> str:
    """The learner's traceback frames, innermost last, as plain text ("" when there are none)."""
    if check.status != ERROR or not check.learner_error:
        return ""
    lines = []
    for frame in check.learner_error.get("frames") or []:
        if frame.get("line"):
            lines.append(f"{frame.get('file', '')}:{frame['line']} in {frame.get('function', '')}")
        else:
            lines.append(str(frame.get("function", "")))
        if frame.get("code"):
            lines.append(f"    {frame['code']}")
    return clean("\n".join(lines))


def _innermost_line(check: CheckResult) -> int:
    frames = (check.learner_error or {}).get("frames") or []
    lines = [f.get("line") or 0 for f in frames]
    return int(lines[-1]) if lines else 0


def figure_text(figure: Figure) -> str:
    """A bar chart as plain text: one line per label, bars scaled to the largest value."""
    top = max((abs(v) for v in figure.values), default=0.0) or 1.0
    width = max((len(label) for label in figure.labels), default=0)
    lines = [figure.title]
    for label, value in zip(figure.labels, figure.values, strict=False):
        filled = abs(value) / top * BAR_WIDTH
        bar = "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")
        lines.append(f"{label.rjust(width)} {bar or '▏'} {value:.3g}")
    return clean("\n".join(lines))


def _shows_output(check: CheckResult) -> bool:
    return bool(check.output) and check.status != PASSED


def details_text(check: CheckResult) -> str:
    """The feedback on one check as plain text: message, where in the learner's code, output."""
    parts = []
    if check.message:
        parts.append(clean(check.message))
    frames = _frames_text(check)
    if frames:
        parts.append("Where, in your code:\n" + _indent(frames))
    if _shows_output(check):
        parts.append("Your code printed:\n" + _indent(clip(check.output)))
    parts.extend(figure_text(f) for f in check.figures)
    return "\n\n".join(parts)


def details_markdown(check: CheckResult) -> str:
    """The same feedback as Markdown: every piece of text from the checks or the learner is inside
    a fence; the only Markdown outside fences is our own labels."""
    parts = []
    if check.message:
        parts.append(fence(clean(check.message)))
    frames = _frames_text(check)
    if frames:
        parts.append("**Where, in your code:**\n\n" + fence(frames))
    if _shows_output(check):
        parts.append("**Your code printed:**\n\n" + fence(clip(check.output)))
    if check.figures:
        parts.append(fence("\n\n".join(figure_text(f) for f in check.figures)))
    return "\n\n".join(parts)


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + line if line else line for line in text.split("\n"))


# ---- json --------------------------------------------------------------------------------------


def _json(results: dict[str, list[ExerciseResult]]) -> str:
    from grader.checking import results_json

    if _single(results):
        return results_json(results[""])
    doc = {"version": 1,
           "students": {name: json.loads(results_json(rs)) for name, rs in results.items()}}
    return json.dumps(doc, indent=2, ensure_ascii=False)


# ---- junit -------------------------------------------------------------------------------------


def junit(results: dict[str, list[ExerciseResult]]) -> str:
    """JUnit XML: a <testsuite> per exercise (and student), a <testcase> per check."""
    single = _single(results)
    root = ET.Element("testsuites", name="grader")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    seconds = 0.0
    for student, exercises in results.items():
        for result in exercises:
            suite = _junit_suite(result, "" if single else student)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            seconds += result.seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _junit_suite(result: ExerciseResult, student: str) -> ET.Element:
    name = f"{result.number} {result.slug}"
    classname = f"{result.number}_{result.slug}"
    if student:
        name, classname = f"{student}/{name}", f"{student}.{classname}"
    suite = ET.Element("testsuite", name=clean(name))
    counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=clean(classname),
                             name=clean(check.title or check.name), time=f"{check.seconds:.3f}")
        if check.status == SKIPPED:
            ET.SubElement(case, "skipped", message=clean(check.message or "skipped"))
            counts["skipped"] += 1
        elif check.status != PASSED:
            failure = ET.SubElement(case, "failure", message=clean(check.message or check.status),
                                    type=check.status)
            failure.text = details_text(check)
            counts["failures"] += 1
        elif check.output:
            ET.SubElement(case, "system-out").text = clip(check.output)
    if result.problem and not result.checks:
        case = ET.SubElement(suite, "testcase", classname=clean(classname),
                             name="the exercise could not be graded", time="0.000")
        ET.SubElement(case, "error", message=clean(result.problem), type="problem")
        counts["errors"] += 1
    if result.load_output:
        ET.SubElement(suite, "system-out").text = clip(result.load_output)
    suite.set("tests", str(len(suite.findall("testcase"))))
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{result.seconds:.3f}")
    return suite


# ---- gradescope --------------------------------------------------------------------------------


def gradescope(results: list[ExerciseResult]) -> dict[str, Any]:
    """Gradescope's autograder results.json (written to /autograder/results/results.json)."""
    tests: list[dict[str, Any]] = []
    notes: list[str] = []
    for result in results:
        major = str(int(result.number)) if result.number.isdigit() else result.number
        heading = clean(f"{result.number} · {result.title}")
        for index, check in enumerate(result.checks, 1):
            tests.append({
                "name": _check_name(result, check),
                "number": f"{major}.{index}",
                "score": check.points,
                "max_score": check.max_points,
                "status": "passed" if check.passed else "failed",
                "output": details_markdown(check),
                "visibility": "visible",
            })
        if result.problem:
            notes.append(f"**{_md_label(heading)}**: could not be graded\n\n"
                         + fence(clean(result.problem)))
            if not result.checks:
                tests.append({"name": f"{heading}: could not be graded", "number": major,
                              "score": 0.0, "max_score": 0.0, "status": "failed",
                              "output": fence(clean(result.problem)), "visibility": "visible"})
        if result.load_output:
            notes.append(f"**{_md_label(heading)}**: your file printed while being imported\n\n"
                         + fence(clip(result.load_output)))
    score = _total(t["score"] for t in tests)
    max_score = _total(t["max_score"] for t in tests)
    done = sum(r.passed for r in results)
    summary = (f"{_points(score)}/{_points(max_score)} points · {done}/{len(results)} "
               "exercises passed")
    return {
        "score": score,
        "max_score": max_score,
        "output": "\n\n".join([summary, *notes]),
        "output_format": "md",
        "test_output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _md_label(text: str) -> str:
    """Our own short labels (exercise titles from the cards) with Markdown's specials escaped."""
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~&])", r"\\\1", text)


# ---- github classroom --------------------------------------------------------------------------

CLASSROOM_STATUS = {PASSED: "pass", ERROR: "error"}


def classroom(results: list[ExerciseResult]) -> dict[str, Any]:
    """A GitHub Classroom autograding runner's result, as the classroom-resources graders emit it
    (`{"version": 1, "status", "max_score", "tests": [...]}`); the workflow base64-encodes it for
    `classroom-resources/autograding-grading-reporter`."""
    tests: list[dict[str, Any]] = []
    problems: list[str] = []
    for result in results:
        for check in result.checks:
            status = CLASSROOM_STATUS.get(check.status, "fail")
            name = _check_name(result, check)
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
                "score": check.points,
                "max_score": check.max_points,
                "message": message,
                "test_code": "",
                "filename": clean(result.file),
                "line_no": _innermost_line(check),
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
        "max_score": _total(t["max_score"] for t in tests),
        "tests": tests,
    }
    if problems:
        doc["message"] = "\n".join(problems)
    return doc
