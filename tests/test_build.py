"""Golden tests of `grader build` on small decks in temporary folders: stub derivation, errors that
name the card's line, determinism, the no-overwrite rule, `--check`, and all-or-none writes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.deck.build import build, render_exercise, render_solution, stale
from grader.deck.card import load_card
from grader.deck.project import Project
from grader.errors import GraderError

PLACEHOLDER = 'raise NotImplementedError("your code here")'


def grader(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "1000"}
    env.pop("GRADER_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def card(title: str, solution: str, *, stub: str | None = None, hint: str = "",
         front: str = "", statement: str = "Write the function.") -> str:
    """A card: question, optional hint, and an answer holding the `python solution` block."""
    quoted = "\n".join(("> " + line).rstrip() for line in solution.strip("\n").split("\n"))
    parts = []
    if front:
        parts.append(f"---\n{front.strip()}\n---\n")
    parts.append(f"> [!question] {title}\n> {statement}\n")
    if hint:
        parts.append(f"> [!hint] A hint\n> {hint}\n")
    parts.append(f"> [!success]- Answer\n> Because.\n>\n> ```python solution\n{quoted}\n> ```\n")
    if stub is not None:
        parts.append(f"```python stub\n{stub.strip(chr(10))}\n```\n")
    return "\n".join(parts)


SQUARE = '''
import numpy as np


def square(x):
    """Element-wise square."""
    # BEGIN SOLUTION
    return np.asarray(x) ** 2
    # END SOLUTION
'''

CUBE = '''
def cube(x):
    # BEGIN SOLUTION
    return x ** 3
    # END SOLUTION
'''


def make_deck(root: Path, cards: dict[str, str]) -> Path:
    (root / "cards").mkdir(parents=True, exist_ok=True)
    for name, text in cards.items():
        (root / "cards" / name).write_text(text, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the deck except the cards, as bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "cards" not in p.relative_to(root).parts
    }


def error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr.strip()


# ----------------------------------------------------------------------------- stub derivation

MULTI = '''
import numpy as np

SCALE = 2.0


def f(x):
    """Doc of f."""
    # BEGIN SOLUTION
    y = np.asarray(x) * SCALE
    return y
    # END SOLUTION


class Net:
    def forward(self, x):
        if x is None:
            # begin solution
            return 0
            # end solution
        return 1


# BEGIN SOLUTION
ANSWER = 42
# END SOLUTION
'''


def test_stub_and_solution_golden(tmp_path: Path):
    root = make_deck(tmp_path, {"04-multi.md": card("Multi", MULTI, statement="Do `f`.")})
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    exercise = (root / "exercises" / "04_multi.py").read_text(encoding="utf-8")
    solution = (root / "solutions" / "04_multi.py").read_text(encoding="utf-8")
    assert exercise == (
        "# Exercise 04 · Multi\n"
        "#\n"
        "# Do `f`.\n"
        "#\n"
        "# Check your work with `grader check 04`; ask for a hint with `grader hint 04`.\n"
        "# Generated from cards/04-multi.md by `grader build`. Edit the code below.\n"
        "\n"
        "import numpy as np\n"
        "\n"
        "SCALE = 2.0\n"
        "\n"
        "\n"
        "def f(x):\n"
        '    """Doc of f."""\n'
        f"    {PLACEHOLDER}\n"
        "\n"
        "\n"
        "class Net:\n"
        "    def forward(self, x):\n"
        "        if x is None:\n"
        f"            {PLACEHOLDER}\n"
        "        return 1\n"
        "\n"
        "\n"
        f"{PLACEHOLDER}\n"
    )
    assert solution == (
        "# Reference solution for exercise 04 · Multi\n"
        "# Generated from cards/04-multi.md by `grader build`: edit the card, not this file.\n"
        "\n"
        "import numpy as np\n"
        "\n"
        "SCALE = 2.0\n"
        "\n"
        "\n"
        "def f(x):\n"
        '    """Doc of f."""\n'
        "    y = np.asarray(x) * SCALE\n"
        "    return y\n"
        "\n"
        "\n"
        "class Net:\n"
        "    def forward(self, x):\n"
        "        if x is None:\n"
        "            return 0\n"
        "        return 1\n"
        "\n"
        "\n"
        "ANSWER = 42\n"
    )
    for text in (exercise, solution):
        assert "BEGIN SOLUTION" not in text.upper()
        assert "END SOLUTION" not in text.upper()
        compile(text, "generated", "exec")
    assert "return 0" not in exercise and "ANSWER = 42" not in exercise


def test_placeholder_at_begin_marker_indentation_with_tabs(tmp_path: Path):
    source = "def f(x):\n\t# BEGIN SOLUTION\n\treturn x\n\t# END SOLUTION\n"
    root = make_deck(tmp_path, {"01-tabs.md": card("Tabs", source)})
    assert grader(root, "build").returncode == 0
    exercise = (root / "exercises" / "01_tabs.py").read_text(encoding="utf-8")
    assert exercise.endswith(f"def f(x):\n\t{PLACEHOLDER}\n")


def test_explicit_stub_block_wins(tmp_path: Path):
    stub = "ANSWER_A = None  # fill in\nANSWER_B = None  # fill in\n"
    solution = "ANSWER_A = 1\n# BEGIN SOLUTION\nANSWER_B = 2\n# END SOLUTION\n"
    root = make_deck(tmp_path, {"02-answers.md": card("Answers", solution, stub=stub)})
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    exercise = (root / "exercises" / "02_answers.py").read_text(encoding="utf-8")
    assert exercise.endswith("Edit the code below.\n\n" + stub)
    assert PLACEHOLDER not in exercise
    assert (root / "solutions" / "02_answers.py").read_text(encoding="utf-8").endswith(
        "not this file.\n\nANSWER_A = 1\nANSWER_B = 2\n"
    )


def test_explicit_stub_needs_no_markers(tmp_path: Path):
    root = make_deck(tmp_path, {"02-plain.md": card("Plain", "X = 3\n", stub="X = None\n")})
    assert grader(root, "build").returncode == 0
    assert (root / "exercises" / "02_plain.py").read_text(encoding="utf-8").endswith("\nX = None\n")
    assert (root / "solutions" / "02_plain.py").read_text(encoding="utf-8").endswith("\nX = 3\n")


def test_no_markers_and_no_stub_is_an_error(tmp_path: Path):
    root = make_deck(tmp_path, {"03-open.md": card("Open", "def f():\n    return 1\n")})
    message = error_line(grader(root, "build"))
    # the `python solution` fence is line 7 of the card
    assert re.search(r"cards/03-open\.md:7: .*no `# BEGIN SOLUTION`", message), message
    assert not (root / "exercises").exists()


NESTED = "def f():\n    # BEGIN SOLUTION\n    a = 1\n    # BEGIN SOLUTION\n    return a\n" \
         "    # END SOLUTION\n"
STRAY_END = "def f():\n    return 1\n    # END SOLUTION\n"
UNCLOSED = "def f():\n    # BEGIN SOLUTION\n    return 1\n"
SECOND_UNCLOSED = "def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION\n\n\n" \
                  "def g():\n    # BEGIN SOLUTION\n    return 2\n"


@pytest.mark.parametrize(
    ("source", "front", "line", "words"),
    [
        # card(): line 1 question, 4 success, 7 `python solution` fence, 8 first code line
        pytest.param(NESTED, "", 11, "inside another solution region", id="nested"),
        pytest.param(STRAY_END, "", 10, "without a `# BEGIN SOLUTION`", id="stray-end"),
        pytest.param(UNCLOSED, "", 9, "never closed", id="unclosed"),
        pytest.param(SECOND_UNCLOSED, "", 15, "never closed", id="second-unclosed"),
        pytest.param(NESTED, "title: Shifted\ntags: [x]", 16, "inside another", id="after-fm"),
    ],
)
def test_unbalanced_markers_name_the_card_line(tmp_path: Path, source, front, line, words):
    text = card("Broken", source, front=front)
    root = make_deck(tmp_path, {"05-x.md": text})
    # the reported line really is the offending marker in the card
    card_lines = text.split("\n")
    assert "SOLUTION" in card_lines[line - 1]
    message = error_line(grader(root, "build"))
    assert f"cards/05-x.md:{line}: " in message, message
    assert words in message
    assert not (root / "exercises").exists() and not (root / "solutions").exists()


def test_unbalanced_markers_in_process(tmp_path: Path):
    root = make_deck(tmp_path, {"05-x.md": card("Broken", STRAY_END)})
    with pytest.raises(GraderError) as info:
        load_card(root / "cards" / "05-x.md")
    assert info.value.line == 10
    assert Path(info.value.path).name == "05-x.md"


def test_solution_with_unicode_line_separator_in_a_string(tmp_path: Path):
    source = 'def sep():\n    # BEGIN SOLUTION\n    return "a\u2028b"\n    # END SOLUTION\n'
    root = make_deck(tmp_path, {"01-sep.md": card("Sep", source)})
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    solution = (root / "solutions" / "01_sep.py").read_text(encoding="utf-8")
    assert 'return "a\u2028b"\n' in solution


# --------------------------------------------------------------------------------- determinism


def two_cards() -> dict[str, str]:
    return {
        "01-square.md": card("Square", SQUARE, hint="Use `**`.", front="tags: [warm-up]"),
        "02-cube.md": card("Cube", CUBE),
    }


def test_two_builds_are_byte_identical(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    first = grader(root, "build")
    assert first.returncode == 0, first.stderr
    assert "4 written, 0 unchanged, 0 left alone" in first.stdout
    before = snapshot(root)
    assert set(before) == {
        "exercises/01_square.py", "exercises/02_cube.py", "exercises/.manifest.json",
        "solutions/01_square.py", "solutions/02_cube.py",
    }
    second = grader(root, "build")
    assert second.returncode == 0, second.stderr
    assert "0 written, 4 unchanged, 0 left alone" in second.stdout
    assert snapshot(root) == before


def test_build_in_two_folders_gives_identical_files(tmp_path: Path):
    one = make_deck(tmp_path / "one", two_cards())
    two = make_deck(tmp_path / "elsewhere" / "deeper" / "two", two_cards())
    assert grader(one, "build").returncode == 0
    assert grader(two, "build").returncode == 0
    assert snapshot(one) == snapshot(two)
    assert str(tmp_path).encode() not in b"".join(snapshot(one).values())


def test_crlf_and_bom_cards_build_the_same_files(tmp_path: Path):
    unix = make_deck(tmp_path / "unix", two_cards())
    windows = tmp_path / "windows"
    (windows / "cards").mkdir(parents=True)
    for name, text in two_cards().items():
        crlf = text.replace("\n", "\r\n").encode("utf-8")
        (windows / "cards" / name).write_bytes(b"\xef\xbb\xbf" + crlf)
    assert grader(unix, "build").returncode == 0
    assert grader(windows, "build").returncode == 0
    assert snapshot(windows) == snapshot(unix)


def test_build_functions_in_process(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    project = Project(root)
    cube = next(c for c in project.cards if c.slug == "cube")
    assert render_exercise(cube) == render_exercise(load_card(root / "cards" / "02-cube.md"))
    assert render_solution(cube).endswith("def cube(x):\n    return x ** 3\n")
    assert len(stale(project)) == 5  # 2 exercises, 2 solutions, the manifest
    report = build(project)
    assert sorted(p.name for p in report.written) == [
        "01_square.py", "01_square.py", "02_cube.py", "02_cube.py"
    ]
    assert report.kept == [] and report.unchanged == []
    assert stale(Project(root)) == []
    again = build(Project(root))
    assert again.written == [] and len(again.unchanged) == 4


# ---------------------------------------------------------------------------- no overwriting


def test_learner_edit_is_left_alone_and_force_overwrites(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    exercise = root / "exercises" / "01_square.py"
    mine = exercise.read_text(encoding="utf-8").replace(PLACEHOLDER, "return x * x")
    exercise.write_text(mine, encoding="utf-8")

    # same cards: the edited file is kept and reported
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    assert "left alone (you changed it): exercises/01_square.py" in result.stdout
    assert "1 left alone" in result.stdout
    assert exercise.read_text(encoding="utf-8") == mine

    # the card changes: still kept, but the solution is updated
    path = root / "cards" / "01-square.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Element-wise square.",
                                                             "Square of each entry."),
                    encoding="utf-8")
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    assert "left alone (you changed it): exercises/01_square.py" in result.stdout
    assert "wrote solutions/01_square.py" in result.stdout
    assert "wrote exercises/01_square.py" not in result.stdout
    assert exercise.read_text(encoding="utf-8") == mine
    assert "Square of each entry." in (root / "solutions" / "01_square.py").read_text(
        encoding="utf-8")

    # --force overwrites it with the stub
    result = grader(root, "build", "--force")
    assert result.returncode == 0, result.stderr
    assert "wrote exercises/01_square.py" in result.stdout
    assert exercise.read_text(encoding="utf-8") == render_exercise(load_card(path))
    assert PLACEHOLDER in exercise.read_text(encoding="utf-8")
    # and from then on it is the build's file again
    assert grader(root, "build", "--check").returncode == 0


def test_untouched_exercise_is_updated_when_the_card_changes(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    exercise = root / "exercises" / "02_cube.py"
    other = (root / "exercises" / "01_square.py").read_bytes()
    path = root / "cards" / "02-cube.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Write the function.",
                                                             "Write `cube`."), encoding="utf-8")
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    assert "wrote exercises/02_cube.py" in result.stdout
    assert "left alone" not in result.stdout.replace("0 left alone", "")
    assert "# Write `cube`." in exercise.read_text(encoding="utf-8")
    assert (root / "exercises" / "01_square.py").read_bytes() == other


def test_deleted_exercise_is_recreated(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    exercise = root / "exercises" / "02_cube.py"
    original = exercise.read_bytes()
    exercise.unlink()
    result = grader(root, "build")
    assert result.returncode == 0
    assert exercise.read_bytes() == original


# ------------------------------------------------------------------------------ build --check


def test_check_when_clean(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    before = snapshot(root)
    result = grader(root, "build", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date: 2 cards" in result.stdout
    assert "stale" not in result.stdout
    assert snapshot(root) == before


def test_check_before_any_build_names_every_file_and_writes_nothing(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    result = grader(root, "build", "--check")
    assert result.returncode == 1
    stale_files = re.findall(r"^stale: (\S+)$", result.stdout, re.M)
    assert sorted(stale_files) == sorted([
        "exercises/01_square.py", "exercises/02_cube.py", "exercises/.manifest.json",
        "solutions/01_square.py", "solutions/02_cube.py",
    ])
    assert "5 generated files differ" in result.stdout
    assert snapshot(root) == {}
    assert not (root / "exercises").exists()


def test_check_after_a_card_change_names_its_files_and_writes_nothing(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    path = root / "cards" / "02-cube.md"
    path.write_text(path.read_text(encoding="utf-8").replace("x ** 3", "x * x * x"),
                    encoding="utf-8")
    before = snapshot(root)
    result = grader(root, "build", "--check")
    assert result.returncode == 1
    assert re.findall(r"^stale: (\S+)$", result.stdout, re.M) == ["solutions/02_cube.py"]
    assert snapshot(root) == before


# ------------------------------------------------------------------------------ all or none


def test_broken_card_aborts_and_writes_nothing(tmp_path: Path):
    cards = {**two_cards(), "03-broken.md": card("Broken", UNCLOSED)}
    root = make_deck(tmp_path, cards)
    message = error_line(grader(root, "build"))
    assert "cards/03-broken.md:9: " in message
    assert snapshot(root) == {}
    assert not (root / "exercises").exists() and not (root / "solutions").exists()


def test_broken_card_leaves_an_existing_build_untouched(tmp_path: Path):
    root = make_deck(tmp_path, two_cards())
    assert grader(root, "build").returncode == 0
    before = snapshot(root)
    path = root / "cards" / "01-square.md"
    path.write_text(path.read_text(encoding="utf-8").replace("** 2", "** 3"), encoding="utf-8")
    (root / "cards" / "02-cube.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    message = error_line(grader(root, "build"))
    assert "cards/02-cube.md:" in message and "invalid YAML" in message
    assert snapshot(root) == before
    assert grader(root, "build", "--check").returncode == 2


def test_duplicate_numbers_name_both_files(tmp_path: Path):
    root = make_deck(tmp_path, {"03-first.md": card("First", CUBE),
                                "03-second.md": card("Second", CUBE)})
    message = error_line(grader(root, "build"))
    assert "03-first.md" in message and "03-second.md" in message
    assert "exercise number 03" in message
    assert snapshot(root) == {}


@pytest.mark.parametrize(
    "name",
    ["1-cube.md", "001-cube.md", "01-Cube.md", "01_cube.md", "01-cube-.md", "01--cube.md",
     "01-.md", "cube.md", "README.md", "01-cube_x.md"],
)
def test_bad_file_names(tmp_path: Path, name: str):
    root = make_deck(tmp_path, {"02-good.md": card("Good", CUBE), name: card("Bad", SQUARE)})
    message = error_line(grader(root, "build"))
    assert f"cards/{name}: " in message
    assert "NN-slug.md" in message
    assert snapshot(root) == {}


def test_good_file_name_with_dashes_and_digits(tmp_path: Path):
    root = make_deck(tmp_path, {"09-relu-2-layers.md": card("Relu", CUBE)})
    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    assert (root / "exercises" / "09_relu_2_layers.py").is_file()
    assert (root / "solutions" / "09_relu_2_layers.py").is_file()


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        pytest.param("# Cube\n\nJust prose.\n", 1, "no question", id="no-question"),
        pytest.param("> [!success] An answer\n> ```python solution\n> x = 1\n> ```\n", 1,
                     "no question", id="answer-without-question"),
        pytest.param("---\ntitle: t\n---\n\n> [!question] Q\n> Do it.\n", 5,
                     "no reference solution", id="no-solution"),
        pytest.param("> [!question] Q\n\n```python\nx = 1\n```\n", 1,
                     "no reference solution", id="python-block-is-not-a-solution"),
        pytest.param("> [!question] Q\n\n```python solution\nX = 1\n```\n\n"
                     "```python solution\nX = 2\n```\n", 7, "more than one `python solution`",
                     id="two-solutions"),
        pytest.param("---\npoints: 0\n---\n" + card("Q", CUBE), 2,
                     "`points` must be a positive number", id="bad-points"),
        pytest.param(card("Q", "def f(:\n    # BEGIN SOLUTION\n    pass\n    # END SOLUTION\n"),
                     8, "solution code is not valid Python", id="solution-syntax-error"),
    ],
)
def test_card_errors_are_clear(tmp_path: Path, text: str, line: int, words: str):
    root = make_deck(tmp_path, {"06-x.md": text})
    message = error_line(grader(root, "build"))
    assert f"cards/06-x.md:{line}: " in message, message
    assert words in message, message
    assert snapshot(root) == {}


def test_empty_deck_is_an_error(tmp_path: Path):
    root = make_deck(tmp_path, {})
    message = error_line(grader(root, "build"))
    assert "no cards" in message


# -------------------------------------------------------------------------------- grader new


def test_new_card_builds_and_its_stub_fails_its_solution_passes(tmp_path: Path):
    root = tmp_path / "deck"
    (root / "cards").mkdir(parents=True)
    # No checks/ folder yet: `new` creates the deck's own, never writing into the package.
    result = grader(root, "new", "07-demo")
    assert result.returncode == 0, result.stderr
    assert (root / "cards" / "07-demo.md").is_file()
    assert (root / "checks" / "test_07_demo.py").is_file()

    result = grader(root, "build")
    assert result.returncode == 0, result.stderr
    assert (root / "exercises" / "07_demo.py").is_file()
    exercise = (root / "exercises" / "07_demo.py").read_text(encoding="utf-8")
    assert PLACEHOLDER in exercise and "BEGIN SOLUTION" not in exercise

    stub_run = grader(root, "check", "07")
    assert stub_run.returncode == 1, stub_run.stdout + stub_run.stderr
    assert "Traceback" not in stub_run.stderr
    solution_run = grader(root, "check", "07", "--solution")
    assert solution_run.returncode == 0, solution_run.stdout + solution_run.stderr

    taken = grader(root, "new", "07-other")
    assert error_line(taken).endswith("exercise number 07 is taken by 07-demo.md")
    assert not (root / "cards" / "07-other.md").exists()


def test_new_rejects_a_bad_name(tmp_path: Path):
    root = make_deck(tmp_path, {})
    (root / "checks").mkdir()
    message = error_line(grader(root, "new", "7-demo"))
    assert "NN-slug.md" in message
    assert list((root / "cards").iterdir()) == []
    assert list((root / "checks").iterdir()) == []


def test_the_documented_example_card_builds_and_its_stub_fails(tmp_path: Path):
    """docs/cards.md's complete example is a working card, not just prose."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "cards.md").read_text()
    example = doc.split("## A complete example", 1)[1].split("````markdown\n", 1)[1]
    example = example.split("\n````", 1)[0] + "\n"
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "01-mean-square.md").write_text(example)
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "test_01_mean_square.py").write_text(
        "import numpy as np\n\nfrom grader.checkapi.expect import expect_close\n\n\n"
        "def test_mean_square(learner, rng):\n"
        '    """mean_square is the mean of the squares"""\n'
        "    x = rng.normal(size=50)\n"
        '    expect_close(learner.mean_square(x), float(np.mean(x**2)), "mean_square(x)")\n')
    assert grader(tmp_path, "build").returncode == 0
    stub = (tmp_path / "exercises" / "01_mean_square.py").read_text()
    assert 'raise NotImplementedError("your code here")' in stub
    assert grader(tmp_path, "check", "01").returncode == 1
    assert grader(tmp_path, "check", "01", "--solution").returncode == 0
