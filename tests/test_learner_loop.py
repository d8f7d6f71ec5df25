"""The learner's loop: progress file, hints, show, reset, next, list, an endless loop reported
once, and `grader watch` in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from probe_deck import CARD as PROBE_CARD  # weights(n, rng) and echo(x)

from grader.checkapi.learner import LearnerModule, LearnerProblem, summarize
from grader.checkapi.plugin import Run
from grader.checkapi.runner import run_checks
from grader.deck.project import Project
from grader.progress import Progress, reset_exercise
from grader.results import PASSED
from grader.sandbox.supervisor import WorkerDied

ROOT = Path(__file__).resolve().parent.parent


def copy_deck(folder: Path) -> Project:
    """A copy of the shipped deck (checks come from the package)."""
    for name in ("cards", "exercises", "solutions"):
        shutil.copytree(ROOT / name, folder / name)
    return Project(folder)


@pytest.fixture
def deck(tmp_path: Path) -> Project:
    return copy_deck(tmp_path)


def grader(deck: Project, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADER_ROOT": str(deck.root), "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True,
                          capture_output=True, timeout=120, **kwargs)


def solve(deck: Project, number: str) -> None:
    card = deck.card(number)
    shutil.copy(deck.solution_file(card), deck.exercise_file(card))


def test_progress_records_by_hash_and_goes_stale_on_edit(deck):
    solve(deck, "03")
    assert grader(deck, "check", "03").returncode == 0
    card = deck.card("03")
    progress = Progress.load(deck)
    assert progress.state(card).key == "done"
    assert progress.state(deck.card("04")).key == "not_started"
    with deck.exercise_file(card).open("a") as handle:
        handle.write("\n# an edit\n")
    assert Progress.load(deck).state(card).key == "unchecked"


def test_list_rechecks_only_changed_files(deck):
    solve(deck, "03")
    listing = grader(deck, "list")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if " 03 " in line)
    assert "done" in row
    assert "not started" in next(line for line in listing.stdout.splitlines() if " 04 " in line)
    entry = json.loads((deck.state_dir / "progress.json").read_text())["exercises"]["03"]
    checked = entry["checked"]
    time.sleep(1.1)
    grader(deck, "list")
    again = json.loads((deck.state_dir / "progress.json").read_text())["exercises"]["03"]
    assert again["checked"] == checked  # unchanged file: not re-run
    assert "done" in grader(deck, "list", "--done").stdout
    assert " 03 " not in grader(deck, "list", "--pending").stdout


def test_damaged_progress_file_is_rebuilt(deck):
    deck.state_dir.mkdir()
    (deck.state_dir / "progress.json").write_text("{not json")
    result = grader(deck, "list")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert list(deck.state_dir.glob("progress.damaged-*.json"))
    assert json.loads((deck.state_dir / "progress.json").read_text())["version"] == 1


def test_hints_one_at_a_time_then_all(deck):
    card = deck.card("03")
    first = grader(deck, "hint", "03")
    assert f"Hint 1 of {len(card.hints)}" in first.stdout
    second = grader(deck, "hint", "03")
    assert f"Hint 2 of {len(card.hints)}" in second.stdout and "Hint 1" not in second.stdout
    every = grader(deck, "hint", "03", "--all")
    assert all(f"Hint {i} of" in every.stdout for i in range(1, len(card.hints) + 1))
    assert Progress.load(deck).hints_shown(card) == len(card.hints)


def test_reset_backs_up_then_restores_the_stub(deck):
    card = deck.card("03")
    path = deck.exercise_file(card)
    stub = path.read_text()
    path.write_text("my work\n")
    result = grader(deck, "reset", "03")
    assert result.returncode == 0
    assert path.read_text() == stub
    [backup] = (deck.state_dir / "backups").glob("03_xavier.*.py")
    assert backup.read_text() == "my work\n"
    assert str(backup.relative_to(deck.root)) in result.stdout.replace("\n", "")
    assert reset_exercise(deck, card) is None  # nothing to back up when already the stub


def test_next_names_the_first_exercise_not_done(deck):
    solve(deck, "01")
    grader(deck, "check", "01")
    result = grader(deck, "next")
    assert "02" in result.stdout and deck.card("02").title in result.stdout


def test_edit_without_an_editor_is_a_clear_error(deck):
    env_less = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    result = subprocess.run([sys.executable, "-m", "grader", "edit", "03"], text=True,
                            capture_output=True, env={**env_less, "GRADER_ROOT": str(deck.root)})
    assert result.returncode == 2 and "$EDITOR" in result.stderr


def test_check_without_a_name_takes_the_first_exercise_not_done(deck):
    solve(deck, "01")
    assert grader(deck, "check", "01").returncode == 0
    result = grader(deck, "check")
    assert result.returncode == 1
    assert "checking 02 symmetry, the first exercise not done yet" in result.stderr
    assert "Exercise 02" in result.stdout


# ---- show: the answer is never reached by accident --------------------------------------------

def test_show_prints_only_the_hints_already_revealed(deck):
    card = deck.card("03")
    before = grader(deck, "show", "03")
    assert before.returncode == 0 and "Hint 1" not in before.stdout
    assert f"{len(card.hints)} more hint(s): grader hint 03" in before.stdout
    grader(deck, "hint", "03")
    after = grader(deck, "show", "03")
    assert "Hint 1 of" in after.stdout and "Hint 2 of" not in after.stdout


def test_show_solution_asks_first_unless_the_exercise_is_done(deck):
    code = "np.sqrt(2.0 / (fan_in + fan_out))"
    for answer in ("n\n", ""):  # "no", and no answer at all (end of input)
        refused = grader(deck, "show", "03", "--solution", input=answer)
        assert refused.returncode == 1 and code not in refused.stdout
        assert "not done yet" in refused.stdout and "Nothing shown" in refused.stdout
    agreed = grader(deck, "show", "03", "--solution", input="y\n")
    assert agreed.returncode == 0 and code in agreed.stdout
    assert code in grader(deck, "show", "03", "--solution", "--yes", input="").stdout
    solve(deck, "03")
    assert grader(deck, "check", "03").returncode == 0
    done = grader(deck, "show", "03", "--solution", input="")
    assert done.returncode == 0 and code in done.stdout and "not done yet" not in done.stdout


# ---- an endless loop: reported once, with its call and line; later calls skipped --------------

LOOP_CHECKS = '''
import numpy as np
import pytest

from grader.checkapi.expect import expect_close


@pytest.mark.limit(seconds=1)
def test_spin_small(learner, rng):
    """weights on a small size"""
    learner.weights(np.int64(3), rng)


@pytest.mark.limit(seconds=1)
def test_echo(learner):
    """echo returns its argument"""
    expect_close(learner.echo(2.0), 2.0, "echo(2.0)")


@pytest.mark.limit(seconds=1)
def test_spin_zero(learner, rng):
    """weights of size zero"""
    learner.weights(0, rng)


@pytest.mark.limit(seconds=1)
def test_spin_repeat(learner, rng):
    """weights, many times"""
    learner.repeat(3, "weights", 2, rng)
'''

LOOPING = """
def weights(n, rng):
    while True:
        n = n + 1

