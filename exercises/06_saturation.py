# Exercise 06 · Weight scale and saturation
#
# A tanh or sigmoid unit is *saturated* when its output sits next to one of its asymptotes: there
# its slope is almost zero and back-propagation passes almost nothing through it. Measure how the
# share of saturated units grows with the scale of the random weights.
#
# Every layer here is dense, with zero biases: `A = act(X @ W)`, where `X` has shape
# `(n, n_in)` and `W` has shape `(n_in, n_out)`. `name` is `"tanh"` or `"sigmoid"`; any other
# name raises `ValueError`. Draw every random number from the generator `rng` you are given.
#
# - `saturation_fraction(A, name, threshold=0.99)`: the fraction (a float between 0 and 1) of the
#   entries of the array `A` (any shape) that are saturated. For tanh an entry is saturated when
#   `|a| > threshold`; for sigmoid when `a > threshold` or `a < 1 - threshold`.
# - `layer_activations(X, scale, name, n_out, rng)`: draw `W` with independent `N(0, scale**2)`
#   entries (`scale` is the **standard deviation**) and return `act(X @ W)`, shape `(n, n_out)`.
# - `layer_saturation(X, scale, name, n_out, rng, threshold=0.99)`: the saturated fraction of the
#   activations of one freshly drawn layer at that scale (a float).
# - `saturation_curve(X, scales, name, n_out, rng, threshold=0.99)`: a float array of shape
#   `(len(scales),)` whose entry `k` is the saturated fraction of a **fresh** layer drawn at
#   `scales[k]`, the layers being drawn in the order of `scales`: from a generator in the same
#   state it gives exactly `[layer_saturation(X, s, name, n_out, rng, threshold) for s in scales]`.
#
# Check your work with `grader check 06`; ask for a hint with `grader hint 06`.
# Generated from cards/06-saturation.md by `grader build`. Edit the code below.

import numpy as np


def saturation_fraction(A, name, threshold=0.99):
    """Fraction of the entries of A that sit near an asymptote of `name`."""
    raise NotImplementedError("your code here")


def layer_activations(X, scale, name, n_out, rng):
    """act(X @ W) for one fresh W ~ N(0, scale**2) of shape (n_in, n_out), zero biases."""
    raise NotImplementedError("your code here")


def layer_saturation(X, scale, name, n_out, rng, threshold=0.99):
    """Saturated fraction of the activations of one fresh layer at this weight scale."""
    raise NotImplementedError("your code here")


def saturation_curve(X, scales, name, n_out, rng, threshold=0.99):
    """Saturated fraction for each scale in turn, drawing a fresh layer each time."""
    raise NotImplementedError("your code here")
