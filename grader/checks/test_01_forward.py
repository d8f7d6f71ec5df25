"""Hidden checks for exercise 01: activations, a dense layer's forward pass, parameter counts."""

import itertools

import numpy as np
import pytest

from grader.checkapi.expect import (
    expect_array,
    expect_close,
    expect_raises,
    fail,
    fmt,
    is_number,
)

NAMES = ("linear", "sigmoid", "tanh", "relu")
FORMULAS = {
    "linear": "z itself",
    "sigmoid": "1 / (1 + exp(-z))",
    "tanh": "(exp(z) - exp(-z)) / (exp(z) + exp(-z)), np.tanh",
    "relu": "max(0, z)",
}
# Loose enough for a float32 solution, far tighter than any wrong formula.
RTOL, ATOL = 1e-5, 1e-6
SHAPES = [(5,), (3, 7), (1, 1), (40, 25)]
# (m, fan_in, fan_out): non-square everywhere, a single example, a single unit, a wider batch.
LAYERS = [(7, 5, 3), (1, 4, 6), (9, 3, 1), (128, 64, 20)]


def sigmoid(z):
    """The logistic function, exponentiating only -|z| so that it never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def reference(Z, name):
    return {"linear": lambda z: z, "sigmoid": sigmoid, "tanh": np.tanh,
            "relu": lambda z: np.maximum(z, 0.0)}[name](Z)


def lookalikes(Z):
    """Wrong activations a learner may plausibly return, with what each one is."""
    with np.errstate(all="ignore"):
        return [
            ("linear", Z, "z returned unchanged"),
            ("sigmoid", sigmoid(Z), "that is the sigmoid 1 / (1 + exp(-z))"),
            ("tanh", np.tanh(Z), "that is tanh(z)"),
            ("relu", np.maximum(Z, 0.0), "that is relu, max(0, z)"),
            ("mirrored sigmoid", sigmoid(-Z), "that is 1 / (1 + exp(+z)): the sign inside exp "
                                              "is flipped"),
            ("half-width tanh", np.tanh(Z / 2), "that is 2*sigmoid(z) - 1 = tanh(z/2), not "
                                                "tanh(z)"),
            ("leaky relu", np.maximum(Z, 0.01 * Z), "that is a leaky relu (slope 0.01 for "
                                                    "z < 0); relu sends every negative z to 0"),
            ("absolute value", np.abs(Z), "that is |z|; relu sends every negative z to 0"),
            ("min", np.minimum(Z, 0.0), "that is min(0, z): the comparison is the wrong way "
                                        "round"),
        ]


def explain(result, Z, name):
    """A sentence naming the wrong activation the learner's result matches, if any."""
    for label, values, words in lookalikes(Z):
        if label == name:
            continue
        if np.allclose(result, values, rtol=RTOL, atol=ATOL):
            return f" It matches {label}: {words}; {name}(z) is {FORMULAS[name]}."
    return f" {name}(z) is {FORMULAS[name]}."


def expect_activation(learner, Z, name):
    what = f"activation(Z, {name!r}) with Z of shape {Z.shape}"
    A = expect_array(learner.activation(Z, name), what, shape=Z.shape, finite=False)
    if not np.all(np.isfinite(A)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(A))[0])
        fail(f"{what} gives {A[where]} at z = {fmt(Z[where])}; expected "
             f"{fmt(reference(Z, name)[where])}. An overflow in exp? Exponentiate only -|z|.")
    expect_matches(A, Z, name, what)


def expect_matches(A, Z, name, what):
    """A is activation(Z, name), or the failure names the entry and the wrong formula."""
    expected = reference(Z, name)
    if not np.allclose(A, expected, rtol=RTOL, atol=ATOL):
        bad = np.abs(A.astype(float) - expected)
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
        fail(f"{what} is wrong: at z = {fmt(Z[where])} it gives {fmt(A[where])} where "
             f"{fmt(expected[where])} was expected." + explain(A, Z, name))