def echo(x):
    return x
"""


def test_an_endless_loop_costs_one_time_limit_and_passes_nothing(tmp_path):
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "01-probe.md").write_text(PROBE_CARD)
    (tmp_path / "checks").mkdir()
    checks = tmp_path / "checks" / "test_01_loop.py"
    checks.write_text(LOOP_CHECKS)
    learner = tmp_path / "learner.py"
    learner.write_text(LOOPING)
    card = Project(tmp_path).card("01")
    # Two runs of the same file (as `grader verify` makes): each meets the time limit once.
    for result in run_checks(card, checks, [Run(learner), Run(learner)]):
        by_name = {c.name: c for c in result.checks}
        assert by_name["test_echo"].status == PASSED
        spins = [by_name[n] for n in ("test_spin_small", "test_spin_zero", "test_spin_repeat")]
        assert all(c.status != PASSED and c.points == 0 for c in spins)
        assert spins[0].message.startswith("weights(3, rng) stopped after 1 s")
        for later in spins[1:]:
            assert later.message == "skipped: `weights` did not finish in an earlier check"


class SampledWorker:
    """A worker whose calls time out, with (or without) the sandbox's stack sample."""

    def __init__(self, frames):
        self.frames = frames

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    def wait_ready(self) -> None:
        pass

    def place(self, source) -> str:
        return "03_xavier.py"

    def request(self, message, timeout):
        if message["op"] == "load":
            return {"ok": True, "output": ""}
        died = WorkerDied(f"stopped after {timeout:g} s: an endless loop, or far too slow?",
                          "timeout")
        if self.frames is not None:
            died.frames = self.frames
        raise died


