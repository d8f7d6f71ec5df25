# Exercise 03 · Xavier (Glorot) initialisation
#
# Write two functions that return a weight matrix of shape `(fan_in, fan_out)` for a dense layer
# used as `X @ W + b`. Draw every number from the generator `rng` you are given (never from
# `np.random.*` directly), so that the same seed always gives the same weights.
#
# - `xavier_normal(fan_in, fan_out, rng, gain=1.0)`: zero-mean normal draws with standard
#   deviation `gain * sqrt(2 / (fan_in + fan_out))`.
# - `xavier_uniform(fan_in, fan_out, rng, gain=1.0)`: uniform draws on `[-a, a]` with
#   `a = gain * sqrt(6 / (fan_in + fan_out))`.
#
# Both must return a float `numpy.ndarray`.
#
# Check your work with `grader check 03`; ask for a hint with `grader hint 03`.
# Generated from cards/03-xavier.md by `grader build`. Edit the code below.

import numpy as np


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """Glorot normal weights of shape (fan_in, fan_out), drawn from rng."""
    raise NotImplementedError("your code here")


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """Glorot uniform weights of shape (fan_in, fan_out), drawn from rng."""
    raise NotImplementedError("your code here")
