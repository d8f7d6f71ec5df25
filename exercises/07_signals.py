# Exercise 07 · Vanishing and exploding signals
#
# Build a deep stack of dense layers with zero biases, push a batch through it, and watch the
# spread of the activations layer after layer under several initialisation schemes.
#
# - `init_weights(layer_sizes, scheme, rng)`: for sizes `[n0, n1, ..., nL]` return a list of `L`
#   weight matrices, the `k`-th of shape `(n_{k-1}, n_k)`, drawn from `rng` in that order. With
#   `fan_in, fan_out` the matrix's two sizes, `scheme` is one of:
#
#   | scheme | entries |
#   | --- | --- |
#   | `"small"` | `N(0, 0.01**2)`: standard deviation 0.01, the `randn * 0.01` of the lectures |
#   | `"standard"` | `N(0, 1)`: plain `randn` |
#   | `"lecun"` | `N(0, 1 / fan_in)` |
#   | `"xavier"` | `N(0, 2 / (fan_in + fan_out))` |
#   | `"he"` | `N(0, 2 / fan_in)` |
#   | `"glorot-bengio-old"` | `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`, the older heuristic that Glorot and Bengio (2010) examined |
#
#   In `N(0, v)` the second number is the **variance**. Any other scheme raises `ValueError`.
# - `layer_stats(X, weights, name)`: with `A_0 = X` (shape `(n, n0)`) and
#   `A_k = act(A_{k-1} @ W_k)` for every matrix in `weights` (no biases, the same activation in
#   every layer, the last one included), return a dict with three float arrays of shape `(L,)`:
#   `"mean"`, `"std"` and `"mean_sq"`, whose entry `k - 1` is the mean, the standard deviation
#   (numpy's default, `ddof=0`) and the mean of the squares of **all** the entries of `A_k`. The
#   input `X` itself is not reported. `name` is `"linear"` (the identity), `"tanh"`, `"relu"` or
#   `"sigmoid"`; any other name raises `ValueError`.
#
# The file also has a helper `activate(Z, name)` for you to fill in and use; the checks call only
# the two functions above.
#
# Check your work with `grader check 07`; ask for a hint with `grader hint 07`.
# Generated from cards/07-signals.md by `grader build`. Edit the code below.

import numpy as np


def init_weights(layer_sizes, scheme, rng):
    """One weight matrix per consecutive pair of layer_sizes, drawn from rng by `scheme`."""
    raise NotImplementedError("your code here")


def activate(Z, name):
    """The activation `name` applied entrywise."""
    raise NotImplementedError("your code here")


def layer_stats(X, weights, name):
    """Mean, std and mean square of every layer's activations (zero biases)."""
    raise NotImplementedError("your code here")
