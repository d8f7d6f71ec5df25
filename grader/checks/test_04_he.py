"""Hidden checks for exercise 04: He (Kaiming) initialisation, fan_in mode, for ReLU layers."""

import math

import numpy as np
import pytest

from grader.checkapi.diagnose import scale_mistakes
from grader.checkapi.expect import (
    expect_array,
    expect_fresh_draws,
    expect_normal,
    expect_reproducible,
    expect_uniform,
    pooled_draws,
    show_bars,
)

SHAPES = [(3, 4), (1, 1), (120, 250), (64, 2)]
# Sizes where the right scale and every scale in the catalogue are at least 10% apart (not
# (120, 250): there sqrt(6/(fan_in+fan_out)) is within 1.4% of sqrt(2/fan_in)), so that
# `grader verify --power` shows each expectation misses the nearest with probability below 1e-6.
LARGE = [(60, 250), (250, 60)]
SMALL = (15, 11)
POOL = 70  # draws of the small layer: 11550 values


def normal_std(fan_in):
    return math.sqrt(2 / fan_in)


def uniform_bound(fan_in):
    return math.sqrt(6 / fan_in)


def check_normal(W, fan_in, fan_out, what):
    """Std (naming rng.normal(std, ...) when the std went where the mean goes), mean, bell shape."""
    expect_normal(W, normal_std(fan_in), what,
                  mistakes=scale_mistakes(fan_in, fan_out, correct="he_normal"),
                  formula="sqrt(2/fan_in)")


@pytest.mark.points(1)
def test_shapes(learner, rng):
    """both functions return a float array of shape (fan_in, fan_out)"""
    for name in ("he_normal", "he_uniform"):
        for fan_in, fan_out in SHAPES:
            expect_array(getattr(learner, name)(fan_in, fan_out, rng),
                         f"{name}({fan_in}, {fan_out}, rng)", shape=(fan_in, fan_out))


@pytest.mark.points(3)
def test_normal_scale(learner, rng):
    """he_normal has std sqrt(2/fan_in), zero mean and a bell shape"""
    # What the scale is for: each ReLU layer multiplies the variance by fan_in * Var(W) / 2.
    width, depth = 128, 10
    z = rng.standard_normal((64, width))
    factors = []
    for _ in range(depth):
        what = f"he_normal({width}, {width}, rng)"
        W = expect_array(learner.he_normal(width, width, rng), what, shape=(width, width))
        # einsum, not @: a multi-threaded BLAS call can stall for long on a busy machine.
        z_next = np.einsum("bi,ij->bj", np.maximum(z, 0.0), W.astype(float))
        factors.append(float(np.var(z_next)) / max(float(np.var(z)), 1e-300))
        z = z_next
    show_bars("Var(z_l) / Var(z_{l-1}) through 10 ReLU layers of your he_normal weights "
              "(He makes each factor 1)", list(range(1, depth + 1)), factors)

    for fan_in, fan_out in LARGE:
        what = f"he_normal({fan_in}, {fan_out}, rng)"
        W = expect_array(learner.he_normal(fan_in, fan_out, rng), what, shape=(fan_in, fan_out))
        check_normal(W, fan_in, fan_out, what)
    fan_in, fan_out = SMALL
    small = pooled_draws(learner, "he_normal", fan_in, fan_out, rng, draws=POOL)
    check_normal(small, fan_in, fan_out, f"he_normal({fan_in}, {fan_out}, rng), {POOL} draws "
                                         "pooled")


@pytest.mark.points(3)
def test_uniform_bounds(learner, rng):
    """he_uniform is flat on ±sqrt(6/fan_in)"""
    for fan_in, fan_out in LARGE:
        what = f"he_uniform({fan_in}, {fan_out}, rng)"
        W = expect_array(learner.he_uniform(fan_in, fan_out, rng), what, shape=(fan_in, fan_out))
        expect_uniform(W, uniform_bound(fan_in), what,
                       mistakes=scale_mistakes(fan_in, fan_out, correct="he_uniform"),
                       formula="sqrt(6/fan_in)")
    fan_in, fan_out = SMALL
    small = pooled_draws(learner, "he_uniform", fan_in, fan_out, rng, draws=POOL)
    expect_uniform(small, uniform_bound(fan_in),
                   f"he_uniform({fan_in}, {fan_out}, rng), {POOL} draws pooled",
                   mistakes=scale_mistakes(fan_in, fan_out, correct="he_uniform"),
                   formula="sqrt(6/fan_in)")


@pytest.mark.points(1)
def test_reproducible(learner, seed):
    """weights come from rng alone: same generator state, same weights; another, others"""
    for name in ("he_normal", "he_uniform"):
        expect_reproducible(learner, lambda rng, name=name: getattr(learner, name)(20, 30, rng),
                            f"{name}(20, 30, rng)", seed=seed)


@pytest.mark.points(1)
def test_fresh_draws(learner, rng):
    """every weight is its own draw: no repeated rows or columns"""
    for name in ("he_normal", "he_uniform"):
        expect_fresh_draws(learner, name, 50, 80, rng)
