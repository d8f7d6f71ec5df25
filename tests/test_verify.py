"""`grader verify` says no when the deck is wrong: a solution that fails, a stub that passes, a
mistake the checks let through or do not name, a mistake edit that no longer applies."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.checkapi.measure import miss_probability
from grader.instructor.verify import power_rows
from grader.results import CheckResult, ExerciseResult, Measurement

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
    assert ("3/3 solution and variant trials passed, 1/1 stubs fail, 1/1 mistakes rejected and "
            "named at 3 seeds each") in result.stdout


@pytest.mark.parametrize(
    ("mistakes", "card", "checks", "expected"),
    [
        pytest.param("""
- name: adds
  expect: expected
  replace:
    - {old: "return 2 * x", new: "return x + x"}
""", CARD, CHECKS, "mistake 'adds' passes every check at 3 of 3 seeds",
                     id="mistake-not-rejected"),
        pytest.param("""
- name: triples
  expect: LeCun
  replace:
    - {old: "return 2 * x", new: "return 3 * x"}
""", CARD, CHECKS, "at 3 of 3 seeds no message says 'LeCun'", id="mistake-not-named"),
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


# ---- right variants, mistakes at several seeds, margins and power -------------------------------

def variants(root: Path, text: str) -> Path:
    (root / "checks" / "variants").mkdir(exist_ok=True)
    (root / "checks" / "variants" / "01_double.yaml").write_text(text)
    return root


def test_a_right_variant_must_pass_every_trial(tmp_path):
    root = variants(deck(tmp_path, CAUGHT), """
- name: adds
  replace:
    - {old: "return 2 * x", new: "return x + x"}
- name: rounds
  replace:
    - {old: "return 2 * x", new: "return round(2 * x, 2)"}
""")
    result = verify(root)
    assert result.returncode == 1
    assert "6/9 solution and variant trials passed" in result.stdout
    assert "right variant 'rounds' failed 'double(x) is 2 * x'" in result.stdout
    assert "right variant 'adds'" not in result.stdout


def test_a_variant_edit_that_no_longer_applies_is_an_error(tmp_path):
    root = variants(deck(tmp_path, CAUGHT), """
- name: halves twice
  replace:
    - {old: "return 4 * x", new: "return x + x + x + x"}
""")
    result = verify(root)
    assert result.returncode == 2
    assert "variant 'halves twice'" in result.stderr and "01_double.yaml" in result.stderr


# x = rng.normal() in the check: its sign at each seed decides whether this mistake shows.
def test_a_mistake_must_be_rejected_at_every_seed(tmp_path):
    root = deck(tmp_path, """
- name: triples the negatives
  expect: expected
  replace:
    - {old: "return 2 * x", new: "return 2 * x if x > 0 else 3 * x"}
""")
    result = verify(root)
    assert result.returncode == 1
    seeds = [int(s) for s in re.findall(r"passes every check at (\d+) of 3 seeds",
                                        result.stdout)]
    assert seeds and 0 < seeds[0] < 3, result.stdout  # caught at some seeds, not all


STATISTICAL = '''
import numpy as np

from grader.checkapi.diagnose import Mistake
from grader.checkapi.expect import expect_std


def test_scale(learner, rng):
    """draws(n, rng) has std 1"""
    x = np.asarray(learner.draws(4000, rng))
    expect_std(x, 1.0, "draws(4000, rng)",
               mistakes=[Mistake("std 1.02", 1.02, "slightly too wide"), Mistake("std 2", 2.0,
                                                                                "twice as wide")])
'''

NORMAL_CARD = CARD.replace("double(x)", "draws(n, rng)").replace(
    "def double(x):", "def draws(n, rng):").replace("return 2 * x", "return rng.normal(size=n)")


def test_margins_and_power_come_from_the_measurements(tmp_path):
    root = deck(tmp_path, """
- name: twice as wide
  expect: twice as wide
  replace:
    - {old: "return rng.normal(size=n)", new: "return 2 * rng.normal(size=n)"}
