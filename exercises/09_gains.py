# Exercise 09 · Gains and fans, as torch.nn.init computes them
#
# Every scaled initialiser is `std = gain / sqrt(fan)`. Write the two ingredients, then put them
# together.
#
# - `calculate_gain(nonlinearity, param=None)` returns the gain (a float) that
#   `torch.nn.init.calculate_gain` returns for the same lower-case name:
#   - `"linear"`, `"sigmoid"` and the convolutions `"conv1d"`, `"conv2d"`, `"conv3d"`,
#     `"conv_transpose1d"`, `"conv_transpose2d"`, `"conv_transpose3d"`: `1`;
#   - `"tanh"`: `5/3`; `"relu"`: `sqrt(2)`; `"selu"`: `3/4`;
#   - `"leaky_relu"`: `sqrt(2 / (1 + slope**2))`, where `slope` is `param`, or `0.01` when `param`
#     is `None`. A `param` that is not an `int` or a `float` raises `ValueError`: a string,
#     even `"0.5"`, and a `bool` (`True` is an `int` in Python, but not a slope). Note that
#     `param=0` is a valid slope (plain ReLU), not "no slope given".
#   - `param` is ignored by every other name; any other name raises `ValueError`, `"identity"`
#     included: torch's docstring lists "Linear / Identity" in its table of gains, but its code
#     accepts only `"linear"` and raises `ValueError` for `"identity"`.
# - `compute_fans(shape)` returns the pair `(fan_in, fan_out)` (two ints) for a weight array of
#   shape `shape` (a tuple), in **this kit's numpy layout**:
#   - a dense kernel is `(fan_in, fan_out)`, used as `X @ W + b`;
#   - a convolution kernel is `(k1, ..., kd, in_channels, out_channels)`, for instance
#     `(kh, kw, in_channels, out_channels)` in 2-D: the spatial sizes first, the two channel
#     counts last. Each output value sees `in_channels * k1 * ... * kd` inputs, and each input
#     value feeds `out_channels * k1 * ... * kd` outputs: the *receptive field* `k1 * ... * kd`
#     multiplies both fans.
#   - A shape with fewer than 2 dimensions raises `ValueError`.
# - `kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu")` returns the standard
#   deviation that `torch.nn.init.kaiming_normal_` uses: `calculate_gain(nonlinearity, a) /
#   sqrt(fan)`, where `fan` is `fan_in` or `fan_out` of `shape` according to `mode`; any other
#   `mode` raises `ValueError`.
#
# Check your work with `grader check 09`; ask for a hint with `grader hint 09`.
# Generated from cards/09-gains.md by `grader build`. Edit the code below.

import math


def calculate_gain(nonlinearity, param=None):
    """The gain torch.nn.init.calculate_gain recommends for `nonlinearity` (a float)."""
    raise NotImplementedError("your code here")


def compute_fans(shape):
    """(fan_in, fan_out) of a (fan_in, fan_out) or (k1, ..., kd, in, out) kernel shape."""
    raise NotImplementedError("your code here")


def kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """The std torch.nn.init.kaiming_normal_ uses for a kernel of this shape."""
    raise NotImplementedError("your code here")
