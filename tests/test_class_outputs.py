"""What `grader grade` writes for a class, from synthetic results: gradebook statuses, Canvas,
Moodle and long CSVs field by field, hand-back feedback, the HTML report's content, the terminal
summary's student rows, and points in hundredths that add up."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from grader.instructor.class_outputs import write_class_outputs
from grader.instructor.formats.tables import CANVAS_HEAD, LONG_HEAD
from grader.instructor.reports import render
from grader.instructor.stats import named_mistake
from grader.results import (
    ERROR,
    FAILED,
    NO_FILE,
    NOT_STARTED,
    PASSED,
    CheckResult,
    ExerciseResult,
    apportion,
    format_points,
    total_points,
)
from grader.views.class_summary import student_table
from grader.views.feedback import exercise_view, summary_line
from grader.views.handback import WIDTH, feedback_html, feedback_markdown, shown_to_student
from grader.views.html_report import html_report

LECUN = ("the std of 30000 values is 0.0913; expected 0.0735 = sqrt(2/(fan_in+fan_out)). It "
         "matches sqrt(1/fan_in) = 0.0913: that is LeCun's std (fan_in only; often mislabelled), "
         "not Xavier's.")
HOSTILE = "<script>alert(1)</script> ``` [red]x[/red]"


def exercise(number: str, statuses: list[str], *, file: str = "/s/x.py", problem: str = "",
             message: str = "wrong", kind: str = "", points: float | None = 10) -> ExerciseResult:
    checks = []
    for i, status in enumerate(statuses):
        check = CheckResult(f"test_{i}", f"check {i} of {number}", status, seconds=0.1,
                            message="" if status == PASSED else message,
                            kind="" if status == PASSED else kind)
        checks.append(check)
    if checks:
        checks[-1].visibility = "hidden"
    result = ExerciseResult(number, f"ex{number}", f"Exercise {number} & <co>", file,
                            checks=checks, problem=problem, seconds=0.5)
    result.scale(points)
    return result


@pytest.fixture
def graded() -> dict[str, list[ExerciseResult]]:
    return {
        "ada": [exercise("01", [PASSED] * 3), exercise("02", [PASSED] * 3)],
        "ben": [exercise("01", [NOT_STARTED] * 3, message="not started yet"),
                exercise("02", [FAILED] * 3, file="", problem="no file", message="no file",
                         kind=NO_FILE)],
        "cy": [exercise("01", [PASSED, FAILED, PASSED], message=LECUN),
               exercise("02", [FAILED, FAILED, FAILED], kind="timeout",
                        message="f(…) stopped after 5 s")],
        HOSTILE: [exercise("01", [ERROR] * 3, problem="your file could not be imported: "
                           "SyntaxError", message=HOSTILE),
                  exercise("02", [PASSED, ERROR, PASSED], message="your code raised X")],
    }


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# ---- points ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "weights"), [(10, [1, 1, 1]), (6, [1, 1, 1, 1, 2, 1]),
                                                (113, [1] * 17), (1, [3, 3, 3]), (0.05, [1, 1])])
def test_shares_are_hundredths_that_add_up_to_the_total(total, weights):
    shares = apportion(total, weights)
    assert all(round(s * 100) == pytest.approx(s * 100) for s in shares)
    assert total_points(shares) == total
    assert format_points(total_points(shares)) == format_points(total)
    exact = [total * w / sum(weights) for w in weights]
    assert all(abs(s - e) < 0.01 for s, e in zip(shares, exact, strict=True))


def test_three_checks_of_ten_points_show_parts_that_add_up():
    result = exercise("01", [PASSED, PASSED, FAILED])
    assert [c.max_points for c in result.checks] == [3.34, 3.33, 3.33]
    assert result.max_score == 10 and result.score == 6.67
    assert format_points(result.score) == "6.67" and format_points(0.1 + 0.2) == "0.3"


# ---- gradebook, canvas, moodle, long -----------------------------------------------------------


def test_gradebook_has_points_totals_and_a_status_per_exercise(graded):
    rows = table(render_gradebook(graded))
    assert rows[0] == ["student", "01_ex01", "02_ex02", "total", "max", "01_ex01 status",
                       "02_ex02 status"]
    book = {r[0]: r[1:] for r in rows[1:]}
    assert book["ada"] == ["10", "10", "20", "20", "passed", "passed"]
    assert book["ben"] == ["0", "0", "0", "20", "not_started", "no_file"]
    assert book["cy"] == ["6.67", "0", "6.67", "20", "partial", "timeout"]
    assert book[HOSTILE][4:] == ["import_error", "crash"]
    for row in rows[1:]:
        assert float(row[3]) == total_points([float(row[1]), float(row[2])])


def render_gradebook(graded) -> str:
    from grader.instructor.formats.tables import gradebook

    return gradebook(graded)


def test_canvas_csv_has_canvas_columns_a_points_possible_row_and_a_column_per_exercise(graded):
    rows = table(render("canvas", graded))
    assert rows[0] == [*CANVAS_HEAD, "01 Exercise 01 & <co>", "02 Exercise 02 & <co>"]
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "10"]
    students = rows[2:]
    assert [r[0] for r in students] == sorted(graded)
    for row in students:
        assert row[1] == "" and row[2] == row[3] == row[0] and row[4] == ""
        assert all(re.fullmatch(r"\d+(\.\d\d?)?", cell) for cell in row[5:])
    assert dict((r[0], r[5:]) for r in students)["cy"] == ["6.67", "0"]
    assert len({len(r) for r in rows}) == 1


def test_moodle_csv_has_an_identifier_a_column_per_exercise_and_the_total(graded):
    rows = table(render("moodle", graded))
    assert rows[0] == ["Username", "01 Exercise 01 & <co>", "02 Exercise 02 & <co>", "Total"]
    marks = {r[0]: r[1:] for r in rows[1:]}
    assert marks["ada"] == ["10", "10", "20"] and marks["cy"] == ["6.67", "0", "6.67"]


def test_long_csv_has_one_row_per_student_exercise_and_check_with_the_named_mistake(graded):
    rows = table(render("long", graded))
    assert rows[0] == LONG_HEAD
    body = [dict(zip(LONG_HEAD, r, strict=True)) for r in rows[1:]]
    assert len(body) == 4 * 2 * 3
    cy = [r for r in body if r["student"] == "cy" and r["exercise"] == "01_ex01"]
    assert [r["status"] for r in cy] == [PASSED, FAILED, PASSED]
    assert cy[1]["mistake"] == ("sqrt(1/fan_in): that is LeCun's std (fan_in only; often "
                                "mislabelled), not Xavier's")
    assert cy[0]["mistake"] == "" and cy[2]["visibility"] == "hidden"
    assert [r["points"] for r in cy] == ["3.34", "0", "3.33"]
    assert {r["max_points"] for r in cy} == {"3.34", "3.33"}


def test_named_mistakes_are_read_from_the_checks_wording():
    assert named_mistake(LECUN).startswith("sqrt(1/fan_in): that is LeCun's std")
    assert named_mistake("It matches relu: the max(0, z) rule; relu(z) is max(0, z).") == \
        "relu: the max(0, z) rule"
    assert named_mistake("expected 3, got 4") == ""


# ---- hand-back feedback ------------------------------------------------------------------------


def test_markdown_feedback_keeps_learner_text_in_fences_and_leaves_hidden_checks_out(graded):
    text = feedback_markdown(HOSTILE, graded[HOSTILE])
    tokens = MarkdownIt("commonmark").parse(text)
    outside = [c.content for t in tokens if t.children for c in t.children]
    assert not any(t.type.startswith("html") for t in tokens)
    assert not any(c.type == "html_inline" for t in tokens if t.children for c in t.children)
    # The only text outside fences is ours: the student's name, shown literally in the heading.
    assert [s for s in outside if "<script>" in s or "[red]" in s] == [f"Feedback for {HOSTILE}"]
    fenced = [t.content for t in tokens if t.type == "fence"]
    assert any(HOSTILE in f for f in fenced)
    assert "check 2 of 01" not in text  # hidden
    assert "1 more check (3.33 points) graded but not shown: hidden" in text
    assert "## 01 · Exercise 01 \\& \\<co\\>: 0/6.67 points" in text
    assert "check 0 of 01" in text and "check 1 of 02" in text


def test_html_feedback_is_rich_s_view_of_the_same_content_self_contained(graded):
    page = feedback_html("cy", graded["cy"])
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page.lower()
    assert not re.search(r"(src|href)=\"https?:", page)
    plain = re.sub(r"<[^>]+>", "", page)
    for words in ("check 0 of 01", "check 1 of 01", "LeCun", "6.67/20 points",
                  "stopped after 5 s"):
        assert words in plain.replace("&amp;", "&").replace("&lt;", "<")
    assert "check 2 of 01" not in plain
    hostile = feedback_html(HOSTILE, graded[HOSTILE])
    assert "<script>alert" not in hostile and "&lt;script&gt;" in hostile


def uncached_feedback_html(student: str, results: list[ExerciseResult]) -> str:
    """The page as rich renders it with every panel printed afresh (what the cache must equal)."""
    printed: list[tuple[object, str | None]] = [(f"Feedback for {student}", "bold")]
    for shown, note in map(shown_to_student, results):
        printed.append((exercise_view(shown, hint_available=False), None))
        printed += [(f"  {note}", "dim")] if note else []
    console = Console(record=True, width=WIDTH, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", highlight=False)
    for thing, style in [*printed, (summary_line(results), None)]:
        console.print(thing, style=style, markup=False)
    return console.export_html(inline_styles=True)


def test_a_panel_rendered_once_for_many_students_gives_each_the_page_rendered_afresh(graded):
    # Students with the same exercise result share its rendered panel: timings differ (the
    # panel does not show them), a message differs by one word (the panel shows it).
    same = exercise("01", [PASSED, FAILED, PASSED], message=LECUN)
    same.seconds, same.checks[0].seconds = 9.5, 3.25
    other = exercise("01", [PASSED, FAILED, PASSED], message=LECUN.replace("0.0913", "0.0914"))
    pages = {}
    for student, results in [*graded.items(), ("dee", [same]), ("eve", [other])]:
        pages[student] = feedback_html(student, results)
        assert pages[student] == uncached_feedback_html(student, results)
    assert "0.0914" in pages["eve"] and "0.0914" not in pages["cy"] + pages["dee"]


def test_a_class_writes_gradebook_feedback_report_and_requested_formats(graded, tmp_path):
    written = write_class_outputs(tmp_path, graded, ["canvas", "long"], seconds=12.5)
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert "gradebook.csv" in names and "canvas.csv" in names and "long.csv" in names
    assert "moodle.csv" not in names and "report.html" in names
    assert {n for n in names if n.startswith("feedback/")} == {
        f"feedback/{s}.{ext}" for s in graded for ext in ("md", "html")}
    assert all(p.is_file() for p in written)


# ---- html report -------------------------------------------------------------------------------


def test_html_report_has_each_section_escaped_and_nothing_from_the_network(graded):
    page = html_report(graded, seconds=75.0)
    for element in ('id="facts"', 'id="distribution"', 'id="exercises"', 'id="checks"',
                    'id="mistakes"', 'id="attention"', 'id="timing"'):
        assert element in page
    assert "<script" not in page.lower() and not re.search(r"(src|href)=", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "1 min 15 s" in page
    attention = page[page.index('id="attention"'):page.index('id="timing"')]
    assert attention.index("ben") < attention.index("cy")  # lowest share first
    assert "01 import_error" in attention and "02 timeout" in attention
    assert "ada" not in attention
    mistakes = page[page.index('id="mistakes"'):page.index('id="attention"')]
    assert "sqrt(1/fan_in): that is LeCun&#x27;s std" in mistakes


# ---- terminal summary --------------------------------------------------------------------------


def _text(renderable) -> str:
    console = Console(width=120, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()


def test_student_rows_sort_by_score_and_stop_at_a_screenful(graded):
    by_score = _text(student_table(graded, "score"))
    order = [by_score.index(name) for name in ("ben", "cy", "ada")]
    assert order == sorted(order) and "lowest first" in by_score
    assert "02 no file" in by_score and "02 timeout" in by_score
    by_name = _text(student_table(graded, "name", rows=2))
    assert "the first 2 of 4" in by_name
    assert "<script>alert(1)</script>" in by_name and "ada" in by_name  # by name: "<" < "a"
    assert "ben" not in by_name and "cy " not in by_name


# ---- the html report in a real browser ---------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
         "--window-size=1200,1600"]
CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)")


def chromium(page: Path, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (.ci/run installs the Debian package chromium)")
    profile = tempfile.mkdtemp(dir=tmp_path)
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *mode,
                           page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=False)


def console_messages(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [m[1] for m in CONSOLE.finditer(run.stderr)]


def png_ink(path: Path) -> tuple[int, int, float]:
    """(width, height, share of non-zero bytes in the filtered pixel data): a blank page is ~0."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, at = [], 8
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IDAT":
            chunks.append(data[at + 8:at + 8 + size])
        at += 12 + size
    pixels = zlib.decompress(b"".join(chunks))
    return width, height, sum(b != 0 for b in pixels) / len(pixels)


