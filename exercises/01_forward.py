# Exercise 01 · The forward pass of a dense layer
#
# Every later exercise in this deck initialises the weights of a fully connected network. This one
# builds the pieces those networks are made of. A layer with `fan_in` inputs and `fan_out` units
# holds a weight matrix `W` of shape `(fan_in, fan_out)` and a bias `b` of shape `(1, fan_out)`; a
# batch `X` of shape `(m, fan_in)` (one example per row) goes through it as `X @ W + b`.
#
# Write three functions:
#
# - `activation(Z, name)`: apply the activation called `name` to every entry of the array `Z`
#   and return an array of the same shape. The names are
#   - `"linear"`: `Z` unchanged,
#   - `"sigmoid"`: `1 / (1 + exp(-z))`,
#   - `"tanh"`: the hyperbolic tangent,
#   - `"relu"`: `max(0, z)`.
#
#   Any other name (a typo such as `"sigmod"`, or `"softmax"`) must raise `ValueError`.
#   The sigmoid must give the right answer for every float, including `z = 800` and `z = -800`:
#   no `nan` and no `inf` in the result.
# - `dense_forward(X, W, b, name)`: the layer's output, `activation(X @ W + b, name)`, of shape
#   `(m, fan_out)`.
# - `count_parameters(layer_sizes)`: the number of trainable numbers (weights and biases) in a
#   fully connected network whose layer widths, input first, are the list `layer_sizes`. Return an
#   `int`. For example `count_parameters([3, 4, 1])` is `21`, and a list with a single width (an
#   input and nothing else) has `0` parameters.
#
# Check your work with `grader check 01`; ask for a hint with `grader hint 01`.
# Generated from cards/01-forward.md by `grader build`. Edit the code below.

import numpy as np


def activation(Z, name):
    """Apply the activation `name` ("linear", "sigmoid", "tanh" or "relu") entrywise to Z."""
    raise NotImplementedError("your code here")


def dense_forward(X, W, b, name):
    """Output of a dense layer: activation(X @ W + b, name), shape (m, fan_out)."""
    raise NotImplementedError("your code here")


def count_parameters(layer_sizes):
    """Number of weights plus biases of a fully connected net with these layer widths."""
    raise NotImplementedError("your code here")