def mixed_inputs(rng):
    """Mixed-sign inputs with exact zeros and both signs well represented."""
    out = []
    for shape in SHAPES:
        Z = rng.normal(0.0, 3.0, size=shape)
        Z.flat[0] = 0.0
        out.append(Z)
    return out


@pytest.mark.points(1)
def test_linear_and_relu(learner, rng):
    """linear returns z unchanged and relu returns max(0, z)"""
    for Z in mixed_inputs(rng):
        expect_activation(learner, Z, "linear")
        expect_activation(learner, Z, "relu")


@pytest.mark.points(1)
def test_sigmoid_and_tanh(learner, rng):
    """sigmoid is 1 / (1 + exp(-z)) and tanh is the hyperbolic tangent"""
    grid = np.linspace(-12.0, 12.0, 49).reshape(7, 7)
    for Z in [grid, *mixed_inputs(rng)]:
        expect_activation(learner, Z, "sigmoid")
        expect_activation(learner, Z, "tanh")


@pytest.mark.points(1)
def test_sigmoid_extremes(learner):
    """sigmoid stays finite and right for huge inputs such as z = 800 and z = -800"""
    Z = np.array([[-800.0, -710.0, -40.0, -1.0, 0.0, 1.0, 40.0, 710.0, 800.0]])
    what = "activation(Z, 'sigmoid') with Z = " + np.array2string(Z[0], separator=", ")
    A = expect_array(learner.activation(Z, "sigmoid"), what, shape=Z.shape, finite=False)
    expected = sigmoid(Z)
    if not np.all(np.isfinite(A)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(A))[0])
        hint = ("exp(z) / (1 + exp(z)) is inf / inf there, which is nan"
                if Z[where] > 0 else "a huge exp(-z) turned into inf / inf or inf - inf there")
        fail(f"{what}: at z = {fmt(Z[where])} the sigmoid gives {A[where]} instead of "
             f"{fmt(expected[where])}: exp overflows for arguments above about 709, and "
             f"{hint}. Exponentiate only -|z|: with e = exp(-|z|), sigmoid(z) is 1 / (1 + e) "
             "for z >= 0 and e / (1 + e) for z < 0.")
    if np.any(A < 0) or np.any(A > 1):
        where = tuple(int(i) for i in np.argwhere((A < 0) | (A > 1))[0])
        fail(f"{what}: at z = {fmt(Z[where])} the sigmoid gives {fmt(A[where])}, outside [0, 1]")
    expect_close(A, expected, what, rtol=RTOL, atol=1e-12)


@pytest.mark.points(1)
def test_unknown_name(learner, rng):
    """an unknown activation name raises ValueError instead of passing z through"""
    Z = rng.normal(size=(3, 4))
    for name in ("softmax", "sigmod", "leaky_relu", ""):
        what = f"activation(Z, {name!r})"
        try:
            with expect_raises("ValueError", what):
                learner.activation(Z, name)
        except AssertionError as failure:
            said = str(failure).rstrip(".")  # one full stop, whatever expect_raises ends with
            if "raised nothing" in said:
                fail(f"{said}. A misspelt name must fail loudly: silently returning z (or "
                     "anything else) would turn a typo such as 'sigmod' into a linear layer. "
                     "End the chain of name tests with `raise ValueError(...)`.")
            fail(f"{said}. Check the name yourself and raise ValueError, the exception "
                 "Python uses for an argument of the right type but a bad value (a failed "
                 "dict lookup raises KeyError instead).")


