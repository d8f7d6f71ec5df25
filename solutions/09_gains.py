# Reference solution for exercise 09 · Gains and fans, as torch.nn.init computes them
# Generated from cards/09-gains.md by `grader build`: edit the card, not this file.

import math


def calculate_gain(nonlinearity, param=None):
    """The gain torch.nn.init.calculate_gain recommends for `nonlinearity` (a float)."""
    unit = {"linear", "sigmoid", "conv1d", "conv2d", "conv3d",
            "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"}
    if nonlinearity in unit:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"negative slope {param!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope ** 2))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def compute_fans(shape):
    """(fan_in, fan_out) of a (fan_in, fan_out) or (k1, ..., kd, in, out) kernel shape."""
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"a kernel needs at least 2 dimensions, got shape {shape}")
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def kaiming_std(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """The std torch.nn.init.kaiming_normal_ uses for a kernel of this shape."""
    fan_in, fan_out = compute_fans(shape)
    if mode == "fan_in":
        fan = fan_in
    elif mode == "fan_out":
        fan = fan_out
    else:
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', not {mode!r}")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)
