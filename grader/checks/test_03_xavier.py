"""Hidden checks for exercise 03: Xavier (Glorot) initialisation."""

import math

import pytest

from grader.checkapi.diagnose import scale_mistakes
from grader.checkapi.expect import (
    expect_array,
    expect_fresh_draws,
    expect_normal,
    expect_reproducible,
    expect_uniform,
    pooled_draws,
)

SHAPES = [(3, 4), (1, 1), (120, 250), (64, 2)]
# Sizes where the right scale and every scale in the catalogue (LeCun, He, fan_out modes, variance
# for std, ...) are at least 8% apart, and 4% from each other: `grader verify --power` shows
# each expectation misses the nearest with probability below 1e-6. Not (300, 60): there
# sqrt(6/(fan_in+fan_out)) is exactly sqrt(1/fan_out).
NORMAL = [(330, 130), (150, 380)]
UNIFORM = [(240, 70), (110, 380)]
SMALL, POOL = (11, 4), 250  # 11000 values: enough to tell a normal from a uniform by the CDF


def normal_std(fan_in, fan_out, gain=1.0):
    return gain * math.sqrt(2 / (fan_in + fan_out))


def uniform_bound(fan_in, fan_out, gain=1.0):
    return gain * math.sqrt(6 / (fan_in + fan_out))


@pytest.mark.points(1)
def test_shapes(learner, rng):
    """both functions return a float array of shape (fan_in, fan_out)"""
    for name in ("xavier_normal", "xavier_uniform"):
        for fan_in, fan_out in SHAPES:
            expect_array(getattr(learner, name)(fan_in, fan_out, rng),
                         f"{name}({fan_in}, {fan_out}, rng)", shape=(fan_in, fan_out))


@pytest.mark.points(2)
def test_normal_scale(learner, rng):
    """xavier_normal has std sqrt(2/(fan_in+fan_out)), zero mean and a bell shape"""
    for fan_in, fan_out in NORMAL:
        what = f"xavier_normal({fan_in}, {fan_out}, rng)"
        W = expect_array(learner.xavier_normal(fan_in, fan_out, rng), what,
                         shape=(fan_in, fan_out))
        expect_normal(W, normal_std(fan_in, fan_out), what,
                      mistakes=scale_mistakes(fan_in, fan_out, correct="xavier_normal"),
                      formula="sqrt(2/(fan_in+fan_out))")
    small = pooled_draws(learner, "xavier_normal", *SMALL, rng, draws=POOL)
    expect_normal(small, normal_std(*SMALL), f"xavier_normal{SMALL}, {POOL} draws pooled",
                  mistakes=scale_mistakes(*SMALL, correct="xavier_normal"),
                  formula="sqrt(2/(fan_in+fan_out))")


@pytest.mark.points(1)
def test_normal_gain(learner, rng):
    """gain multiplies xavier_normal's std (tanh's gain 5/3)"""
    gain = 5 / 3
    what = "xavier_normal(290, 120, rng, gain=5/3)"
    W = expect_array(learner.xavier_normal(290, 120, rng, gain=gain), what, shape=(290, 120))
    expect_normal(W, normal_std(290, 120, gain), what,
                  mistakes=scale_mistakes(290, 120, gain=gain, correct="xavier_normal"),
                  formula="gain*sqrt(2/(fan_in+fan_out))")


@pytest.mark.points(2)
def test_uniform_bounds(learner, rng):
    """xavier_uniform is flat on ±sqrt(6/(fan_in+fan_out))"""
    for fan_in, fan_out in UNIFORM:
        what = f"xavier_uniform({fan_in}, {fan_out}, rng)"
        W = expect_array(learner.xavier_uniform(fan_in, fan_out, rng), what,
                         shape=(fan_in, fan_out))
        expect_uniform(W, uniform_bound(fan_in, fan_out), what,
                       mistakes=scale_mistakes(fan_in, fan_out, correct="xavier_uniform"),
                       formula="sqrt(6/(fan_in+fan_out))")
    small = pooled_draws(learner, "xavier_uniform", *SMALL, rng, draws=POOL)
    expect_uniform(small, uniform_bound(*SMALL), f"xavier_uniform{SMALL}, {POOL} draws pooled",
                   mistakes=scale_mistakes(*SMALL, correct="xavier_uniform"),
                   formula="sqrt(6/(fan_in+fan_out))")


@pytest.mark.points(1)
def test_uniform_gain(learner, rng):
    """gain multiplies xavier_uniform's bound (ReLU's gain sqrt 2)"""
    gain = math.sqrt(2)
    what = "xavier_uniform(340, 90, rng, gain=sqrt(2))"
    W = expect_array(learner.xavier_uniform(340, 90, rng, gain=gain), what, shape=(340, 90))
    expect_uniform(W, uniform_bound(340, 90, gain), what,
                   mistakes=scale_mistakes(340, 90, gain=gain, correct="xavier_uniform"),
                   formula="gain*sqrt(6/(fan_in+fan_out))")


@pytest.mark.points(2)
def test_reproducible(learner, seed):
    """weights come from rng alone: same generator state, same weights; another, others"""
    for name in ("xavier_normal", "xavier_uniform"):
        expect_reproducible(learner, lambda rng, name=name: getattr(learner, name)(20, 30, rng),
                            f"{name}(20, 30, rng)", seed=seed)


@pytest.mark.points(1)
def test_fresh_draws(learner, rng):
    """every weight is its own draw: no repeated rows or columns"""
    for name in ("xavier_normal", "xavier_uniform"):
        expect_fresh_draws(learner, name, 50, 80, rng)
