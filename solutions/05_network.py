# Reference solution for exercise 05 · Initialise a whole network
# Generated from cards/05-network.md by `grader build`: edit the card, not this file.

import numpy as np


def layer_std(activation, fan_in, fan_out):
    """Standard deviation of the normal weights of a layer followed by `activation`."""
    if activation == "relu":
        return np.sqrt(2.0 / fan_in)  # He, fan_in mode
    if activation in ("tanh", "sigmoid", "linear"):
        return np.sqrt(2.0 / (fan_in + fan_out))  # Xavier (Glorot), gain 1
    raise ValueError(f"unknown activation {activation!r}")


def initialize_parameters(layer_sizes, activations, rng):
    """Weights W1..WL of shape (fan_in, fan_out) and zero biases b1..bL of shape (1, fan_out)."""
    params = {}
    for l in range(1, len(layer_sizes)):
        fan_in, fan_out = layer_sizes[l - 1], layer_sizes[l]
        std = layer_std(activations[l - 1], fan_in, fan_out)
        params[f"W{l}"] = rng.normal(0.0, std, size=(fan_in, fan_out))
        params[f"b{l}"] = np.zeros((1, fan_out))
    return params
