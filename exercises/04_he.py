# Exercise 04 · He (Kaiming) initialisation
#
# Write two functions that return a weight matrix of shape `(fan_in, fan_out)` for a dense layer
# used as `X @ W + b` and followed by a ReLU. Use He's **fan_in** mode. Draw every number from the
# generator `rng` you are given (never from `np.random.*` directly), so that the same seed always
# gives the same weights.
#
# - `he_normal(fan_in, fan_out, rng)`: zero-mean normal draws with variance `2 / fan_in`, that is a
#   standard deviation of `sqrt(2 / fan_in)`.
# - `he_uniform(fan_in, fan_out, rng)`: uniform draws on `[-a, a]` with the same variance,
#   `a = sqrt(6 / fan_in)`.
#
# Both must return a float `numpy.ndarray`.
#
# Check your work with `grader check 04`; ask for a hint with `grader hint 04`.
# Generated from cards/04-he.md by `grader build`. Edit the code below.

import numpy as np


def he_normal(fan_in, fan_out, rng):
    """He normal weights (fan_in mode, for ReLU) of shape (fan_in, fan_out), drawn from rng."""
    raise NotImplementedError("your code here")


def he_uniform(fan_in, fan_out, rng):
    """He uniform weights (fan_in mode, for ReLU) of shape (fan_in, fan_out), drawn from rng."""
    raise NotImplementedError("your code here")
