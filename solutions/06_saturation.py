# Reference solution for exercise 06 · Weight scale and saturation
# Generated from cards/06-saturation.md by `grader build`: edit the card, not this file.

import numpy as np


def saturation_fraction(A, name, threshold=0.99):
    """Fraction of the entries of A that sit near an asymptote of `name`."""
    A = np.asarray(A, dtype=float)
    if name == "tanh":
        saturated = np.abs(A) > threshold
    elif name == "sigmoid":
        saturated = (A > threshold) | (A < 1.0 - threshold)
    else:
        raise ValueError(f"unknown activation {name!r}: use 'tanh' or 'sigmoid'")
    return float(np.mean(saturated))


def layer_activations(X, scale, name, n_out, rng):
    """act(X @ W) for one fresh W ~ N(0, scale**2) of shape (n_in, n_out), zero biases."""
    X = np.asarray(X, dtype=float)
    if name not in ("tanh", "sigmoid"):
        raise ValueError(f"unknown activation {name!r}: use 'tanh' or 'sigmoid'")
    W = rng.normal(0.0, scale, size=(X.shape[1], n_out))
    Z = X @ W
    if name == "tanh":
        return np.tanh(Z)
    return 0.5 * (1.0 + np.tanh(0.5 * Z))  # the sigmoid, without overflow in exp


def layer_saturation(X, scale, name, n_out, rng, threshold=0.99):
    """Saturated fraction of the activations of one fresh layer at this weight scale."""
    A = layer_activations(X, scale, name, n_out, rng)
    return saturation_fraction(A, name, threshold)


def saturation_curve(X, scales, name, n_out, rng, threshold=0.99):
    """Saturated fraction for each scale in turn, drawing a fresh layer each time."""
    return np.array([layer_saturation(X, s, name, n_out, rng, threshold) for s in scales])
