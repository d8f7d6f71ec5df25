"""`grader verify` says no when the deck is wrong: a solution that fails, a stub that passes, a
mistake the checks let through or do not name, a mistake edit that no longer applies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CARD = '''---
title: Double
---
> [!question] Double
> Write `double(x)`.

> [!success]- Answer
> ```python solution
> def double(x):
>     # BEGIN SOLUTION
>     return 2 * x
>     # END SOLUTION
> ```
'''

CHECKS = '''
from grader.checkapi.expect import expect_close


def test_double(learner, rng):
    """double(x) is 2 * x"""
    x = float(rng.normal())
    expect_close(learner.double(x), 2 * x, "double(x)")
'''


def deck(tmp_path: Path, mistakes: str, card: str = CARD, checks: str = CHECKS) -> Path:
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "01-double.md").write_text(card)
    (tmp_path / "checks" / "mistakes").mkdir(parents=True)
    (tmp_path / "checks" / "test_01_double.py").write_text(checks)
    (tmp_path / "checks" / "mistakes" / "01_double.yaml").write_text(mistakes)
    env = {**os.environ, "GRADER_ROOT": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "grader", "build"], env=env, check=True,
                   capture_output=True)
    return tmp_path


def verify(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADER_ROOT": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader", "verify", "--trials", "3"], env=env,
                          capture_output=True, text=True, timeout=120)


CAUGHT = """
- name: triples
  expect: expected
  replace:
    - {old: "return 2 * x", new: "return 3 * x"}
"""


def test_a_sound_deck_passes(tmp_path):
    result = verify(deck(tmp_path, CAUGHT))
    assert result.returncode == 0, result.stdout
    assert "3/3 solution trials passed, 1/1 stubs fail, 1/1 mistakes rejected" in result.stdout


@pytest.mark.parametrize(
    ("mistakes", "card", "checks", "expected"),
    [
        pytest.param("""
- name: adds
  expect: expected
  replace:
    - {old: "return 2 * x", new: "return x + x"}
""", CARD, CHECKS, "mistake 'adds' passes every check", id="mistake-not-rejected"),
        pytest.param("""
- name: triples
  expect: LeCun
  replace:
    - {old: "return 2 * x", new: "return 3 * x"}
""", CARD, CHECKS, "no message says 'LeCun'", id="mistake-not-named"),
        pytest.param(CAUGHT, CARD, CHECKS.replace("2 * x, ", "2 * x + 1, "),
                     "the reference solution failed", id="solution-fails"),
        pytest.param(CAUGHT, CARD.replace("    # BEGIN SOLUTION\n>     return 2 * x\n>     "
                                          "# END SOLUTION", "    return 2 * x")
                     + "\n```python stub\ndef double(x):\n    return 2 * x\n```\n",
                     CHECKS, "the untouched stub passes every check", id="stub-passes"),
    ],
)
def test_verify_rejects_an_unsound_deck(tmp_path, mistakes, card, checks, expected):
    result = verify(deck(tmp_path, mistakes, card, checks))
    assert result.returncode == 1
    assert expected in result.stdout, result.stdout


def test_a_mistake_edit_that_no_longer_applies_is_an_error(tmp_path):
    root = deck(tmp_path, """
- name: gone
  expect: x
  replace:
    - {old: "return 4 * x", new: "return 3 * x"}
""")
    result = verify(root)
    assert result.returncode == 2
    assert "occurs 0 times" in result.stderr and "01_double.yaml" in result.stderr
