"""`@pytest.mark.visibility(...)`: the learner runs only what they may see and is told how many
more checks grading runs; Gradescope gets each check's value; a bad value is a clear error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKS = '''
import pytest


def test_shape(learner, rng):
    """xavier_normal returns the shape asked for"""
    assert learner.xavier_normal(3, 4, rng).shape == (3, 4), "wrong shape"


@pytest.mark.visibility("hidden")
def test_secret(learner, rng):
    """a check no student ever sees"""
    assert learner.xavier_normal(2, 2, rng).shape == (2, 2), "wrong shape"


@pytest.mark.visibility("after_due_date")
@pytest.mark.points(2)
def test_later(learner, rng):
    """a check shown after the due date"""
    assert learner.xavier_normal(5, 1, rng).shape == (5, 1), "wrong shape"
'''


@pytest.fixture
def deck(tmp_path: Path) -> Path:
    deck = tmp_path / "deck"
    (deck / "cards").mkdir(parents=True)
    shutil.copy(ROOT / "cards" / "03-xavier.md", deck / "cards")
    (deck / "checks").mkdir()
    (deck / "checks" / "test_03_xavier.py").write_text(CHECKS)
    assert grader(deck, "build").returncode == 0
    shutil.copy(ROOT / "solutions" / "03_xavier.py", deck / "exercises" / "03_xavier.py")
    return deck


def grader(deck: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", "COLUMNS": "160"}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, cwd=deck, text=True,
                          capture_output=True, timeout=300, check=False)


def test_learner_runs_only_visible_checks_and_is_told_how_many_more(deck):
    run = grader(deck, "check", "03")
    assert run.returncode == 0, run.stderr
    assert "1/1 checks passed" in run.stdout
    assert "+ 2 more checks your instructor runs when grading" in run.stdout
    assert "no student ever sees" not in run.stdout
    doc = json.loads(grader(deck, "check", "03", "--format", "json").stdout)
    exercise = doc["exercises"][0]
    assert [c["name"] for c in exercise["checks"]] == ["test_shape"]
    assert exercise["withheld"] == 2


def test_instructor_runs_every_check_and_gradescope_gets_the_visibility(deck):
    submission = deck / "exercises" / "03_xavier.py"
    run = grader(deck, "check", "03", "--submission", str(submission), "--format", "gradescope")
    assert run.returncode == 0, run.stderr
    tests = json.loads(run.stdout)["tests"]
    assert [(t["name"].split(": ", 1)[1], t["visibility"], t["max_score"]) for t in tests] == [
        ("xavier_normal returns the shape asked for", "visible", 2.5),
        ("a check no student ever sees", "hidden", 2.5),
        ("a check shown after the due date", "after_due_date", 5.0)]


def test_a_bad_visibility_is_an_error_with_file_and_line(deck):
    checks = deck / "checks" / "test_03_xavier.py"
    checks.write_text(CHECKS.replace('"after_due_date"', '"after_lunch"'))
    run = grader(deck, "check", "03")
    assert run.returncode == 2
    assert "test_later: visibility must be one of visible, after_due_date, after_published, " \
           "hidden, not 'after_lunch'" in run.stderr
    assert run.stderr.startswith(f"grader: {deck / 'checks' / 'test_03_xavier.py'}:16: ")
