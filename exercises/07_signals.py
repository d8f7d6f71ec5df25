# Exercise 07 · Vanishing and exploding signals
#
# Build a deep stack of dense layers with zero biases, push a batch through it, and watch the
# spread of the activations layer after layer under several initialisation schemes; then push a
# gradient back through it and watch the weight gradients, layer by layer.
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
# - `weight_gradients(X, weights, name, G)`: the backward pass through the same network. With
#   `Z_k = A_{k-1} @ W_k` (so `A_k = act(Z_k)`) and `G`, of the shape of `A_L`, the gradient of
#   some loss with respect to the last layer's output, back-propagate: `dA_L = G`, then for
#   `k = L, ..., 1`: `dZ_k = dA_k * act'(Z_k)`, `dW_k = A_{k-1}.T @ dZ_k`,
#   `dA_{k-1} = dZ_k @ W_k.T`. Return a float array of shape `(L,)` whose entry `k - 1` is the
#   Frobenius norm of `dW_k`, the gradient of the `k`-th weight matrix (`np.linalg.norm(dW)`).
#   The slopes `act'` are `1` (linear), `1 - tanh(Z)**2`, `1` where `Z > 0` else `0` (ReLU), and
#   `s * (1 - s)` with `s = sigmoid(Z)`.
#
# The file also has two helpers for you to fill in and use, `activate(Z, name)` and
# `slope(Z, name)`; the checks call only the three functions above.
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


def slope(Z, name):
    """The derivative act'(Z) of the activation `name`, entrywise."""
    raise NotImplementedError("your code here")


def layer_stats(X, weights, name):
    """Mean, std and mean square of every layer's activations (zero biases)."""
    raise NotImplementedError("your code here")


def weight_gradients(X, weights, name, G):
    """Frobenius norm of dW_k for every layer, back-propagating G = dL/dA_L."""
    raise NotImplementedError("your code here")
