# Reference solution for exercise 04 · He (Kaiming) initialisation
# Generated from cards/04-he.md by `grader build`: edit the card, not this file.

import numpy as np


def he_normal(fan_in, fan_out, rng):
    """He normal weights (fan_in mode, for ReLU) of shape (fan_in, fan_out), drawn from rng."""
    std = np.sqrt(2.0 / fan_in)
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def he_uniform(fan_in, fan_out, rng):
    """He uniform weights (fan_in mode, for ReLU) of shape (fan_in, fan_out), drawn from rng."""
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
