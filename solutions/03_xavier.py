# Reference solution for exercise 03 · Xavier (Glorot) initialisation
# Generated from cards/03-xavier.md by `grader build`: edit the card, not this file.

import numpy as np


def xavier_normal(fan_in, fan_out, rng, gain=1.0):
    """Glorot normal weights of shape (fan_in, fan_out), drawn from rng."""
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
    """Glorot uniform weights of shape (fan_in, fan_out), drawn from rng."""
    bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))
