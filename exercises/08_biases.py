# Exercise 08 · What biases do (and do not do) at initialisation
#
# Find out when the biases matter for breaking the symmetry between hidden units. A hidden unit
# `j` of a dense layer used as `X @ W + b` is described by column `W[:, j]` (its incoming
# weights) together with `b[0, j]` (its bias); `W` has shape `(n_in, n_out)`, `b` shape
# `(1, n_out)`.
#
# Write:
#
# - `init_layer(n_in, n_out, rng, weights="random", bias="zero", w_value=0.5, b_value=0.1)`:
#   return the tuple `(W, b)`. `weights="random"` draws `W` from `N(0, 1/n_in)` (LeCun's scale:
#   variance `1/n_in`); `weights="constant"` sets every entry to `w_value`. `bias="zero"` gives
#   zeros; `bias="constant"` sets every entry to `b_value`; `bias="random"` draws from
#   `N(0, b_value**2)` (`b_value` is then the standard deviation). Draw only from `rng`. Any
#   other option raises `ValueError`.
# - `hidden_units_distinct(W, b, tol=1e-9)`: `True` when no two units are the same, that is when
#   for every pair of units `j != k` some incoming weight or the bias differs by more than `tol`
#   (`max(|W[:, j] - W[:, k]|, |b[0, j] - b[0, k]|) > tol`); else `False`. A single unit is
#   distinct. Return a Python `bool`.
# - `weight_spread(W)`: the largest difference between the incoming weights of two units, the
#   maximum over `i`, `j`, `k` of `|W[i, j] - W[i, k]|`, as a float. It is 0 exactly when all the
#   columns of `W` are equal.
# - `spread_history(X, Y, params, lr, steps, activation="tanh")`: starting from `params`, run
#   `steps` steps of full-batch gradient descent (`p <- p - lr * dp` for the four parameters at
#   once) with the given `gradients` function, and return a float array of shape `(steps + 1,)`:
#   `weight_spread(W1)` before the first step, then after each step. Do not change `params` or its
#   arrays.
#
# The network for the last function is given in the file: `params` holds `W1 (n_in, n_h)`,
# `b1 (1, n_h)`, `W2 (n_h, n_out)`, `b2 (1, n_out)`; the hidden layer is
# `H = act(X @ W1 + b1)` with `act` `"tanh"` or `"linear"`, the output `H @ W2 + b2`, the loss
# `sum((output - Y)**2) / (2 m)` for a batch of `m` rows, and
# `gradients(X, Y, params, activation)` returns its gradients as a dict with the keys `"dW1"`,
# `"db1"`, `"dW2"`, `"db2"`.
#
# The checks use your functions on four starts: random weights with zero biases; equal weights
# with equal biases; equal weights with distinct random biases, for tanh and for a linear hidden
# layer.
#
# Check your work with `grader check 08`; ask for a hint with `grader hint 08`.
# Generated from cards/08-biases.md by `grader build`. Edit the code below.

import numpy as np


def gradients(X, Y, params, activation="tanh"):
    """Given: gradients of sum((H @ W2 + b2 - Y)**2) / (2 m), H = act(X @ W1 + b1)."""
    m = X.shape[0]
    Z = X @ params["W1"] + params["b1"]
    if activation == "tanh":
        H = np.tanh(Z)
        slope = 1.0 - H**2
    elif activation == "linear":
        H = Z
        slope = np.ones_like(Z)
    else:
        raise ValueError(f"unknown activation {activation!r}")
    dOut = (H @ params["W2"] + params["b2"] - Y) / m
    dZ = (dOut @ params["W2"].T) * slope
    return {"dW1": X.T @ dZ, "db1": dZ.sum(axis=0, keepdims=True),
            "dW2": H.T @ dOut, "db2": dOut.sum(axis=0, keepdims=True)}


def init_layer(n_in, n_out, rng, weights="random", bias="zero", w_value=0.5, b_value=0.1):
    """Return (W, b): W of shape (n_in, n_out) and b of shape (1, n_out)."""
    raise NotImplementedError("your code here")


def hidden_units_distinct(W, b, tol=1e-9):
    """True when no two units share their incoming weights and bias (within tol)."""
    raise NotImplementedError("your code here")


def weight_spread(W):
    """Largest |W[i, j] - W[i, k]| over all rows i and pairs of columns j, k."""
    raise NotImplementedError("your code here")


def spread_history(X, Y, params, lr, steps, activation="tanh"):
    """weight_spread(W1) before training and after each of `steps` gradient steps."""
    raise NotImplementedError("your code here")
