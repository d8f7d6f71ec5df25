# Reference solution for exercise 01 · The forward pass of a dense layer
# Generated from cards/01-forward.md by `grader build`: edit the card, not this file.

import numpy as np


def activation(Z, name):
    """Apply the activation `name` ("linear", "sigmoid", "tanh" or "relu") entrywise to Z."""
    Z = np.asarray(Z, dtype=float)
    if name == "linear":
        return Z.copy()
    if name == "sigmoid":
        e = np.exp(-np.abs(Z))
        return np.where(Z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0.0)
    raise ValueError(f"unknown activation {name!r}")


def dense_forward(X, W, b, name):
    """Output of a dense layer: activation(X @ W + b, name), shape (m, fan_out)."""
    return activation(X @ W + b, name)


def count_parameters(layer_sizes):
    """Number of weights plus biases of a fully connected net with these layer widths."""
    total = 0
    for i in range(len(layer_sizes) - 1):
        n_in, n_out = layer_sizes[i], layer_sizes[i + 1]
        total += n_in * n_out + n_out
    return int(total)
