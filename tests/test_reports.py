"""Report formats (grader.instructor.reports): JUnit XML, Gradescope, GitHub Classroom and our
JSON."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from grader.checking import results_json
from grader.instructor.formats.text import clean, fence
from grader.instructor.reports import render
from grader.results import (
    ERROR,
    FAILED,
    NOT_STARTED,
    PASSED,
    SKIPPED,
    CheckResult,
    ExerciseResult,
    Figure,
    exercise_from_dict,
)

ROOT = Path(__file__).resolve().parents[1]
NASTY = "expected <b> & got [red]x[/red] ``` \x00\x07\x1b[31mred\x1b[0m \ud800 end"
BREAKOUT = "hello ```` [bold]y[/bold] \x1b[1mbold\x1b[0m\n```\n# heading? <script>x</script>\n"
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def exercise(number: str = "03", slug: str = "xavier") -> ExerciseResult:
    frames = [
        {"file": "03_xavier.py", "line": 12, "function": "xavier_normal",
         "code": "return helper(n) # <tag> & ````"},
        {"file": "", "line": 0, "function": "… 4 more frames …", "code": ""},
        {"file": "03_xavier.py", "line": 7, "function": "helper", "code": "raise ValueError(n)"},
    ]
    checks = [
        CheckResult("test_shapes", "shapes are (fan_in, fan_out)", PASSED, weight=1.0,
                    seconds=0.25, output="printed while passing\n"),
        CheckResult("test_scale", "std is sqrt(2/(fan_in+fan_out)) <&>", FAILED, weight=2.0,
                    message=NASTY, output=BREAKOUT,
                    figures=[Figure("std by layer", ["a", "bb"], [1.0, 0.5])], seconds=0.5),
        CheckResult("test_gain", "gain multiplies the std", ERROR, weight=1.0,
                    message="your code raised ValueError: bad <shape> & ```",
                    learner_error={"type": "ValueError", "message": "bad <shape> & ```",
                                   "frames": frames, "during": "xavier_normal(…)"},
                    output="before the crash\n", seconds=0.125),
        CheckResult("test_uniform", "uniform bounds", NOT_STARTED, weight=1.0,
                    message="not started yet: replace `raise NotImplementedError` with your code",
                    learner_error={"type": "NotImplementedError", "message": "", "frames": [],
                                   "during": "xavier_uniform(…)"}),
        CheckResult("test_scipy", "matches scipy", SKIPPED, weight=1.0,
                    message="scipy is not installed"),
    ]
    result = ExerciseResult(number, slug, "Xavier & <Glorot>", f"/work/{number}_{slug}.py",
                            checks=checks, load_output="importing \x1b[32mok\x1b[0m <i>\n",
                            seconds=1.5)
    result.scale(12)
    return result


def passing(number: str = "04", slug: str = "he") -> ExerciseResult:
    checks = [CheckResult(f"test_{i}", f"check {i}", PASSED, weight=float(i), seconds=0.01)
              for i in (1, 2)]
    result = ExerciseResult(number, slug, "He", f"/work/{number}_{slug}.py", checks=checks)
    result.scale(None)
    return result


# ---- text hygiene ------------------------------------------------------------------------------


def test_clean_strips_control_characters_and_terminal_codes_but_keeps_markup_literally():
    text = clean("a\x00b\x07c\x1b[31md\x1b[0m\r\ne\tf\ud800g\ufffe [red]x[/red]")
    assert text == "abcd\ne\tfg [red]x[/red]"


@pytest.mark.parametrize("body", ["plain", "``` inside", "a ````` run", "`", "ends with ```"])
def test_fence_is_longer_than_any_backtick_run_inside(body):
    block = fence(body)
    opening = block.split("\n", 1)[0]
    marks = len(opening) - len(opening.lstrip("`"))
    longest = max((len(m) for m in re.findall("`+", body)), default=0)
    assert marks >= 3 and marks > longest
    tokens = MarkdownIt("commonmark").parse(block)
    assert [t.type for t in tokens] == ["fence"]
    assert tokens[0].content == body + "\n"


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="unknown report format"):
        render("xml", {"": [exercise()]})


# ---- junit -------------------------------------------------------------------------------------


def test_junit_parses_back_with_counts_names_and_times():
    text = render("junit", {"": [exercise(), passing()]})
    assert not XML_ILLEGAL.search(text)
    root = ET.fromstring(text.encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"),
            root.get("skipped")) == ("7", "2", "1", "1")
    first, second = root.findall("testsuite")
    assert first.get("name") == "03 xavier" and second.get("name") == "04 he"
    assert (first.get("tests"), first.get("failures"), first.get("errors"),
            first.get("skipped")) == ("5", "2", "1", "1")
    assert float(first.get("time")) == pytest.approx(1.5)
    cases = first.findall("testcase")
    assert {c.get("classname") for c in cases} == {"03_xavier"}
    assert {c.get("file") for c in cases} == {"/work/03_xavier.py"}
    assert [c.get("name") for c in cases] == [
        "03_xavier::test_shapes", "03_xavier::test_scale", "03_xavier::test_gain",
        "03_xavier::test_uniform", "03_xavier::test_scipy"]
    titles = [c.find("properties/property[@name='title']").get("value") for c in cases]
    assert titles[1] == "std is sqrt(2/(fan_in+fan_out)) <&>"
    assert [float(c.get("time")) for c in cases][:3] == pytest.approx([0.25, 0.5, 0.125])
    assert cases[0].find("failure") is None and cases[0].find("system-out") is not None
    assert cases[4].find("skipped").get("message") == "scipy is not installed"
    assert first.find("system-out").text.startswith("importing ok <i>")


def test_junit_failures_carry_status_message_frames_and_output_literally():
    root = ET.fromstring(render("junit", {"": [exercise()]}).encode())
    cases = root.find("testsuite").findall("testcase")
    failed, error, not_started = (_outcome(c) for c in cases[1:4])
    assert [f.tag for f in (failed, error, not_started)] == ["failure", "error", "failure"]
    assert [f.get("type") for f in (failed, error, not_started)] == [FAILED, ERROR, NOT_STARTED]
    assert failed.get("message") == "expected <b> & got [red]x[/red] ``` red  end"
    assert "[red]x[/red]" in failed.text and "hello ```` [bold]y[/bold] bold" in failed.text
    assert "std by layer" in failed.text
    assert "bad <shape> & ```" in error.get("message")
    assert "03_xavier.py:12 in xavier_normal" in error.text
    assert "return helper(n) # <tag> & ````" in error.text
    assert "… 4 more frames …" in error.text and "before the crash" in error.text
    assert "NotImplementedError" in not_started.text


def _outcome(case: ET.Element) -> ET.Element:
    """The <failure> or <error> of a testcase."""
    return next(e for e in (case.find("failure"), case.find("error")) if e is not None)


def _learner_problem(kind: str, message: str) -> CheckResult:
    return CheckResult("test_x", "x", FAILED, message=message, kind=kind)


@pytest.mark.parametrize(("check", "tag"), [
    (_learner_problem("timeout", "f(…) stopped after 5 s"), "error"),
    (_learner_problem("memory", "f(…) was killed"), "error"),
    (_learner_problem("crash", "f(…) crashed with a segmentation fault"), "error"),
    (_learner_problem("exit", "f(…): your code called sys.exit(0)"), "error"),
    (_learner_problem("no_file", "no file"), "error"),
    (_learner_problem("file", "03_x.py is a symbolic link: submit the file itself"), "error"),
    (_learner_problem("missing", "your file defines no `f`"), "failure"),
    (_learner_problem("", "the std is 0.9; expected 0.07"), "failure"),
])
def test_junit_crashes_timeouts_and_missing_files_are_errors_wrong_answers_failures(check, tag):
    result = ExerciseResult("03", "xavier", "Xavier", "" if check.kind == "no_file" else "/w/x.py",
                            checks=[check])
    case = ET.fromstring(render("junit", {"": [result]}).encode()).find("testsuite/testcase")
    outcome = _outcome(case)
    assert outcome.tag == tag
    assert outcome.get("type") == (check.kind or FAILED)
    assert outcome.get("message") == check.message


def test_junit_is_accepted_by_a_junit_parser():
    junitparser = pytest.importorskip("junitparser")
    xml = junitparser.JUnitXml.fromstring(render("junit", {"": [exercise(), passing()]}))
    suites = list(xml)
    assert [s.name for s in suites] == ["03 xavier", "04 he"]
    suite = suites[0]
    declared = (suite.tests, suite.failures, suite.errors, suite.skipped)
    suite.update_statistics()
    assert declared == (suite.tests, suite.failures, suite.errors, suite.skipped) == (5, 2, 1, 1)
    cases = list(suite)
    assert [c.is_passed for c in cases] == [True, False, False, False, False]
    assert [c.is_skipped for c in cases] == [False, False, False, False, True]
    kinds = [type(r).__name__ for c in cases for r in c.result]
    assert kinds == ["Failure", "Error", "Failure", "Skipped"]
    assert cases[1].result[0].type == FAILED
    assert "[red]x[/red]" in cases[1].result[0].message
    assert cases[2].time == pytest.approx(0.125)
    assert all(c.is_passed for c in suites[1])


def test_junit_several_students_prefix_suite_names():
    text = render("junit", {"alice": [exercise()], "bob <&>": [passing()]})
    root = ET.fromstring(text.encode())
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["alice/03 xavier", "bob <&>/04 he"]
    assert root.get("tests") == "7"


def test_junit_exercise_that_could_not_be_graded_is_an_error():
    result = ExerciseResult("05", "network", "Network", "", problem="no file")
    root = ET.fromstring(render("junit", {"": [result]}).encode())
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    assert suite.find("testcase/error").get("message") == "no file"


# ---- gradescope --------------------------------------------------------------------------------


def test_gradescope_document_has_the_required_keys_and_sums():
    first, second = exercise(), passing()
    doc = json.loads(render("gradescope", {"": [first, second]}))
    assert doc["output_format"] == doc["test_output_format"] == "md"
    assert doc["visibility"] == "visible" and doc["stdout_visibility"] == "hidden"
    assert doc["score"] == pytest.approx(first.score + second.score)
    assert doc["max_score"] == pytest.approx(first.max_score + second.max_score) == 15
    assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]))
    tests = doc["tests"]
    assert [t["number"] for t in tests] == ["3.1", "3.2", "3.3", "3.4", "3.5", "4.1", "4.2"]
    assert tests[1]["name"] == "03 · Xavier & <Glorot>: std is sqrt(2/(fan_in+fan_out)) <&>"
    assert [t["status"] for t in tests] == ["passed"] + ["failed"] * 4 + ["passed"] * 2
    for test in tests:
        assert set(test) == {"name", "number", "score", "max_score", "status", "output",
                             "visibility"}
        assert test["visibility"] == "visible"
        assert 0 <= test["score"] <= test["max_score"]
    assert tests[0]["score"] == tests[0]["max_score"] == pytest.approx(12 / 6)
    assert "importing ok <i>" in doc["output"]


def _outside_fences(markdown: str) -> tuple[list[str], list[str]]:
    """(text of fenced code blocks, text of everything else) as CommonMark parses it."""
    fenced, other = [], []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "fence":
            fenced.append(token.content)
        elif token.type in ("html_block", "code_block"):
            other.append("<raw>" + token.content)
        elif token.children:
            for child in token.children:
                other.append(("<raw>" if child.type == "html_inline" else "") + child.content)
    return fenced, other


def test_gradescope_learner_text_cannot_break_out_of_its_fences():
    doc = json.loads(render("gradescope", {"": [exercise()]}))
    for test in doc["tests"]:
        assert not XML_ILLEGAL.search(test["output"])
        assert "\x1b" not in test["output"]
        fenced, other = _outside_fences(test["output"])
        assert not any(text.startswith("<raw>") for text in other)
        assert not any("<" in text or "[red]" in text or "`" in text for text in other)
    failed = doc["tests"][1]["output"]
    fenced, _ = _outside_fences(failed)
    assert fenced[0] == "expected <b> & got [red]x[/red] ``` red  end\n"
    assert "hello ```` [bold]y[/bold] bold\n```\n# heading? <script>x</script>\n" in fenced
    error = doc["tests"][2]["output"]
    fenced, other = _outside_fences(error)
    assert any("raise ValueError(n)" in f and "03_xavier.py:12 in xavier_normal" in f
               for f in fenced)
    assert "Where, in your code:" in other
    _, top = _outside_fences(doc["output"])
    assert not any(text.startswith("<raw>") for text in top)


def test_gradescope_spec_fields_visibility_execution_time_and_rounded_scores():
    """Field by field against Gradescope's autograder specification."""
    result = exercise()
    for check, who in zip(result.checks, ["visible", "hidden", "after_due_date",
                                           "after_published", "visible"], strict=True):
        check.visibility = who
    thirds = ExerciseResult("05", "network", "Network", "/w/05.py", checks=[
        CheckResult(f"test_{i}", f"part {i}", PASSED, seconds=0.4) for i in range(3)])
    thirds.scale(10)
    doc = json.loads(render("gradescope", {"": [result, thirds]}))
    assert set(doc) == {"score", "max_score", "execution_time", "output", "output_format",
                        "test_output_format", "test_name_format", "visibility",
                        "stdout_visibility", "tests"}
    assert isinstance(doc["execution_time"], int) and doc["execution_time"] == 2  # 1.5 s + 0
    assert doc["output_format"] in ("text", "html", "simple_format", "md", "ansi")
    assert [t["visibility"] for t in doc["tests"]] == [
        "visible", "hidden", "after_due_date", "after_published", "visible",
        "visible", "visible", "visible"]
    assert [t["max_score"] for t in doc["tests"]][5:] == [3.34, 3.33, 3.33]
    for test in doc["tests"]:
        assert test["status"] in ("passed", "failed")
        assert test["score"] == round(test["score"], 2)
    assert doc["score"] == round(sum(t["score"] for t in doc["tests"]), 2) == 12.0
    assert doc["max_score"] == 22.0
    assert doc["output"].startswith("12/22 points")


