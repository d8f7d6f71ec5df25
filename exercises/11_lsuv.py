# Exercise 11 · LSUV, layer-sequential unit-variance initialisation
#
# Mishkin and Matas (2016) start from orthogonal weights and then *measure* instead of derive:
# they push a batch through the network and rescale each layer, in order, until its output has
# variance 1. Write
#
# `lsuv_init(X, layer_sizes, activation, rng, tol=0.1, max_iter=10)`
#
# - `X`: a batch of inputs, shape `(n, layer_sizes[0])`.
# - `layer_sizes`: `[d_0, d_1, ..., d_L]`; layer `l` (from 1 to `L`) has weights `W_l` of shape
#   `(d_{l-1}, d_l)` and bias `b_l` of shape `(1, d_l)`.
# - The network: `H_0 = X`, `Z_l = H_{l-1} @ W_l + b_l`, `H_l = f(Z_l)` for the hidden layers
#   `l < L`, where `f` is `activation`: `"relu"`, `"tanh"` or `"linear"` (the identity); any other
#   name raises `ValueError`. The last layer has no activation.
# - Start every `W_l` from `orthogonal(d_{l-1}, d_l, rng)` (the Haar-uniform orthogonal matrix of
#   exercise 10, gain 1; paste your solution into the helper) and every `b_l` at zero.
# - Then for `l = 1, ..., L` in order: compute `Z_l` on the batch through the layers *already
#   calibrated*; while `|Var(Z_l) - 1| >= tol` and fewer than `max_iter` rescales were made,
#   divide `W_l` by `sqrt(Var(Z_l))` and recompute `Z_l`. `Var` is the variance of all the entries
#   of `Z_l` together (`Z.var()`), one number per layer.
# - Return the list `[(W_1, b_1), ..., (W_L, b_L)]`.
#
# We normalise the **pre-activation** `Z_l`, the output of the linear layer itself. Only
# `lsuv_init` is checked; `orthogonal` is a helper.
#
# Check your work with `grader check 11`; ask for a hint with `grader hint 11`.
# Generated from cards/11-lsuv.md by `grader build`. Edit the code below.

import numpy as np


def orthogonal(fan_in, fan_out, rng, gain=1.0):
    """Haar-uniform (semi-)orthogonal weights of shape (fan_in, fan_out) (exercise 10)."""
    raise NotImplementedError("your code here")


def lsuv_init(X, layer_sizes, activation, rng, tol=0.1, max_iter=10):
    """LSUV: orthogonal weights, zero biases, each layer rescaled so that Var(Z_l) is 1 on X."""
    raise NotImplementedError("your code here")
