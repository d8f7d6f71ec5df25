"""Expectations bounded by concentration inequalities (Hoeffding, Bennett), exact for every
sample size, where a normal approximation is not to be trusted in the tail: shares of trials
at many places at once, and one-sided means of bounded statistics. Like the expectations in
`grader.checkapi.expect` they fail a right answer with probability at most ALPHA and record a
`Measurement` for `grader verify` (margins, power); the check words the failure itself."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

from grader.checkapi.expect import ALPHA
from grader.checkapi.measure import record


def share_tolerance(draws: int, places: int) -> float:
    """Hoeffding: the share of `draws` independent trials that come out one way, each with the
    same probability p, is within this of p at every one of `places` places at once, except
    with probability ALPHA (a union bound over the places, exact for every `draws`)."""
    return math.sqrt(math.log(2 * places / ALPHA) / (2 * draws))


def expect_shares(shares: np.ndarray, p: float, draws: int, places: int, what: str,
                  explain: Callable[[tuple[int, ...], float], NoReturn]) -> None:
    """Every entry of `shares`, the share of `draws` independent trials that came out one way
    at its place, is `p` within `share_tolerance(draws, places)`; `places` counts every place
    tested together (in this call and the others of the check), so that all of them fail a
    right answer with probability at most ALPHA. The decision rests on the place that strays
    most: its distance from `p` is recorded (a fraction with expected value 0 and the std of one
    share, so that `grader verify` weighs a mistake by the place where it shows most). On
    failure `explain(index, tolerance)` fails with the check's own words about that place."""
    shares = np.asarray(shares, dtype=float)
    eps = share_tolerance(draws, places)
    gap = np.abs(shares - p)
    worst = tuple(int(v) for v in np.unravel_index(int(np.argmax(gap)), gap.shape))
    record("fraction", what, draws, 0.0, float(gap[worst]), eps,
           math.sqrt(p * (1 - p) / draws))
    if gap[worst] > eps:
        explain(worst, eps)


def lower_tolerance(n: int, variance: float, reach: float) -> float:
    """One-sided Bennett: the mean of `n` independent values of variance `variance`, none more
    than `reach` below their expectation, falls more than this below it with probability at
    most ALPHA. Bennett's bound exp(-n v/b^2 h(b t/v)), h(u) = (1+u) ln(1+u) - u, is solved
    for t by bisection: tighter than Bernstein's closed form (which bounds h from below), as
    rigorous."""
    L = math.log(1 / ALPHA)
    if variance <= 0:
        return L * reach / n  # the limit of Bennett's bound as the variance vanishes

    def exponent(t: float) -> float:
        u = reach * t / variance
        return n * variance / reach**2 * ((1 + u) * math.log1p(u) - u)

    low, high = 0.0, reach
    while exponent(high) < L:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if exponent(mid) < L else (low, mid)
    return high


def expect_mean_at_least(samples: Any, mean: float, variance: float, floor: float, what: str,
                         explain: Callable[[float, float], NoReturn]) -> None:
    """The mean of independent values with expectation `mean` and variance `variance`, none
    below `floor`, is not lower than `mean - lower_tolerance(...)`: a one-sided test, for a
    statistic that only mistakes in one direction move. Recorded as a mean whose statistic is
    clipped at `mean` (only a shortfall counts against it, in margins and in power); on failure
    `explain(measured, tolerance)` fails with the check's own words."""
    x = np.asarray(samples, dtype=float).ravel()
    tol = lower_tolerance(x.size, variance, mean - floor)
    measured = float(x.mean())
    record("mean", what, x.size, mean, min(measured, mean), tol, math.sqrt(variance / x.size))
    if measured < mean - tol:
        explain(measured, tol)