def test_gradescope_is_for_one_student():
    with pytest.raises(ValueError):
        render("gradescope", {"a": [exercise()], "b": [passing()]})


# ---- github classroom --------------------------------------------------------------------------


def test_classroom_result_matches_the_runner_schema():
    first, second = exercise(), passing()
    doc = json.loads(render("classroom", {"": [first, second]}))
    assert doc["version"] == 1 and doc["status"] == "fail"
    assert doc["max_score"] == pytest.approx(15)
    tests = doc["tests"]
    assert sum(t["score"] for t in tests) == pytest.approx(first.score + second.score)
    assert [t["status"] for t in tests] == ["pass", "fail", "error", "fail", "fail", "pass",
                                            "pass"]
    for test in tests:
        assert isinstance(test["name"], str) and isinstance(test["message"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert isinstance(test["line_no"], int) and isinstance(test["duration"], int)
        assert re.fullmatch(r"\d+\.\d\ds", test["execution_time"])
        assert not XML_ILLEGAL.search(test["message"]) and "\x1b" not in test["message"]
    assert tests[1]["message"].startswith("expected <b> & got [red]x[/red] ``` red  end")
    assert tests[2]["message"].startswith(tests[2]["name"] + ": your code raised")
    assert tests[2]["line_no"] == 7 and tests[0]["line_no"] == 0
    assert tests[1]["duration"] == 500 and tests[1]["execution_time"] == "0.50s"
    assert tests[4]["message"].startswith("skipped: ")


def test_classroom_status_pass_and_error():
    assert json.loads(render("classroom", {"": [passing()]}))["status"] == "pass"
    broken = ExerciseResult("05", "network", "Network", "", problem="no file")
    doc = json.loads(render("classroom", {"": [passing(), broken]}))
    assert doc["status"] == "error" and "no file" in doc["message"]
    assert doc["tests"][-1]["status"] == "error"


def test_classroom_runner_json_stays_well_under_the_128_kib_environment_limit():
    """A chatty deck (the 389 KB the issue measured): every check prints its limit, 40 checks."""
    chatty = "x" * 200 + "\n"
    checks = [CheckResult(f"test_{i}", f"check {i}", FAILED, message="wrong " * 300,
                          output=chatty * 80, seconds=0.1) for i in range(10)]
    results = [ExerciseResult(f"{n:02d}", "e", "E", f"/w/{n:02d}.py", checks=checks)
               for n in range(1, 13)]
    for result in results:
        result.scale(10)
    untrimmed = len(json.dumps(json.loads(render("classroom", {"": results[:1]}))))
    text = render("classroom", {"": results}, full_report="grader-report.json")
    encoded = base64.b64encode(text.encode())
    assert untrimmed * 12 > 256 * 1024  # it would not have fitted
    assert len(text.encode()) <= 64 * 1024 and len(encoded) < 96 * 1024 < 128 * 1024
    doc = json.loads(text)
    assert len(doc["tests"]) == 120 and doc["max_score"] == 120
    assert all("full report is in grader-report.json" in t["message"] for t in doc["tests"])
    assert all(t["message"].startswith("wrong wrong") for t in doc["tests"])
    small = json.loads(render("classroom", {"": [passing()]}))
    assert not any("trimmed" in t["message"] for t in small["tests"])


def test_classroom_survives_the_reporters_base64_round_trip():
    text = render("classroom", {"student": [exercise()]})
    encoded = base64.b64encode(text.encode()).decode()  # what the workflow puts in GRADER_RESULTS
    assert json.loads(base64.b64decode(encoded).decode("utf-8")) == json.loads(text)
    with pytest.raises(ValueError):
        render("classroom", {})


# ---- json --------------------------------------------------------------------------------------


def test_json_single_student_is_our_schema_and_round_trips():
    results = [exercise(), passing()]
    text = render("json", {"": results})
    assert text == results_json(results)
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["max_score"] == 15 and doc["passed"] is False
    back = [exercise_from_dict(e) for e in doc["exercises"]]
    assert [r.to_dict() for r in back] == [r.to_dict() for r in results]
    assert back[0].checks[1].message == NASTY
    assert back[0].checks[1].figures == [Figure("std by layer", ["a", "bb"], [1.0, 0.5])]


def test_json_several_students():
    doc = json.loads(render("json", {"alice": [exercise()], "bob": [passing()]}))
    assert doc["version"] == 1 and set(doc["students"]) == {"alice", "bob"}
    assert doc["students"]["bob"] == json.loads(results_json([passing()]))
    back = exercise_from_dict(doc["students"]["alice"]["exercises"][0])
    assert back.to_dict() == exercise().to_dict()


# ---- end to end --------------------------------------------------------------------------------


def _grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def test_end_to_end_junit_and_gradescope_for_the_reference_solution():
    run = _grader("check", "03", "--solution", "--format", "junit")
    assert run.returncode == 0, run.stderr
    root = ET.fromstring(run.stdout.encode())
    cases = root.findall("testsuite/testcase")
    assert len(cases) == 7
    assert all([child.tag for child in case] == ["properties"] for case in cases)  # all passed
    assert {case.get("file") for case in cases} == {"solutions/03_xavier.py"}
    assert root.get("failures") == root.get("errors") == "0"

    run = _grader("check", "03", "--solution", "--format", "gradescope")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["score"] == doc["max_score"] > 0
    assert len(doc["tests"]) == 7 and all(t["status"] == "passed" for t in doc["tests"])


def test_check_writes_the_full_report_a_classroom_report_points_to(tmp_path):
    full = tmp_path / "grader-report.json"
    run = _grader("check", "03", "--solution", "--format", "classroom", "--full-report", str(full))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["status"] == "pass" and doc["max_score"] == 10
    assert json.loads(full.read_text())["exercises"][0]["number"] == "03"


def test_tied_counts_are_listed_in_the_same_order_whatever_order_students_finished():
    from grader.instructor.stats import most_failed

    def graded(names):
        return {n: [ExerciseResult("03", "xavier", "Xavier", "03_xavier.py", checks=[
            CheckResult(f"t{n}", f"check {n}", "failed")])] for n in names}

    assert most_failed(graded("ba")) == most_failed(graded("ab")) == [
        ("03 · check a", 1), ("03 · check b", 1)]
