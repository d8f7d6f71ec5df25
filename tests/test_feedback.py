"""The learner's view: literal learner text, a problem said once, not started vs wrong, bars."""

from __future__ import annotations

from rich.console import Console

from grader.results import CheckResult, ExerciseResult, Figure
from grader.views.feedback import exercise_view


def render(result: ExerciseResult) -> str:
    console = Console(width=100, no_color=True, force_terminal=False, record=True)
    console.print(exercise_view(result, "solutions/03_xavier.py"))
    return console.export_text()


def exercise(*checks: CheckResult, problem: str = "", load_output: str = "") -> ExerciseResult:
    result = ExerciseResult("03", "xavier", "Xavier", "exercises/03_xavier.py",
                            checks=list(checks), problem=problem, load_output=load_output)
    result.scale(10)
    return result


def test_learner_text_is_literal_markup():
    error = {"type": "ValueError", "message": "[red]x[/red]",
             "frames": [{"file": "03_xavier.py", "line": 4, "function": "f", "code": "[b]y"}]}
    text = render(exercise(
        CheckResult("a", "first", "error", message="your code raised ValueError: [red]x[/red]",
                    learner_error=error, output="[bold]printed[/bold]\n"),
        load_output="[blink]at import[/blink]"))
    assert "your code raised ValueError: [red]x[/red]" in text
    assert "[b]y" in text and "[bold]printed[/bold]" in text and "[blink]at import[/blink]" in text
    assert "03_xavier.py:4 in f" in text


def test_import_problem_is_said_once():
    problem = "your file could not be imported: SyntaxError at line 3: expected ':'"
    checks = [CheckResult(n, n, "error", message=problem) for n in ("one", "two", "three")]
    text = render(exercise(*checks, problem=problem))
    assert text.count("SyntaxError at line 3") == 1
    assert "the same as above" not in text


def test_a_repeated_error_is_shown_once_then_referred_to():
    error = {"type": "NameError", "message": "x", "frames": []}
    checks = [CheckResult(n, n, "error", message="your code raised NameError: x",
                          learner_error=error) for n in ("one", "two")]
    text = render(exercise(*checks))
    assert text.count("NameError: x") == 1 and "the same as above" in text


def test_untouched_stub_reads_not_started_and_a_wrong_one_reads_failed():
    stub = render(exercise(CheckResult("a", "first", "not_started"),
                           CheckResult("b", "second", "not_started")))
    assert "not started: open exercises/03_xavier.py" in stub and "✗" not in stub
    wrong = render(exercise(CheckResult("a", "first", "failed", message="std is 0.09"),
                            CheckResult("b", "second", "passed")))
    assert "✗ first" in wrong and "std is 0.09" in wrong and "✓ second" in wrong
    assert "1/2 checks passed · 5/10 points" in wrong and "grader hint 03" in wrong


def test_passing_points_to_the_reference_and_bars_are_drawn():
    check = CheckResult("a", "first", "passed",
                        figures=[Figure("std per layer", ["1", "2"], [1.0, 0.5])])
    text = render(exercise(check))
    assert "Done! Compare with the reference solution: solutions/03_xavier.py" in text
    assert "std per layer" in text and "█" * 36 in text and "█" * 18 + " 0.5" in text
