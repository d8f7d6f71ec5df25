# Exercise 05 · Initialise a whole network
#
# Write `initialize_parameters(layer_sizes, activations, rng)` for a dense network in which layer
# `l` computes `A_l = g_l(A_{l-1} @ W_l + b_l)`.
#
# - `layer_sizes` lists the widths from the input to the output, e.g. `[784, 256, 128, 10]`;
#   `activations` lists one name per layer, so `len(activations) == len(layer_sizes) - 1`, and
#   `activations[l - 1]` is the function `g_l` applied to the output of layer `l`. Names are
#   `"relu"`, `"tanh"`, `"sigmoid"` and `"linear"`.
# - Return a dict with keys `"W1", "b1", ..., "WL", "bL"` (counted from 1; `L = len(activations)`).
#   `W_l` has shape `(layer_sizes[l-1], layer_sizes[l])`, i.e. `(fan_in, fan_out)`; `b_l` has
#   shape `(1, layer_sizes[l])`.
# - Layers followed by `"relu"` get He normal weights, standard deviation `sqrt(2 / fan_in)`.
#   Layers followed by `"tanh"`, `"sigmoid"` or `"linear"` get Xavier (Glorot) normal weights with
#   gain 1, standard deviation `sqrt(2 / (fan_in + fan_out))`.
# - Every bias is zero.
# - Draw every weight from `rng` (never from `np.random.*`), each layer from its own fresh draw.
#
# Your file must stand on its own: write any helper you want in it (the stub offers one,
# `layer_std`; you may change or remove it) rather than importing your earlier exercises.
#
# Check your work with `grader check 05`; ask for a hint with `grader hint 05`.
# Generated from cards/05-network.md by `grader build`. Edit the code below.

import numpy as np


def layer_std(activation, fan_in, fan_out):
    """Standard deviation of the normal weights of a layer followed by `activation`."""
    raise NotImplementedError("your code here")


def initialize_parameters(layer_sizes, activations, rng):
    """Weights W1..WL of shape (fan_in, fan_out) and zero biases b1..bL of shape (1, fan_out)."""
    raise NotImplementedError("your code here")
