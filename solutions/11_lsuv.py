# Reference solution for exercise 11 · LSUV, layer-sequential unit-variance initialisation
# Generated from cards/11-lsuv.md by `grader build`: edit the card, not this file.

import numpy as np


def orthogonal(fan_in, fan_out, rng, gain=1.0):
    """Haar-uniform (semi-)orthogonal weights of shape (fan_in, fan_out) (exercise 10)."""
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    q = q * np.sign(np.diag(r))
    if fan_in < fan_out:
        q = q.T
    return gain * q


def lsuv_init(X, layer_sizes, activation, rng, tol=0.1, max_iter=10):
    """LSUV: orthogonal weights, zero biases, each layer rescaled so that Var(Z_l) is 1 on X."""
    activations = {
        "relu": lambda z: np.maximum(z, 0.0),
        "tanh": np.tanh,
        "linear": lambda z: z,
    }
    if activation not in activations:
        raise ValueError(f"unknown activation {activation!r}")
    f = activations[activation]
    H = np.asarray(X, dtype=float)
    n_layers = len(layer_sizes) - 1
    params = []
    for layer in range(n_layers):
        W = orthogonal(layer_sizes[layer], layer_sizes[layer + 1], rng)
        b = np.zeros((1, layer_sizes[layer + 1]))
        Z = H @ W + b
        for _ in range(max_iter):
            var = Z.var()
            if abs(var - 1.0) < tol:
                break
            W = W / np.sqrt(var)
            Z = H @ W + b
        params.append((W, b))
        H = f(Z) if layer < n_layers - 1 else Z
    return params