def test_a_timeout_names_the_arguments_and_the_line_it_was_on(tmp_path):
    frames = [{"file": "/work/exercises/03_xavier.py", "line": 7, "function": "outer",
               "code": "return inner(n)"},
              {"file": "/work/exercises/03_xavier.py", "line": 12, "function": "inner",
               "code": "    while n > 0:"}]
    (tmp_path / "03_xavier.py").write_text("def f(*args, **kwargs):\n    pass\n")
    module = LearnerModule(tmp_path / "03_xavier.py", worker=SampledWorker(frames))
    with pytest.raises(LearnerProblem) as caught:
        module.call("f", np.zeros((2, 3)), np.random.default_rng(0), kind="relu")
    assert caught.value.message.split("\n") == [
        "f(<array (2, 3) float64>, rng, kind='relu') stopped after 5 s: an endless loop, or far "
        "too slow?",
        "when it was stopped, your code was at:",
        "  03_xavier.py:7 in outer: return inner(n)",
        "  03_xavier.py:12 in inner: while n > 0:"]
    with pytest.raises(LearnerProblem, match=r"^skipped: `f` did not finish"):
        module.call("f", 1)
    for missing in (None, []):  # before the sandbox samples stacks, or when it could not
        module = LearnerModule(tmp_path / "03_xavier.py", worker=SampledWorker(missing))
        with pytest.raises(LearnerProblem) as caught:
            module.call("g")
        assert caught.value.message == "g() stopped after 5 s: an endless loop, or far too slow?"


def test_arguments_are_summarised_never_dumped():
    assert summarize(np.zeros((1000, 1000), dtype=np.float32)) == "<array (1000, 1000) float32>"
    assert summarize(list(range(100))) == "<list of 100>"
    assert summarize([1, 2.5, "relu"]) == "[1, 2.5, 'relu']"
    assert summarize({"W1": np.ones(3), "b": [0.0] * 50}) == "{'W1': <array (3,) float64>, " \
        "'b': <list of 50>}"
    assert summarize("x" * 500) == repr("x" * 27) + "…"
    assert summarize((3,)) == "(3,)"
    assert summarize(np.float64(0.5)) == "0.5"


def test_a_wrong_exception_reads_with_one_full_stop(deck):
    card = deck.card("01")
    source = deck.solution_file(card).read_text()
    wrong = source.replace('raise ValueError(f"unknown activation {name!r}")',
                           "raise KeyError(name)")
    assert wrong != source
    deck.exercise_file(card).write_text(wrong)
    result = grader(deck, "check", "01", "--format", "json")
    [message] = [c["message"] for c in json.loads(result.stdout)["exercises"][0]["checks"]
                 if c["status"] != "passed"]
    assert message.startswith("activation(Z, 'softmax') raised KeyError: 'softmax'; expected "
                              "ValueError. Check the name yourself")
    assert ".." not in message
