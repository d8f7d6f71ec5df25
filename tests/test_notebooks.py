"""Jupyter notebooks: exercise notebooks from the cards, notebook files graded in the sandbox, and
`check("03")` in a real kernel (nbclient + ipykernel; one kernel for the whole module)."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.deck.build import build, stale
from grader.deck.project import Project
from grader.notebooks.build import render_notebook
from grader.notebooks.check import kernel_warnings
from grader.notebooks.source import notebook_code
from grader.progress import Progress, reset_exercise
from grader.sandbox.source import SourceProblem

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def make_deck(folder: Path, *numbers: str) -> Project:
    """A deck of the shipped cards `numbers` (every card when none), built as notebooks."""
    (folder / "cards").mkdir(parents=True)
    for card in sorted((ROOT / "cards").glob("*.md")):
        if not numbers or card.name[:2] in numbers:
            shutil.copy(card, folder / "cards")
    project = Project(folder)
    build(project, notebooks=True)
    return Project(folder)


def grader(root: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("GRADER_ROOT", None)
    return subprocess.run([sys.executable, "-m", "grader", "--root", str(root), *args], env=env,
                          text=True, capture_output=True, timeout=600, **kwargs)


def notebook(cells: list[tuple[str, str]], **extra) -> bytes:
    """Notebook bytes from (cell_type, source) pairs."""
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, **extra, "cells": [
        {"cell_type": kind, "metadata": {}, "source": source,
         **({"outputs": [], "execution_count": None} if kind == "code" else {})}
        for kind, source in cells]}
    return json.dumps(doc).encode()


def with_code(project: Project, number: str, code: str):
    """The exercise notebook of `number` with its code cell replaced by `code`."""
    nb = nbformat.reads(project.exercise_file(project.card(number)).read_text(), as_version=4)
    cell_ids = [cell.id for cell in nb.cells]
    nb.cells[cell_ids.index("code")].source = code
    return nb


# -- notebook → code ------------------------------------------------------------------------------

def test_code_cells_are_joined_in_order_without_ipython_syntax():
    data = notebook([
        ("markdown", "# Title\n%not code"),
        ("code", ["%matplotlib inline\n", "import numpy as np\n", "files = !ls\n",
                  "def f():\n", "    !echo hi\n", "    return 1\n", "np.sum?"]),
        ("code", "%%bash\necho hi\n"),
        ("code", 'text = """\n%kept: inside a string\n"""\n'
                 "from grader.notebooks import check\ncheck('01')\nvalue = f() + 1\n"
                 "rest = (7  # a comment (\n        % 4)\nsame = ['[', 1\n        != 2]"),
    ])
    source = notebook_code(data, "01_forward.ipynb")
    code = source.code.decode()
    namespace: dict = {}
    exec(compile(code, "nb", "exec"), namespace)  # plain Python now
    assert namespace["value"] == 2 and "%kept: inside a string" in namespace["text"]
    assert namespace["rest"] == 3 and namespace["same"] == ["[", True]  # not magics
    assert code.index("# %% cell 2") < code.index("# %% cell 4")
    assert "cell 3" not in code and "bash" not in code and "check(" not in code
    assert "# Title" not in code
    assert source.name == "01_forward.ipynb.py"
    assert source.notes == ("01_forward.ipynb: 6 lines of IPython magics or shell commands "
                            "(%, %%, !) left out: the grader runs plain Python",)


def test_a_notebook_without_ipython_syntax_gets_no_note():
    source = notebook_code(notebook([("code", "x = 1")]), "n.ipynb")
    assert source.notes == () and "x = 1" in source.code.decode()


@pytest.mark.parametrize(("data", "expected"), [
    (b'{"cells": [', "its JSON is broken at line 1, column 12"),
    (b'{"nbformat": 3, "worksheets": []}', "is not an nbformat 4 notebook (nbformat 3)"),
    (b'{"cells": []}', "(no nbformat version)"),
    (b"[1, 2]", "its JSON is a list"),
    (b'{"nbformat": 4, "cells": {}}', "`cells` is not a list"),
    (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 3}]}',
     "code cell 1 has no source text"),
    (b"\xff\xfe not text", "not UTF-8"),
    (b"[" * 100_000, "nested too deeply"),
])
def test_a_broken_notebook_is_a_problem_that_names_itself(data, expected):
    with pytest.raises(SourceProblem) as caught:
        notebook_code(data, "03_xavier.ipynb")
    assert expected in str(caught.value) and "03_xavier.ipynb" in str(caught.value)


# -- build --notebooks ----------------------------------------------------------------------------

def test_build_writes_valid_deterministic_notebooks(tmp_path):
    deck = make_deck(tmp_path, "03")
    card = deck.card("03")
    path = deck.exercise_file(card)
    assert path.name == "03_xavier.ipynb" and deck.notebooks
    text = path.read_text()
    assert text == render_notebook(card) == render_notebook(card)
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert [c.id for c in nb.cells] == ["question", "hint", "code", "check"]
    assert all(c.outputs == [] and c.execution_count is None
               for c in nb.cells if c.cell_type == "code")
    assert "raise NotImplementedError" in nb.cells[2].source
    assert "Answer" not in text and "BEGIN SOLUTION" not in text and "LeCun" not in text
    assert nb.cells[1].source.endswith('hint("03")')
    assert nb.cells[3].source.endswith('check("03")')
    assert stale(deck) == []
    assert grader(tmp_path, "build", "--check").returncode == 0
    assert not (tmp_path / "exercises" / "03_xavier.py").exists()


def test_build_never_overwrites_a_notebook_the_learner_saved(tmp_path):
    deck = make_deck(tmp_path, "03")
    path = deck.exercise_file(deck.card("03"))
    edited = path.read_text().replace("raise NotImplementedError", "return None  # mine", 1)
    path.write_text(edited)
    again = grader(tmp_path, "build")  # the deck keeps its notebooks without the option
    assert again.returncode == 0 and "left alone (you changed it): exercises/03_xavier.ipynb" \
        in again.stdout
    assert path.read_text() == edited
    check = grader(tmp_path, "build", "--check")
    assert check.returncode == 1 and "stale: exercises/03_xavier.ipynb" in check.stdout
    assert grader(tmp_path, "build", "--force").returncode == 0
    assert path.read_text() == render_notebook(deck.card("03"))


def test_no_notebooks_goes_back_to_python_files(tmp_path):
    deck = make_deck(tmp_path, "03")
    assert grader(tmp_path, "build", "--check", "--no-notebooks").returncode == 1
    assert grader(tmp_path, "build", "--no-notebooks").returncode == 0
    assert not deck.notebooks
    assert deck.exercise_file(deck.card("03")).name == "03_xavier.py"
    assert grader(tmp_path, "build", "--check").returncode == 0


def test_reset_puts_the_notebook_stub_back_and_keeps_the_learners(tmp_path):
    deck = make_deck(tmp_path, "03")
    card = deck.card("03")
    path = deck.exercise_file(card)
    assert Progress.load(deck).state(card).key == "not_started"
    path.write_text(path.read_text().replace("raise NotImplementedError", "return 0", 1))
    assert Progress.load(deck).state(card).key == "unchecked"
    backup = reset_exercise(deck, card)
    assert backup is not None and backup.suffix == ".ipynb" and "return 0" in backup.read_text()
    assert path.read_text() == render_notebook(card)


# -- what check() says about the kernel -----------------------------------------------------------

def saved(tmp_path: Path, cells: list[tuple[str, int | None]]) -> Path:
    doc = json.loads(notebook([("code", source) for source, _ in cells]))
    for cell, (_, count) in zip(doc["cells"], cells, strict=True):
        cell["execution_count"] = count
    path = tmp_path / "03_xavier.ipynb"
    path.write_text(json.dumps(doc))
    return path


def test_no_warning_when_the_kernel_ran_what_is_saved(tmp_path):
    path = saved(tmp_path, [("a = 1", 1), ("b = a", 2), ("from grader.notebooks import check"
                                                         "\ncheck('03')", None)])
    history = ["", "a = 0", "a = 1", "b = a", "%who", "check('03')"]
    assert kernel_warnings(path, history, path) == []
    assert kernel_warnings(path, None) == []


def test_unsaved_code_is_named_with_its_input_number(tmp_path):
    path = saved(tmp_path, [("a = 1", 1), ("b = a", 2)])
    history = ["", "a = 1", "b = a", "b = a + 100", "check('03')"]
    [warning] = kernel_warnings(path, history)
    assert "In [3]: b = a + 100" in warning and "save it" in warning


def test_cells_run_out_of_order_are_named(tmp_path):
    path = saved(tmp_path, [("a = 1", 3), ("b = a", 2)])
    [warning] = kernel_warnings(path, ["", "x", "b = a", "a = 1", "check('03')"])
    assert "cell 2 (In [2]) ran before cell 1 (In [3])" in warning
    assert "Restart Kernel and Run All" in warning


def test_another_notebook_than_the_exercise_is_named(tmp_path):
    path = saved(tmp_path, [("a = 1", None)])
    other = tmp_path / "03_xavier-Copy1.ipynb"
    other.write_bytes(path.read_bytes())
    [warning] = kernel_warnings(path, None, other)
    assert "This notebook is 03_xavier-Copy1.ipynb" in warning


# -- a real kernel --------------------------------------------------------------------------------

class Kernel:
    """One ipykernel for the module; cells of any notebook run in it, as in JupyterLab."""

    def __init__(self, client):
        self.client = client

    def run(self, nb, cell_id: str) -> str:
        """Run one cell of `nb`; its printed output without colour codes."""
        index = [cell.id for cell in nb.cells].index(cell_id)
        self.client.nb = nb
        cell = self.client.execute_cell(nb.cells[index], index)
        return ANSI.sub("", "".join(o.get("text", "") for o in cell.outputs))


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Project:
    return make_deck(tmp_path_factory.mktemp("notebook-deck"))


@pytest.fixture(scope="module")
def kernel(deck):
    nbclient = pytest.importorskip("nbclient")
    client = nbclient.NotebookClient(
        nbformat.v4.new_notebook(), kernel_name="python3", timeout=600, startup_timeout=300,
        resources={"metadata": {"path": str(deck.exercises_dir)}})
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_ROOT", "NO_COLOR")}
    session = client.setup_kernel(env={**env, "COLUMNS": "120"})
    try:
        session.__enter__()
    except Exception as error:  # no kernel here: say why, and skip rather than fail
        print(f"no Jupyter kernel could start: {type(error).__name__}: {error}")
        pytest.skip(f"no Jupyter kernel could start: {error}")
    yield Kernel(client)
    session.__exit__(None, None, None)


def state(deck: Project, number: str) -> str:
    return Progress.load(deck).state(deck.card(number)).key


def test_kernel_stub_is_not_started_and_hints_come_one_at_a_time(deck, kernel):
    nb = nbformat.read(deck.exercise_file(deck.card("03")), as_version=4)
    first = kernel.run(nb, "hint")
    assert "Hint 1 of 3" in first and "Where the 2 comes from" in first
    assert "Hint 2 of 3" in kernel.run(nb, "hint")
    kernel.run(nb, "code")
    shown = kernel.run(nb, "check")
    assert "Exercise 03 · Xavier (Glorot) initialisation" in shown
    assert "not started" in shown and "Done!" not in shown
    assert "does not contain" not in shown  # nothing unsaved: the stub ran as saved
    assert state(deck, "03") == "not_started"
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'pytest' or "
        "m.startswith(('grader.checkapi', 'grader.sandbox.supervisor', 'grader.checking'))))",
        id="probe"))
    assert kernel.run(nb, "probe").strip() == "[]"  # the kernel graded nothing itself


def test_kernel_grades_the_saved_notebook_and_says_when_it_is_not_saved(deck, kernel):
    card = deck.card("03")
    nb = with_code(deck, "03", card.solution)
    kernel.run(nb, "code")
    unsaved = kernel.run(nb, "check")
    assert "does not contain" in unsaved and "save it" in unsaved
    assert "not started" in unsaved  # the file on disk still holds the stub
    nbformat.write(nb, deck.exercise_file(card))  # File › Save: counts and outputs included
    shown = kernel.run(nb, "check")
    assert "7/7 checks passed · 10/10 points" in shown and "Done!" in shown
    assert "does not contain" not in shown
    assert state(deck, "03") == "done"


HOSTILE = '''\
# Patches the grader wherever this cell runs, and marks exercise 04 done by hand.
import json, pathlib
try:
    import grader.checkapi.expect, grader.results
    grader.results.CheckResult.passed = property(lambda self: True)
    grader.results.ExerciseResult.passed = property(lambda self: True)
    grader.checkapi.expect.expect_close = lambda *args, **kwargs: None
except Exception:
    pass
for folder in [pathlib.Path.cwd(), pathlib.Path.cwd().parent]:
    try:
        (folder / ".grader" / "progress.json").write_text(json.dumps(
            {"version": 1, "exercises": {"04": {"state": "done", "score": 10}}}))
    except Exception:
        pass
'''


def test_kernel_hostile_cell_cannot_forge_the_check(deck, kernel):
    card = deck.card("04")
    wrong = card.solution.replace("np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)")
    assert wrong != card.solution
    nb = with_code(deck, "04", HOSTILE + "\n" + wrong)
    kernel.run(nb, "code")
    nbformat.write(nb, deck.exercise_file(card))
    shown = kernel.run(nb, "check")
    assert "Done!" not in shown and "checks passed" in shown
    assert not re.search(r"(\d+)/\1 checks passed", shown)
    assert state(deck, "04") == "failing"
    entry = json.loads((deck.state_dir / "progress.json").read_text())["exercises"]["04"]
    assert entry["state"] == "failing" and entry["score"] < entry["max_score"]


@pytest.mark.slow
def test_kernel_works_through_the_whole_deck(deck, kernel):
    """A learner solves every exercise in its notebook: save, run the check cell, done."""
    for card in deck.cards:
        nb = with_code(deck, card.number, card.solution)
        kernel.run(nb, "code")
        nbformat.write(nb, deck.exercise_file(card))
        shown = kernel.run(nb, "check")
        assert "Done!" in shown, shown
    assert all(state(deck, card.number) == "done" for card in deck.cards)


# -- notebook submissions -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def klass(deck, kernel, tmp_path_factory) -> tuple[Path, Path]:
    """A two-card deck and a class whose notebooks were run and saved in a real kernel."""
    base = tmp_path_factory.mktemp("notebook-class")
    small = make_deck(base / "deck", "01", "03")
    subs = base / "submissions"

    def executed(number: str, code: str, extra: str = "") -> str:
        nb = with_code(deck, number, code)
        kernel.run(nb, "code")
        if extra:
            nb.cells.insert(3, nbformat.v4.new_code_cell(extra, id="extra"))
            kernel.run(nb, "extra")
        return nbformat.writes(nb)

    xavier = deck.card("03").solution
    students = {
        "ada": {"03_xavier.ipynb": executed("03", xavier, "%timeit -n1 -r1 1 + 1\nprint(2)"),
                "01_forward.ipynb": executed("01", deck.card("01").solution)},
        "ben": {"03_xavier.ipynb": render_notebook(deck.card("03"))},
        "cy": {"03_xavier.ipynb": '{"cells": [', "01_forward.ipynb": json.dumps(
            {"nbformat": 3, "nbformat_minor": 0, "worksheets": []})},
        "dee": {"01_forward.py": deck.card("01").solution,
                "03_mine.ipynb": executed("03", xavier.replace(
                    "np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)"))},
        "fay": {"03_xavier.py": xavier, "03_xavier.ipynb": executed("03", xavier)},
    }
    for name, files in students.items():
        (subs / name).mkdir(parents=True)
        for file, text in files.items():
            (subs / name / file).write_text(text)
    return small.root, subs


def test_class_of_notebooks_is_graded(klass, tmp_path):
    deck, subs = klass
    out = tmp_path / "out"
    result = grader(deck, "grade", str(subs), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    with (out / "gradebook.csv").open() as handle:
        book = {row["student"]: row for row in csv.DictReader(handle)}
    assert book["ada"]["total"] == book["ada"]["max"]
    assert book["ben"]["total"] == "0" and book["cy"]["total"] == "0"
    assert book["dee"]["01_forward"] == book["ada"]["01_forward"]  # .py and .ipynb side by side
    assert 0 < float(book["dee"]["03_xavier"]) < float(book["ada"]["03_xavier"])
    ada = {e["number"]: e for e in json.loads((out / "ada.json").read_text())["exercises"]}
    assert ada["03"]["notes"] == ["03_xavier.ipynb: 1 line of IPython magics or shell commands "
                                  "(%, %%, !) left out: the grader runs plain Python"]
    for handback in (out / "feedback" / "ada.md", out / "feedback" / "ada.html"):
        assert handback.read_text().count("1 line of IPython magics") == 1
    cy = {e["number"]: e for e in json.loads((out / "cy.json").read_text())["exercises"]}
    assert "its JSON is broken at line 1" in cy["03"]["problem"]
    assert "not an nbformat 4 notebook (nbformat 3)" in cy["01"]["problem"]
    ben = json.loads((out / "ben.json").read_text())["exercises"]
    assert all(c["status"] == "not_started" for c in ben[1]["checks"])
    fay = json.loads((out / "fay.json").read_text())["exercises"][1]
    assert book["fay"]["03_xavier"] == "0"  # two files for one exercise: neither is graded
    assert "2 candidate files for exercise 03 (03_xavier.ipynb, 03_xavier.py)" in fay["problem"]


def test_one_notebook_submission_shows_the_note_once(klass):
    deck, subs = klass
    shown = grader(deck, "check", "03", "--submission", str(subs / "ada" / "03_xavier.ipynb"))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.count("1 line of IPython magics") == 1
    gradescope = grader(deck, "check", "03", "--format", "gradescope", "--submission",
                        str(subs / "ada" / "03_xavier.ipynb"))
    assert "1 line of IPython magics" in json.loads(gradescope.stdout)["output"]
    broken = grader(deck, "check", "03", "--submission", str(subs / "cy" / "03_xavier.ipynb"))
    assert broken.returncode == 1 and "its JSON is broken at line 1" in broken.stdout
