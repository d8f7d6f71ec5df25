"""Hidden checks for exercise 09: gains and fans, as torch.nn.init computes them."""

import math

import numpy as np
import pytest

from grader.checkapi.expect import (
    CheckFailure,
    expect_close,
    expect_equal,
    expect_raises,
    fail,
    fmt,
    is_number,
)

SQRT2 = math.sqrt(2.0)


def _leaky(slope):
    return math.sqrt(2.0 / (1.0 + slope**2))


# Wrong gains a learner may produce, with the idea each reflects.
GAIN_MISTAKES = [
    (1.0, "that is the gain of linear layers and sigmoid"),
    (SQRT2, "that is ReLU's gain"),
    (5 / 3, "that is tanh's gain"),
    (3 / 4, "that is selu's gain"),
    (2.0, "that is a variance factor used as a gain (gains multiply the std: take the square "
          "root)"),
    (25 / 9, "that is (5/3)**2, a squared gain (gains multiply the std, not the variance)"),
    (0.25, "that is sigmoid's slope at 0 (torch uses 1 for sigmoid)"),
    (_leaky(0.01), "that is leaky_relu's default gain sqrt(2 / (1 + 0.01**2)); relu has slope "
                   "0, so its gain is sqrt(2)"),
]


def _gain(learner, name, *args):
    shown = ", ".join([repr(name), *(repr(a) for a in args)])
    what = f"calculate_gain({shown})"
    value = learner.calculate_gain(name, *args)
    if is_number(value):
        value = float(value)
    return value, what


def _expect_gain(learner, name, expected, formula, *args):
    value, what = _gain(learner, name, *args)
    if isinstance(value, float) and not math.isclose(value, expected, rel_tol=1e-6):
        for wrong, words in GAIN_MISTAKES:
            if math.isclose(value, wrong, rel_tol=1e-6):
                fail(f"{what} returned {fmt(value)}; expected {formula} = {fmt(expected)}: "
                     f"{words}.")
    expect_close(value, expected, f"{what} (expected {formula})", rtol=1e-6)


