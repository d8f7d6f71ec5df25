# Reference solution for exercise 10 · Orthogonal initialisation
# Generated from cards/10-orthogonal.md by `grader build`: edit the card, not this file.

import numpy as np


def orthogonal(fan_in, fan_out, rng, gain=1.0):
    """Haar-uniform (semi-)orthogonal weights of shape (fan_in, fan_out), times gain."""
    rows, cols = max(fan_in, fan_out), min(fan_in, fan_out)
    a = rng.standard_normal((rows, cols))
    q, r = np.linalg.qr(a)  # q: (rows, cols), orthonormal columns
    q = q * np.sign(np.diag(r))  # the sign correction: now diag(R) > 0, Q is Haar
    if fan_in < fan_out:
        q = q.T  # wide: orthonormal rows
    return gain * q


def deep_linear_norms(X, weights):
    """Frobenius norms of X, X @ W1, X @ W1 @ W2, ... (length len(weights) + 1)."""
    h = np.asarray(X, dtype=float)
    norms = [np.linalg.norm(h)]
    for W in weights:
        h = h @ W
        norms.append(np.linalg.norm(h))
    return np.array(norms)
