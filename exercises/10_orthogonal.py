# Exercise 10 · Orthogonal initialisation
#
# Write two functions.
#
# - `orthogonal(fan_in, fan_out, rng, gain=1.0)` returns a float `numpy.ndarray` of shape
#   `(fan_in, fan_out)` for a dense layer used as `X @ W + b`:
#   - if `fan_in >= fan_out` its **columns** are orthonormal, `W.T @ W = gain**2 * I`;
#   - if `fan_in < fan_out` its **rows** are orthonormal, `W @ W.T = gain**2 * I` (a wide matrix
#     cannot have more orthonormal columns than it has rows).
#
#   It must be drawn **uniformly** among such matrices (the Haar measure, as
#   `torch.nn.init.orthogonal_` does): take the QR decomposition of a matrix of standard normal
#   draws from `rng` and fix the signs so that no direction is favoured. Draw only from `rng`.
# - `deep_linear_norms(X, weights)` takes a batch `X` of shape `(n, d)` and a list of weight
#   matrices, and returns the 1-D array of the Frobenius norms of the signal at every depth of the
#   linear network `h_0 = X`, `h_k = h_{k-1} @ weights[k-1]`: `[||h_0||, ||h_1||, ..., ||h_L||]`,
#   of length `len(weights) + 1`. No biases, no non-linearity.
#
# Check your work with `grader check 10`; ask for a hint with `grader hint 10`.
# Generated from cards/10-orthogonal.md by `grader build`. Edit the code below.

import numpy as np


def orthogonal(fan_in, fan_out, rng, gain=1.0):
    """Haar-uniform (semi-)orthogonal weights of shape (fan_in, fan_out), times gain."""
    raise NotImplementedError("your code here")


def deep_linear_norms(X, weights):
    """Frobenius norms of X, X @ W1, X @ W1 @ W2, ... (length len(weights) + 1)."""
    raise NotImplementedError("your code here")