@pytest.mark.points(1)
def test_unit_gains(learner):
    """Gain 1 for linear, sigmoid and the convolutions"""
    for name in ("linear", "sigmoid", "conv1d", "conv2d", "conv3d",
                 "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
        _expect_gain(learner, name, 1.0, "1")


@pytest.mark.points(2)
def test_tanh_relu_selu(learner):
    """tanh 5/3, relu sqrt(2), selu 3/4"""
    _expect_gain(learner, "tanh", 5 / 3, "5/3")
    _expect_gain(learner, "relu", SQRT2, "sqrt(2)")
    _expect_gain(learner, "selu", 3 / 4, "3/4")
    _expect_gain(learner, "relu", SQRT2, "sqrt(2): param only matters for leaky_relu", 0.3)


@pytest.mark.points(2)
def test_leaky_relu(learner):
    """leaky_relu: sqrt(2 / (1 + slope**2)), default slope 0.01"""
    for args, slope in (((), 0.01), ((None,), 0.01), ((0.2,), 0.2), ((1,), 1.0), ((-0.5,), -0.5),
                        ((3.0,), 3.0), ((0,), 0.0)):
        value, what = _gain(learner, "leaky_relu", *args)
        expected = _leaky(slope)
        if isinstance(value, float) and not math.isclose(value, expected, rel_tol=1e-6):
            hints = [
                (_leaky(0.01), "the default slope 0.01 was used although param was given"
                 + (": `param or 0.01` turns a slope of 0 into 0.01; test `param is None`"
                    if slope == 0 else "")),
                (math.sqrt(2.0 / (1.0 + slope)) if slope > -1 else math.nan,
                 "sqrt(2 / (1 + slope)): the slope must be squared, since the negative half "
                 "keeps slope**2 of its second moment"),
                (2.0 / (1.0 + slope**2), "2 / (1 + slope**2) is the variance factor; the gain "
                 "is its square root"),
                (SQRT2, "sqrt(2) is ReLU's gain, a slope of 0: "
                 + ("param=None means torch's default slope 0.01, not 0" if slope == 0.01
                    else "the slope was ignored")),
                (_leaky(0.2), "a default slope of 0.2 (Keras' LeakyReLU); torch's default is "
                 "0.01"),
            ]
            for wrong, words in hints:
                if math.isclose(value, wrong, rel_tol=1e-6):
                    fail(f"{what} returned {fmt(value)}; expected sqrt(2 / (1 + {slope:g}**2)) "
                         f"= {expected:.6g}: {words}.")
        expect_close(value, expected, f"{what} (expected sqrt(2 / (1 + {slope:g}**2)))",
                     rtol=1e-6)


def _refused(learner, why, *args):
    """calculate_gain(*args) must raise ValueError; on failure, say why it should."""
    what = f"calculate_gain({', '.join(repr(a) for a in args)})"
    try:
        with expect_raises("ValueError", what):
            learner.calculate_gain(*args)
    except CheckFailure as failure:
        fail(f"{failure} {why}")


@pytest.mark.points(1)
def test_unknown_raises(learner):
    """Unknown names (identity included) and slopes that are not numbers raise ValueError"""
    for name in ("gelu", "softmax", "swish", "relu6"):
        _refused(learner, "Only the names torch knows have a gain.", name)
    _refused(learner, "torch's docstring table says 'Linear / Identity', but its code knows "
             "only 'linear' and raises ValueError for 'identity'.", "identity")
    for slope, why in (("steep", "A string is not a slope."),
                       ("0.5", "A string is not a slope, even one that float() could read: "
                               "torch does not convert it, it raises ValueError."),
                       (True, "A bool is not a slope, although isinstance(True, int) is true "
                              "in Python: exclude bool explicitly, as torch does."),
                       (False, "A bool is not a slope, although isinstance(False, int) is true "
                               "in Python: exclude bool explicitly, as torch does."),
                       ([0.2], "A list is not a slope.")):
        _refused(learner, why, "leaky_relu", slope)


def _fans(learner, shape):
    what = f"compute_fans({shape})"
    value = learner.compute_fans(shape)
    if not isinstance(value, list | tuple) or len(value) != 2:
        fail(f"{what} returned {value!r}; expected a pair (fan_in, fan_out)")
    for v in value:
        if isinstance(v, bool | np.bool_) or not isinstance(v, int | np.integer):
            hint = ""
            if isinstance(v, float | np.floating) and v == int(v):
                hint = (": a float such as 300.0 is not a fan (np.prod(()) is the float 1.0; "
                        "math.prod(()) is the int 1)")
            fail(f"{what} returned {value!r}; expected two ints (fan_in, fan_out){hint}")
    return (int(value[0]), int(value[1])), what


@pytest.mark.points(1)
def test_dense_fans(learner):
    """Dense kernels: (fan_in, fan_out) is the shape itself"""
    for shape in ((300, 700), (700, 300), (5, 1), (1, 1)):
        got, what = _fans(learner, shape)
        if got == shape[::-1] and shape[0] != shape[1]:
            fail(f"{what} returned {got}; expected {shape}: the kit's layout is "
                 "(fan_in, fan_out), used as X @ W. (torch's Linear stores (out, in), the other "
                 "way round.)")
        expect_equal(got, shape, what)


def _conv_hints(shape):
    """Wrong pairs a learner may compute for a (k1, ..., kd, in, out) kernel, with the cause."""
    rf = math.prod(shape[:-2])
    torch_rf = math.prod(shape[2:])
    return [
        ((shape[-2], shape[-1]), "the channel counts alone: the receptive field "
         "k1 * ... * kd multiplies both fans"),
        ((shape[-2] * rf, shape[-1]), "the receptive field multiplies fan_out too: each input "
         "value feeds out_channels * k1 * ... * kd products"),
        ((shape[-2], shape[-1] * rf), "the receptive field multiplies fan_in too"),
        ((shape[1] * torch_rf, shape[0] * torch_rf), "torch's rule, fan_in = shape[1] * "
         "prod(shape[2:]), is for torch's (out, in, kh, kw) layout; ours is (kh, kw, in, out), "
         "channels last"),
        ((shape[0], shape[1]), "the first two numbers are the window (kh, kw); the channels "
         "are the last two"),
    ]


@pytest.mark.points(2)
def test_conv_fans(learner):
    """Convolution kernels (k1, ..., kd, in, out): the receptive field multiplies both fans"""
    for shape in ((3, 3, 64, 128), (5, 16, 32), (2, 3, 4, 5, 6), (1, 1, 8, 4), (7, 7, 3, 96)):
        got, what = _fans(learner, shape)
        rf = math.prod(shape[:-2])
        expected = (shape[-2] * rf, shape[-1] * rf)
        if got != expected:
            for wrong, words in _conv_hints(shape):
                if got == wrong:
                    fail(f"{what} returned {got}; expected {expected} (receptive field {rf}): "
                         f"{words}.")
        expect_equal(got, expected, f"{what} (receptive field {rf})")


@pytest.mark.points(1)
def test_fans_need_two_dims(learner):
    """A shape with fewer than 2 dimensions raises ValueError"""
    for shape in ((10,), ()):
        with expect_raises("ValueError", f"compute_fans({shape})"):
            learner.compute_fans(shape)


@pytest.mark.points(2)
def test_kaiming_std(learner):
    """kaiming_std: calculate_gain(nonlinearity, a) / sqrt(fan)"""
    cases = [
        (((300, 700),), {}, SQRT2 / math.sqrt(300), "sqrt(2) / sqrt(300)"),
        (((300, 700),), {"mode": "fan_out"}, SQRT2 / math.sqrt(700), "sqrt(2) / sqrt(700)"),
        (((3, 3, 64, 128),), {}, SQRT2 / math.sqrt(576), "sqrt(2) / sqrt(3*3*64)"),
        (((3, 3, 64, 128),), {"a": 0.2, "mode": "fan_out"}, _leaky(0.2) / math.sqrt(1152),
         "sqrt(2 / 1.04) / sqrt(3*3*128)"),
        (((256, 10),), {"a": math.sqrt(5)}, 1 / math.sqrt(3 * 256),
         "sqrt(2 / 6) / sqrt(256) (torch's nn.Linear default)"),
        (((5, 40, 20),), {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(200), "(5/3) / sqrt(5*40)"),
        (((50, 20),), {"nonlinearity": "relu", "mode": "fan_out"}, SQRT2 / math.sqrt(20),
         "sqrt(2) / sqrt(20)"),
    ]
    for args, kwargs, expected, formula in cases:
        shown = ", ".join([repr(args[0]), *(f"{k}={v!r}" for k, v in kwargs.items())])
        what = f"kaiming_std({shown})"
        value = learner.kaiming_std(*args, **kwargs)
        if is_number(value) and not math.isclose(value, expected, rel_tol=1e-6):
            _kaiming_hint(what, float(value), expected, formula, args[0], kwargs)
        expect_close(value, expected, f"{what} (expected {formula})", rtol=1e-6)
    with expect_raises("ValueError", "kaiming_std((300, 700), mode='fan_avg')"):
        learner.kaiming_std((300, 700), mode="fan_avg")


def _kaiming_hint(what, value, expected, formula, shape, kwargs):
    """Fail with the cause when `value` matches a known wrong formula."""
    rf = math.prod(shape[:-2])
    fans = {"fan_in": shape[-2] * rf, "fan_out": shape[-1] * rf}
    mode = kwargs.get("mode", "fan_in")
    other = "fan_out" if mode == "fan_in" else "fan_in"
    a = kwargs.get("a", 0.0)
    gain = expected * math.sqrt(fans[mode])
    default_gain = SQRT2 if kwargs.get("nonlinearity", "leaky_relu") == "leaky_relu" else gain
    hints = [
        (gain**2 / fans[mode], "that is the variance gain**2 / fan; the std is its square root"),
        (gain / math.sqrt(fans[other]), f"the {other} of the shape was used; mode={mode!r} "
         f"asks for {mode}"),
        (1 / math.sqrt(fans[mode]), "the gain is missing: multiply 1 / sqrt(fan) by "
         "calculate_gain(nonlinearity, a)"),
        (math.sqrt(gain / fans[mode]), "the square root was taken of gain / fan: the gain "
         "multiplies the std, gain / sqrt(fan)"),
        (default_gain / math.sqrt(fans[mode]), f"a = {a:g} was not passed on: the gain is "
         "calculate_gain(nonlinearity, a)"),
    ]
    if kwargs.get("nonlinearity", "leaky_relu") == "leaky_relu":
        hints.append((_leaky(0.01) / math.sqrt(fans[mode]), f"a = {a:g} was not passed on, or "
                      "was read as 'no slope': calculate_gain('leaky_relu') alone uses the "
                      "slope 0.01, but kaiming_std passes its own a (default 0, plain ReLU)"))
    for wrong, words in hints:
        if math.isclose(value, wrong, rel_tol=1e-6) and not math.isclose(wrong, expected,
                                                                          rel_tol=1e-6):
            fail(f"{what} returned {value:.6g}; expected {formula} = {expected:.6g}: {words}.")