def test_console_scan_catches_a_broken_page(tmp_path):
    """The negative control: the scan below would see a script error if the report had one."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); nope();</script>")
    messages = console_messages(chromium(page, tmp_path, "--dump-dom"))
    assert any("nope is not defined" in m for m in messages)


def test_html_report_renders_in_headless_chromium(graded, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html_report(graded, seconds=75.0), encoding="utf-8")
    shot = tmp_path / "report.png"
    run = chromium(page, tmp_path, f"--screenshot={shot}")
    assert shot.is_file(), run.stderr[-2000:]
    assert console_messages(run) == []
    width, height, ink = png_ink(shot)
    assert (width, height) == (1200, 1600) and ink > 0.01
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>")
    chromium(blank, tmp_path, f"--screenshot={tmp_path / 'blank.png'}")
    assert png_ink(tmp_path / "blank.png")[2] < ink / 5

    run = chromium(page, tmp_path, "--dump-dom")
    assert console_messages(run) == []
    dom = run.stdout
    for element in ("facts", "distribution", "exercises", "checks", "mistakes", "attention",
                    "timing"):
        assert f'id="{element}"' in dom
    assert dom.count("<rect ") == 10 and dom.count("<tr>") > 10
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert not re.search(r"<(script|link|img|iframe)\b|\b(src|href)=", dom)


# ---- end to end --------------------------------------------------------------------------------


def test_grade_writes_every_class_output_and_prints_a_row_per_student(tmp_path):
    root = Path(__file__).resolve().parent.parent
    deck, subs, out = tmp_path / "deck", tmp_path / "subs", tmp_path / "out"
    (deck / "cards").mkdir(parents=True)
    shutil.copy(root / "cards" / "03-xavier.md", deck / "cards")
    solution = (root / "solutions" / "03_xavier.py").read_text()
    for name, source in {"ada": solution, "cy": solution.replace(
            "np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)"),
            "dee": "def (:\n", "fay": None}.items():
        (subs / name).mkdir(parents=True)
        if source is not None:
            (subs / name / "03_x.py").write_text(source)
    env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", "COLUMNS": "120"}
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
                          "--format", "canvas", "--format", "moodle", "--format", "long",
                          "--format", "classroom", "--sort", "score"],
                         env=env, text=True, capture_output=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    rows = run.stdout[run.stdout.index("Students (by score, lowest first)"):]
    assert [rows.index(s) < rows.index("ada") for s in ("dee", "fay", "cy")] == [True] * 3
    assert "03 import error" in rows and "03 no file" in rows
    book = {r[0]: r for r in table((out / "gradebook.csv").read_text())}
    assert book["dee"][-1] == "import_error" and book["fay"][-1] == "no_file"
    assert book["cy"][-1] == "partial" and book["ada"][-1] == "passed"
    assert table((out / "canvas.csv").read_text())[1][:1] == ["Points Possible"]
    assert table((out / "moodle.csv").read_text())[0][0] == "Username"
    mistakes = {r[8] for r in table((out / "long.csv").read_text())[1:] if r[0] == "cy"}
    assert any(m.startswith("sqrt(1/fan_in): that is LeCun's std") for m in mistakes)
    for student in ("ada", "cy", "dee", "fay"):
        assert (out / "feedback" / f"{student}.md").is_file()
        assert (out / "feedback" / f"{student}.html").is_file()
        assert json.loads((out / f"{student}.classroom.json").read_text())["version"] == 1
    assert "LeCun" in (out / "feedback" / "cy.md").read_text()
    assert 'id="attention"' in (out / "report.html").read_text()
    # Merging an output with per-student formats reads only the students' JSON reports, and
    # writes the feedback a merged folder lacks.
    merged = tmp_path / "merged"
    run = subprocess.run([sys.executable, "-m", "grader", "merge", str(out), "--out",
                          str(merged), "--key", str(out / "grader.key")], env=env, text=True,
                         capture_output=True, timeout=300,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert (merged / "gradebook.csv").read_text() == (out / "gradebook.csv").read_text()
    assert (merged / "feedback" / "cy.md").read_text() == (out / "feedback" / "cy.md").read_text()