""", card=NORMAL_CARD, checks=STATISTICAL)
    env = {**os.environ, "GRADER_ROOT": str(root), "NO_COLOR": "1", "COLUMNS": "250"}
    result = subprocess.run([sys.executable, "-m", "grader", "verify", "--trials", "2",
                             "--power"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout
    # the mistake is rejected far outside the tolerance (std 2 against 1 ± 0.09), at 3 seeds
    # though 2 trials were asked for: power weighs a mistake only once it is seen steady
    row = next(line for line in result.stdout.splitlines() if "twice as wide" in line
               and "3/3" in line)
    margin = float(re.search(r"(\d+\.\d)x", row).group(1))
    assert margin > 5
    # ... but the catalogue's std 1.02 is well inside the tolerance: power fails the deck
    assert "misses 'std 1.02' with probability" in result.stdout
    assert "1 expectations with a miss probability above 1e-06" in result.stdout


def test_power_at_one_trial_does_not_take_a_noisy_mistake_for_a_weak_check():
    # 05's "one row drawn and repeated" makes a std noisy, not off: at a single seed it looked
    # steady and flagged two std expectations (1.2e-6, 5.8e-3); at 3 seeds it is seen for what
    # it is, and the deck's own check that catches it is another one
    from grader.deck.project import Project
    from grader.instructor.verify import verify_card

    project = Project(Path(__file__).resolve().parent.parent)
    verdict = verify_card(project, project.card("05"), 1, power=True)
    assert {m.seeds for m in verdict.mistakes} == {3} and verdict.ok
    assert not [row.check for row in verdict.power if row.flagged]


def measurement(kind="std", expected=1.0, statistic=1.0, n=10000, alternatives=()):
    from grader.checkapi.expect import std_tolerance

    rel = std_tolerance(n)
    return Measurement("x", kind, n, expected, statistic, rel * expected,
                       expected * math.sqrt(2 / (4 * n)), list(alternatives))


def test_the_miss_probability_follows_the_statistic_s_distribution():
    m = measurement()
    at_edge = miss_probability(m, 1.0 + m.tolerance)
    assert 0.45 < at_edge < 0.55  # a mistake right at the tolerance slips half the time
    far = 1.0 + m.tolerance + 5.5 * m.sd * (1.0 + m.tolerance)
    assert 1e-9 < miss_probability(m, far) < 1e-7
    assert miss_probability(m, 1.0) > 0.999999
    # a mistake below the expected value: the same, on the other side
    assert miss_probability(m, 1.0 - m.tolerance) == pytest.approx(0.5, abs=0.05)


def test_a_sample_of_the_distribution_agrees_with_the_miss_probability():
    rng = np.random.default_rng(5)
    n, value = 2000, 1.07
    m = measurement(n=n)
    stds = np.array([rng.normal(0, value, n).std(ddof=1) for _ in range(2000)])
    observed = float(np.mean(np.abs(stds - 1.0) <= m.tolerance))
    assert observed == pytest.approx(miss_probability(m, value), abs=0.04)


def test_a_proportion_s_miss_probability_uses_the_spread_at_the_mistake_s_rate():
    # 2% expected over 10000 trials: a mistake's rate of 2.9% has a wider spread than 2%'s, one
    # of 1.2% a narrower one. Sampled proportions agree with the spread at the mistake's rate
    # (with the right answer's spread the two would be 0.04 and 0.06 off).
    from grader.checkapi.expect import mean_tolerance

    rng = np.random.default_rng(11)
    n, p = 10000, 0.02
    sd = math.sqrt(p * (1 - p))
    m = Measurement("x", "fraction", n, p, p, mean_tolerance(sd, n), sd / math.sqrt(n))
    for value in (0.029, 0.012):
        shares = rng.binomial(n, value, size=40000) / n
        observed = float(np.mean(np.abs(shares - p) <= m.tolerance))
        assert observed == pytest.approx(miss_probability(m, value), abs=0.015)
    assert miss_probability(m, 0.0) == 0.0 and miss_probability(m, p) > 0.999999


def test_power_picks_the_mistake_most_likely_to_slip_through():
    reference = ExerciseResult("01", "x", "x", "f", checks=[CheckResult(
        "test_a", "a", "passed", measurements=[measurement(alternatives=[("far", 2.0),
                                                                          ("near", 1.08)])])])
    slipped = ExerciseResult("01", "x", "x", "f", checks=[CheckResult(
        "test_a", "a", "failed", measurements=[measurement(statistic=1.5)])])
    [row] = power_rows(reference, {"wide": [slipped, slipped]})
    assert row.nearest == "near" and not row.flagged
    [row] = power_rows(reference, {})
    assert row.nearest == "near"
    weak = ExerciseResult("01", "x", "x", "f", checks=[CheckResult(
        "test_a", "a", "passed", measurements=[measurement(alternatives=[("close", 1.01)])])])
    [row] = power_rows(weak, {})
    assert row.flagged and row.miss > 0.1


def test_a_scale_is_named_only_for_a_centred_sample_whose_span_fits():
    from grader.checkapi.diagnose import diagnose, scale_mistakes
    from grader.checkapi.expect import CheckFailure, expect_uniform

    rng = np.random.default_rng(3)
    fan_in, fan_out = 240, 70
    catalogue = scale_mistakes(fan_in, fan_out, correct="xavier_uniform")
    bound = math.sqrt(6 / (fan_in + fan_out))
    lecun = next(m for m in catalogue if m.label == "sqrt(3/fan_in)")
    assert diagnose(lecun.value, catalogue, 0.02) == lecun
    assert diagnose(lecun.value, catalogue, 0.02, centred=False) is None
    # rng.uniform(0, a): named as the one-sided draw it is, not by its std
    with pytest.raises(CheckFailure, match=r"U\(0, a\) where U\(-a, a\) belongs") as failure:
        expect_uniform(rng.uniform(0, bound, (fan_in, fan_out)), bound, "w", catalogue)
    assert "It matches" not in str(failure.value)
    # one small matrix repeated (a fixed seed inside): its span does not fit its std
    fixed = np.tile(np.random.default_rng(1234).uniform(-bound, bound, 6), 600)
    with pytest.raises(CheckFailure) as failure:
        expect_uniform(fixed, bound, "w", catalogue)
    assert "It matches" not in str(failure.value)


def test_float32_draws_may_round_past_the_bound_but_nothing_else_may():
    from grader.checkapi.expect import CheckFailure, expect_uniform

    bound = math.sqrt(6 / 370)  # (120, 250): float32(bound) rounds up, past the bound
    x = np.random.default_rng(117).uniform(-bound, bound, 16800)
    x[0], x[1] = bound * (1 - 1e-12), -bound * (1 - 1e-12)
    as32 = x.astype(np.float32)
    assert float(as32.max()) > bound  # rounding to float32 went past the bound
    expect_uniform(as32, bound, "float32 draws")
    expect_uniform(x * float(np.float32(bound)) / bound, bound, "draws to a float32 bound")
    over = x.copy()
    over[0] = bound * (1 + 1e-5)  # more than any rounding
    with pytest.raises(CheckFailure, match="more than rounding allows"):
        expect_uniform(over, bound, "float64 draws")


@pytest.mark.parametrize(("text", "message"), [
    ("- name: x\n  replace: {old: a, new: b}\n", "variant 1 needs `name`, `replace`"),
    ("- name: x\n  replace:\n    - {old: a}\n", "every replace needs `old` and `new`"),
    ("name: x\n", "expected a list of variants"),
    ("- [unclosed\n", "invalid YAML"),
], ids=["replace-not-a-list", "edit-without-new", "not-a-list", "bad-yaml"])
def test_a_malformed_variants_file_is_an_error_naming_it(tmp_path, text, message):
    from types import SimpleNamespace

    from grader.errors import GraderError
    from grader.instructor.verify import load_edits

    path = tmp_path / "01_double.yaml"
    path.write_text(text)
    card = SimpleNamespace(solution="return a\n", path=tmp_path / "01-double.md")
    with pytest.raises(GraderError, match=re.escape(message)) as error:
        load_edits(path, card, mistakes=False)
    assert "01_double.yaml" in str(error.value)
