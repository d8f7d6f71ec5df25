"""The distribution-free expectations (Hoeffding shares, one-sided Bennett means): their
tolerances hold a right answer's failures under ALPHA, they fail what strays, and what they
record lets `grader verify` weigh their power."""

import math
from statistics import NormalDist

import numpy as np
import pytest

from grader.checkapi.concentration import (
    expect_mean_at_least,
    expect_shares,
    lower_tolerance,
    share_tolerance,
)
from grader.checkapi.expect import ALPHA, CheckFailure, fail
from grader.checkapi.measure import miss_probability, take_measurements
from grader.checkapi.plugin import Run
from grader.checkapi.runner import run_checks
from grader.deck.project import SHIPPED_ROOT, find_project


@pytest.fixture(autouse=True)
def _fresh_measurements():
    take_measurements()
    yield
    take_measurements()


def _explain(index, eps):
    fail(f"worst {index} beyond {eps:.3f}")


def test_hoeffding_holds_a_right_answer_under_alpha_at_every_place_together():
    draws, places = 300, 15
    eps = share_tolerance(draws, places)
    # Hoeffding's two-sided bound at each place, times the places: exactly ALPHA
    assert places * 2 * math.exp(-2 * draws * eps**2) == pytest.approx(ALPHA)
    # and it is wider than the normal approximation's per-place tolerance would be
    assert eps > NormalDist().inv_cdf(1 - ALPHA / (2 * places)) * 0.5 / math.sqrt(draws)


def test_shares_within_the_tolerance_pass_and_record_the_place_that_strays_most():
    shares = np.array([[0.5, 0.52], [0.47, 0.5]])
    expect_shares(shares, 0.5, 700, 4, "signs", _explain)
    (m,) = take_measurements()
    assert (m.kind, m.what, m.n, m.expected) == ("fraction", "signs", 700, 0.0)
    assert m.statistic == pytest.approx(0.03)  # |0.47 - 1/2|: the place that strays most
    assert m.tolerance == share_tolerance(700, 4)
    assert m.sd == pytest.approx(0.5 / math.sqrt(700))
    assert m.ratio < 1


def test_a_share_beyond_the_tolerance_fails_naming_the_worst_place():
    shares = np.array([[0.5, 0.55], [0.0, 0.5]])
    with pytest.raises(CheckFailure, match=r"worst \(1, 0\) beyond"):
        expect_shares(shares, 0.5, 700, 4, "signs", _explain)
    (m,) = take_measurements()
    assert m.statistic == 0.5 and m.ratio > 1  # verify reads the rejection's margin there
    # a mistake whose strongest place strays by 0.2 slips through with the normal tail left
    sd = 0.5 / math.sqrt(700)
    assert miss_probability(m, 0.2) == pytest.approx(
        NormalDist(0.2, sd).cdf(m.tolerance) - NormalDist(0.2, sd).cdf(-m.tolerance))


def test_the_bennett_tolerance_bounds_a_shortfall_of_the_mean():
    """Bounded values (a Bernoulli(1/2) scaled to 0/2: mean 1, variance 1, reach 1): the
    one-sided Bennett tolerance is wider than the normal one and narrower than Bernstein's closed
    form, its bound is ALPHA exactly there, and a sample mean falls below mean - tolerance less
    often than ALPHA says (here: never in 20000 samples of 200)."""
    n, L = 200, math.log(1 / ALPHA)
    tol = lower_tolerance(n, 1.0, 1.0)
    bernstein = (2 * L / 3 + math.sqrt((2 * L / 3) ** 2 + 8 * n * L)) / (2 * n)
    assert NormalDist().inv_cdf(1 - ALPHA) / math.sqrt(n) < tol < bernstein
    assert n * ((1 + tol) * math.log1p(tol) - tol) == pytest.approx(L)
    means = 2.0 * np.random.default_rng(3).binomial(n, 0.5, size=20000) / n
    assert np.all(means >= 1.0 - tol)


def test_a_one_sided_mean_passes_any_excess_and_fails_a_shortfall():
    rng = np.random.default_rng(4)
    explained = []

    def explain(measured, tol):
        explained.append((measured, tol))
        fail("too small")

    high = 1.0 + np.abs(rng.normal(size=400)) * 3  # far above the mean: not this test's concern
    expect_mean_at_least(high, 2.0, 1.0, 1.0, "T", explain)
    (m,) = take_measurements()
    assert m.statistic == 2.0 and m.ratio == 0  # clipped: an excess is no rejection
    low = np.full(400, 1.2)
    with pytest.raises(CheckFailure, match="too small"):
        expect_mean_at_least(low, 2.0, 1.0, 1.0, "T", explain)
    (m,) = take_measurements()
    assert explained == [(pytest.approx(1.2), m.tolerance)]
    assert m.statistic == pytest.approx(1.2) and m.ratio > 1
    # its power against a mistake whose mean is 1.2: the normal tail the tolerance leaves it
    sd = math.sqrt(1.0 / 400)
    assert miss_probability(m, 1.2) == pytest.approx(
        NormalDist(1.2, sd).cdf(2.0 + m.tolerance) - NormalDist(1.2, sd).cdf(2.0 - m.tolerance))


def test_card_10_records_its_haar_statistics_for_verify():
    """The Haar check of the shipped card 10 records the share of signs of each shape and the
    fourth moment of each tail shape, with the tolerances its failure texts state, so that
    `grader verify 10 --power` weighs them."""
    project = find_project(SHIPPED_ROOT)
    card = project.card("10")
    (result,) = run_checks(card, project.checks_file(card), [Run(project.solution_file(card))])
    haar = next(c for c in result.checks if c.name == "test_haar")
    assert haar.passed
    shares = [m for m in haar.measurements if "|share - 1/2|" in m.what]
    assert [(m.n, m.tolerance) for m in shares] == [(700, share_tolerance(700, 15)),
                                                    (300, share_tolerance(300, 15))]
    tails = [m for m in haar.measurements if "n * sum(x**4)" in m.what]
    assert [(m.n, round(m.expected, 4)) for m in tails] == [(50, 2.9091), (50, 2.9091)]
    assert all(m.tolerance == pytest.approx(0.6687, abs=1e-4) for m in tails)  # Bennett
