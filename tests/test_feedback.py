"""The learner's view: literal learner text, a problem said once, not started vs wrong, bars; one
cause reported once and root causes first; panels that hold their text at any width from 60
columns; screens that fit the terminal."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from grader.progress import State
from grader.results import CheckResult, ExerciseResult, Figure, format_points
from grader.views.feedback import exercise_view
from grader.views.watch_screen import first_paragraph, fit, why_it_works


def render(result: ExerciseResult, width: int = 100, **options) -> str:
    console = Console(width=width, no_color=True, force_terminal=False, record=True)
    console.print(exercise_view(result, "solutions/03_xavier.py", **options))
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


def test_a_repeated_error_is_shown_once_then_counted():
    error = {"type": "NameError", "message": "x", "frames": [{"file": "a.py", "line": 3,
                                                              "function": "f"}]}
    checks = [CheckResult(f"test_{n}", n, "error", message=f"f({i}) raised NameError: x",
                          learner_error=error) for i, n in enumerate(("one", "two", "three"))]
    text = render(exercise(*checks))
    assert text.count("NameError: x") == 1
    assert "and 2 more checks for the same reason (two, three)" in text


def test_passes_are_never_grouped():
    checks = [CheckResult(f"test_{n}", f"check {n}", "passed") for n in ("a", "b", "c")]
    text = render(exercise(*checks))
    assert all(f"✓ check {n}" in text for n in "abc")
    assert "same" not in text and "3/3 checks passed" in text


def test_one_transposed_shape_is_one_cause_whatever_the_call():
    hint = " (transposed: the layout is (fan_in, fan_out), used as X @ W)"
    checks = [
        CheckResult("test_shapes", "shapes", "failed",
                    message=f"xavier_normal(3, 4, rng) has shape (4, 3); expected (3, 4){hint}"),
        CheckResult("test_gain", "gain", "failed", message="xavier_normal(150, 200, rng, "
                    f"gain=5/3) has shape (200, 150); expected (150, 200){hint}"),
        CheckResult("test_uniform", "uniform", "failed", message="xavier_uniform(300, 60, rng)"
                    f" has shape (60, 300); expected (300, 60){hint}"),
        CheckResult("test_keepdims", "keepdims", "failed",
                    message="layer_mean(X) has shape (5,); expected (5, 1)"),
        CheckResult("test_keepdims_2", "keepdims again", "failed",
                    message="layer_mean(Y) has shape (7,); expected (7, 1)"),
    ]
    text = render(exercise(*checks))
    assert text.count("transposed") == 1 and text.count("has shape") == 2
    assert "and 2 more checks for the same reason (gain, uniform)" in text
    assert "and 1 more check for the same reason (keepdims 2)" in text


def test_a_named_mistake_is_one_cause_and_different_values_are_not():
    def std(n, value):
        return (f"the std of {n} values is {value}; expected 0.07. It matches sqrt(1/fan_in) = "
                f"{value}: that is LeCun's std, not Xavier/Glorot's normal std")
    checks = [CheckResult("test_a", "a", "failed", message=std(30000, 0.0913)),
              CheckResult("test_b", "b", "failed", message=std(400, 0.447)),
              CheckResult("test_c", "c", "failed", message="f(x) returned 2; expected 3"),
              CheckResult("test_d", "d", "failed", message="g(x) returned 2; expected 3")]
    text = render(exercise(*checks))
    assert "and 1 more check for the same reason (b)" in text
    assert "f(x) returned 2" in text and "g(x) returned 2" in text  # other functions


def test_the_root_cause_comes_first():
    checks = [
        CheckResult("test_value", "value", "failed", message="f(x) returned 2; expected 3"),
        CheckResult("test_shape", "shape", "failed", message="f(x) has shape (2,); expected (3,)"),
        CheckResult("test_raise", "raise", "error", message="g(1) raised KeyError: 'relu'",
                    learner_error={"type": "KeyError", "message": "'relu'", "frames": []}),
        CheckResult("test_pass", "pass", "passed"),
    ]
    text = render(exercise(*checks))
    order = [text.index(m) for m in ("KeyError", "has shape", "returned 2", "✓ pass")]
    assert order == sorted(order)
    assert text.index("1/4 checks passed") < order[0]  # the verdict first


def test_an_endless_loop_is_said_once_and_its_skipped_checks_are_counted():
    checks = [CheckResult("test_a", "a", "failed", message="f(<array (3, 4) float64>, rng) "
                          "stopped after 5 s: an endless loop, or far too slow?\nwhen it was "
                          "stopped, your code was at:\n  03_xavier.py:9 in f: while n > 0:")]
    checks += [CheckResult(f"test_{n}", n, "failed", message="skipped: `f` did not finish in "
                           "an earlier check") for n in ("b", "c")]
    text = render(exercise(*checks))
    assert text.count("stopped after 5 s") == 1 and "03_xavier.py:9 in f: while n > 0:" in text
    assert "skipped" not in text and "and 2 more checks for the same reason (b, c)" in text


HOSTILE = ("tab\tseparated\tcolumns\tthat\tgo\ton\tand\ton\tand\ton\tand\ton\t end\n"
           "\x1b[2J\x1b[31mred\x1b[0m and a bell\x07 and a carriage\rreturn and \u202eevil\n"
           + "x" * 150 + "\n" + "日本語" * 30 + "\n")


@pytest.mark.parametrize("width", [60, 61, 80, 100])
def test_nothing_crosses_the_panel_border(width):
    error = {"type": "ValueError", "message": HOSTILE, "frames": [
        {"file": "a" * 90 + ".py", "line": 4, "function": "f", "code": "\t" + "y" * 120}]}
    figure = Figure("a figure title long enough to wrap twice at sixty columns " * 2,
                    ["layer " + "1" * 40, "2"], [1.0, 1e-9])
    result = exercise(
        CheckResult("test_a", "a title that is long enough to wrap " * 3, "error",
                    message="f() raised ValueError: " + HOSTILE, learner_error=error,
                    output=HOSTILE, figures=[figure]),
        CheckResult("test_b", "b", "passed", figures=[figure]),
        load_output=HOSTILE)
    text = render(result, width)
    lines = text.rstrip("\n").split("\n")
    assert "\x1b" not in text and "\t" not in text and "\x07" not in text
    assert "\\x1b[2J" in text  # shown, not obeyed
    for line in lines:
        assert cell_len(line) == width, line
        assert line[0] in "╭│╰" and line[-1] in "╮│╯", line


def test_a_compact_pass_is_its_verdict_and_a_cropped_panel_keeps_its_verdict():
    checks = [CheckResult(f"test_{i}", f"check {i}", "passed") for i in range(30)]
    compact = render(exercise(*checks), compact=True)
    assert "30/30 checks passed" in compact and "check 7" not in compact
    failing = [CheckResult(f"test_{i}", f"check {i}", "failed", message=f"wrong {letter}")
               for i, letter in enumerate("abcdefghijklmnopqrstuvwxyzABCD")]
    cropped = render(exercise(*failing), max_lines=12)
    assert len(cropped.rstrip("\n").split("\n")) == 12
    assert "0/30 checks passed" in cropped and "wrong a" in cropped
    assert "more lines: `grader check 03` prints them all" in cropped


def test_points_read_the_same_in_list_and_check():
    class Card:
        points = 10
    assert State("failing", 10 / 3, 10.0).points_text(Card()) == "3.33/10"
    result = exercise(CheckResult("a", "a", "passed"), CheckResult("b", "b", "failed"),
                      CheckResult("c", "c", "failed"))
    text = render(result)
    assert f"{format_points(result.score)}/10 points" in text
    assert re.search(r"· \d\.\d\d/10 points", text) and not re.search(r"\d\.\d{3}", text)


def test_first_paragraph_of_an_explanation():
    assert first_paragraph("# Title\n\nFirst one\nstill.\n\nSecond.") == ("First one\nstill.",
                                                                           True)
    assert first_paragraph("Only.") == ("Only.", False)


@pytest.mark.parametrize("rows", [24, 40])
def test_a_watch_screen_never_outgrows_the_terminal(rows):
    console = Console(width=80, height=rows, no_color=True, force_terminal=False, record=True)
    checks = [CheckResult(f"test_{i}", f"check {i}", "passed") for i in range(12)]
    result = exercise(*checks)
    explanation = "\n\n".join(f"Paragraph {i} " + "words " * 60 for i in range(8))

    def feedback(lines):
        return exercise_view(result, compact=True, max_lines=lines)

    for full in (False, True):
        shown, below = fit(console, [Text("head")], feedback, [why_it_works(explanation, full)],
                           [Text("keys")])
        console.print(shown)
        shown = console.export_text().rstrip("\n").split("\n")
        assert len(shown) <= rows - 1
        assert shown[0] == "head" and shown[-1] == "keys" and "12/12 checks passed" in shown[2]
    assert below > 0 and "Paragraph 7" not in "\n".join(shown)  # the whole explanation: scroll
    end, left = fit(console, [Text("head")], feedback, [why_it_works(explanation, True)],
                    [Text("keys")], scroll=below)
    console.print(end)
    shown = console.export_text().rstrip("\n").split("\n")
    assert left == 0 and len(shown) <= rows - 1 and "Paragraph 7" in "\n".join(shown)
    assert "e closes" in "\n".join(shown) and "12/12 checks passed" in shown[2]
    failing = exercise(*[CheckResult(f"test_{i}", f"check {i}", "failed",
                                     message=f"value {c} is wrong") for i, c in enumerate(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN")])
    console.print(fit(console, [Text("head")], lambda lines: exercise_view(
        failing, max_lines=lines), [], [Text("keys")])[0])
    shown = console.export_text().rstrip("\n").split("\n")
    assert len(shown) == rows - 1 and "0/40 checks passed" in shown[2]


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


def test_a_learners_nan_or_inf_in_a_figure_draws_no_bar_in_any_view():
    """A std per layer of nan (a learner's overflow) once crashed `grader grade` mid-class while
    it wrote the hand-back files: every view must draw the chart, the number saying nan."""
    from grader.instructor.formats.text import details_markdown, figure_text

    figure = Figure("std per layer", ["1", "2", "3"], [1.0, float("nan"), float("inf")])
    check = CheckResult("a", "first", "failed", message="std explodes", figures=[figure])
    for text in (render(exercise(check)), figure_text(figure), details_markdown(check)):
        assert re.search(r"1 █{20,} 1\b", text)
        assert re.search(r"2 ▏ nan", text) and re.search(r"3 ▏ inf", text)


def test_printed_output_counts_repeated_lines_and_is_capped():
    output = "loss 0.5\n" * 20 + "".join(f"step {i}\n" for i in range(30))
    text = render(exercise(CheckResult("a", "first", "failed", message="wrong",
                                       output=output)))
    assert text.count("loss 0.5") == 1 and "loss 0.5  (×20)" in text
    assert "step 10" in text and "step 11" not in text and "… 19 more lines" in text
