# Exercise 02 · Why constant initialisation fails (symmetry)
#
# Build a network with one hidden layer and use it to show what happens when every weight
# starts at the same value.
#
# The network: `n_in` inputs, `n_h` hidden units with `tanh`, one output unit with the sigmoid
# `s(z) = 1 / (1 + exp(-z))`. Its parameters are a dict `params` with the keys
#
# | key | shape | role |
# | --- | --- | --- |
# | `"W1"` | `(n_in, n_h)` | column `j` holds the incoming weights of hidden unit `j` |
# | `"b1"` | `(1, n_h)` | entry `j` is the bias of hidden unit `j` |
# | `"W2"` | `(n_h, 1)` | row `j` is the outgoing weight of hidden unit `j` |
# | `"b2"` | `(1, 1)` | the output bias |
#
# A batch `X` has shape `(m, n_in)` and the labels `Y` (0 or 1) shape `(m, 1)`. The loss is the
# mean binary cross-entropy `L = -mean(Y * log(A2) + (1 - Y) * log(1 - A2))`.
#
# Write:
#
# - `forward(X, params)`: return the tuple `(A1, A2)` with `A1 = tanh(X @ W1 + b1)`, shape
#   `(m, n_h)`, and `A2 = s(A1 @ W2 + b2)`, shape `(m, 1)`.
# - `gradients(X, Y, params)`: the gradient of `L` with respect to every parameter, as a dict with
#   the keys `"dW1"`, `"db1"`, `"dW2"`, `"db2"`, each of the same shape as the parameter it
#   belongs to.
# - `train(X, Y, params, lr, steps)`: run `steps` steps of full-batch gradient descent,
#   `p <- p - lr * dp` for all four parameters at once, and return the new params dict. The dict
#   you were given, and its arrays, must not change.
# - `constant_init(n_in, n_hidden, value)`: a params dict with the shapes above
#   (`n_h = n_hidden`) in which every entry of every array equals `value`.
# - `units_identical(params, tol=1e-9)`: `True` when every hidden unit `j` has the same incoming
#   weights, bias and outgoing weight as unit `0`, each entry within `tol`
#   (`|W1[:, j] - W1[:, 0]| <= tol`, `|b1[0, j] - b1[0, 0]| <= tol`,
#   `|W2[j, :] - W2[0, :]| <= tol`: an absolute tolerance, with no relative part such as
#   `np.allclose`'s `rtol`), else `False`. Return a Python `bool`.
#
# Your file starts with a numerically stable `_sigmoid(z)`, the one from exercise 01: use it.
#
# The checks then use your own functions to show three facts: from a constant start the hidden
# units are still identical after training; from an all-zero start the hidden layer's gradient is
# exactly zero; from a random start the units part ways.
#
# Check your work with `grader check 02`; ask for a hint with `grader hint 02`.
# Generated from cards/02-symmetry.md by `grader build`. Edit the code below.

import numpy as np


def _sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), exponentiating only -|z| (no overflow)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def forward(X, params):
    """Return (A1, A2): tanh hidden activations (m, n_h) and sigmoid outputs (m, 1)."""
    raise NotImplementedError("your code here")


def gradients(X, Y, params):
    """Gradients of the mean binary cross-entropy: dict with dW1, db1, dW2, db2."""
    raise NotImplementedError("your code here")


def train(X, Y, params, lr, steps):
    """Run `steps` steps of full-batch gradient descent; return new params, input untouched."""
    raise NotImplementedError("your code here")


def constant_init(n_in, n_hidden, value):
    """Params W1 (n_in, n_hidden), b1 (1, n_hidden), W2 (n_hidden, 1), b2 (1, 1), all `value`."""
    raise NotImplementedError("your code here")


def units_identical(params, tol=1e-9):
    """True iff every hidden unit has unit 0's incoming weights, bias and outgoing weight."""
    raise NotImplementedError("your code here")
