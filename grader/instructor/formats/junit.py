"""JUnit XML as GitLab, Jenkins and GitHub test reporters read it.

A <testsuite> per exercise (and student), a <testcase> per check named `03_xavier::test_name`
(stable when a check's title is reworded; the title is a property). Wrong answers are <failure>;
crashes, timeouts, a file that could not be imported and a missing file are <error>.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.instructor.formats.text import check_id, clean, clip, details_text
from grader.results import FILE_KINDS, PASSED, SKIPPED, CheckResult, ExerciseResult

COUNTS = ("tests", "failures", "errors", "skipped")


def junit(results: dict[str, list[ExerciseResult]]) -> str:
    """The JUnit document of each student's results (the key "" stands for one learner)."""
    single = list(results) == [""]
    root = ET.Element("testsuites", name="grader")
    totals = dict.fromkeys(COUNTS, 0)
    seconds = 0.0
    for student, exercises in results.items():
        for result in exercises:
            suite = _suite(result, "" if single else student)
            root.append(suite)
            for key in totals:
                totals[key] += int(suite.get(key, "0"))
            seconds += result.seconds
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def shown_file(file: str) -> str:
    """The learner's file relative to the working folder when it is below it (as CI shows it)."""
    if not file:
        return ""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return os.path.normpath(file)


def _suite(result: ExerciseResult, student: str) -> ET.Element:
    name = f"{result.number} {result.slug}"
    classname = f"{result.number}_{result.slug}"
    if student:
        name, classname = f"{student}/{name}", f"{student}.{classname}"
    suite = ET.Element("testsuite", name=clean(name))
    counts = dict.fromkeys(COUNTS[1:], 0)
    file = clean(shown_file(result.file))
    for check in result.checks:
        case = ET.SubElement(suite, "testcase", classname=clean(classname),
                             name=check_id(result, check), file=file,
                             time=f"{check.seconds:.3f}")
        properties = ET.SubElement(case, "properties")
        ET.SubElement(properties, "property", name="title", value=clean(check.title))
        ET.SubElement(properties, "property", name="visibility", value=check.visibility)
        outcome = _outcome(check)
        if outcome is not None:
            counts[outcome] += 1
        if outcome == "skipped":
            ET.SubElement(case, "skipped", message=clean(check.message or "skipped"))
        elif outcome is not None:
            tag = "error" if outcome == "errors" else "failure"
            element = ET.SubElement(case, tag, message=clean(check.message or check.status),
                                    type=check.kind or check.status)
            element.text = details_text(check)
        elif check.output:
            ET.SubElement(case, "system-out").text = clip(check.output)
    if result.problem and not result.checks:
        case = ET.SubElement(suite, "testcase", classname=clean(classname),
                             name=f"{classname}::load", file=file, time="0.000")
        ET.SubElement(case, "error", message=clean(result.problem), type="problem")
        counts["errors"] += 1
    if result.load_output:
        ET.SubElement(suite, "system-out").text = clip(result.load_output)
    suite.set("tests", str(len(suite.findall("testcase"))))
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("time", f"{result.seconds:.3f}")
    return suite


def _outcome(check: CheckResult) -> str | None:
    """Which counter the check adds to: None (passed), skipped, errors or failures."""
    if check.status == PASSED:
        return None
    if check.status == SKIPPED:
        return "skipped"
    return "errors" if check.crashed or check.kind in FILE_KINDS else "failures"