@pytest.mark.points(2)
def test_dense_forward(learner, rng):
    """dense_forward computes activation(X @ W + b) with the shape (m, fan_out)"""
    for m, fan_in, fan_out in LAYERS:
        X = rng.normal(size=(m, fan_in))
        W = rng.normal(0.0, 1.0 / np.sqrt(fan_in), size=(fan_in, fan_out))
        b = rng.normal(0.0, 1.0, size=(1, fan_out))
        Z = X @ W + b
        for name in NAMES:
            what = (f"dense_forward(X, W, b, {name!r}) with X {X.shape}, W {W.shape}, "
                    f"b {b.shape}")
            A = expect_array(learner.dense_forward(X, W, b, name), what, shape=(m, fan_out))
            expected = reference(Z, name)
            if np.allclose(A, expected, rtol=RTOL, atol=ATOL):
                continue
            candidates = [
                (reference(X @ W, name) + b, "the bias was added after the activation: b "
                                             "shifts z, so compute activation(X @ W + b)"),
                (reference(X @ W, name), "the bias b is missing: compute activation(X @ W + b)"),
                (Z, "no activation was applied: the layer's output is activation(X @ W + b)"),
            ]
            for values, words in candidates:
                if np.allclose(A, values, rtol=RTOL, atol=ATOL):
                    fail(f"{what} is wrong: {words}.")
            expect_matches(A, Z, name, what + ", where z = X @ W + b,")


def count_reference(layer_sizes):
    return sum(a * b + b for a, b in itertools.pairwise(layer_sizes))


# Miscounts a learner may make, each as a function of the widths, with what it is. A slip is
# named only when it explains every case, so that a coincidence (the weights of [3, 4, 1] are
# as many as its parameters without the last layer) never names the wrong one.
COUNT_SLIPS = [
    (lambda s: sum(a * b for a, b in itertools.pairwise(s)),
     "that counts the weights only: each layer also has one bias per unit"),
    (lambda s: count_reference(s) + s[0],
     "that gives the input layer biases too: only the layers after the input have biases"),
    (lambda s: sum(a * b + a for a, b in itertools.pairwise(s)),
     "that counts one bias per input of each layer; a bias belongs to each output unit"),
    (lambda s: sum(a * b + 1 for a, b in itertools.pairwise(s)),
     "that counts one bias per layer; each unit has its own bias"),
    (lambda s: count_reference(s[:-1]),
     "that leaves out the last layer: range(len(layer_sizes) - 1) visits every layer"),
]


@pytest.mark.points(1)
def test_count_parameters(learner):
    """count_parameters returns the int number of weights plus biases"""
    cases = [[3, 4, 1], [784, 128, 10], [2, 2], [10, 20, 30, 5], [1, 1, 1, 1, 1], [5]]
    counts = []
    for sizes in cases:
        what = f"count_parameters({sizes})"
        n = learner.count_parameters(list(sizes))
        if not is_number(n):
            fail(f"{what} returned {n!r}; expected the int {count_reference(sizes)}")
        counts.append(n)
    wrong = [(sizes, n) for sizes, n in zip(cases, counts, strict=True)
             if n != count_reference(sizes)]
    if wrong:
        sizes, n = wrong[0]
        expected = count_reference(sizes)
        weights = sum(a * b for a, b in itertools.pairwise(sizes))
        why = next((words for slip, words in COUNT_SLIPS
                    if all(slip(s) == c for s, c in zip(cases, counts, strict=True))),
                   "each layer from n_in to n_out units has n_in * n_out weights and n_out "
                   "biases")
        fail(f"count_parameters({sizes}) returned {n!r}; expected {expected} ({weights} weights "
             f"+ {expected - weights} biases): {why}.")
    for sizes, n in zip(cases, counts, strict=True):
        what = f"count_parameters({sizes})"
        if isinstance(n, np.integer):
            fail(f"{what} returned the numpy {type(n).__name__} {n!r}; expected the Python int "
                 f"{n}: numpy's integers have a fixed width and overflow silently, so convert "
                 "the count with int()")
        if type(n) is not int:
            fail(f"{what} returned the float {n!r}; expected the int {int(n)} (a count is a "
                 "whole number: avoid / and np.float, or wrap the result in int())")
