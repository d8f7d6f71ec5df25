"""Hidden checks for 08-biases: zero, equal and distinct biases at initialisation.

Every fact is computed here from the formulas (the network is given in the card, so its
gradients are repeated below) and compared with what the learner's functions say. The hidden
layers stay narrow and the runs short: a matrix product may round different columns in a
different order, and identical units can drift apart by about 1e-16 per step from rounding alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from grader.checkapi.diagnose import Mistake, scale_mistakes
from grader.checkapi.expect import (
    expect_array,
    expect_close,
    expect_distinct,
    expect_normal,
    expect_raises,
    expect_reproducible,
    expect_std,
    fail,
    fmt,
    is_number,
    show_bars,
)

KEYS = ("W1", "b1", "W2", "b2")
# A learner may train in float32: histories agree to RTOL, and spreads below FLOAT32_ZERO (times
# the largest spread, at least 1) count as zero. Float64 rounding between twins is about 1e-16.
RTOL, FLOAT32_ZERO = 1e-4, 1e-6


# ---- the reference network and facts ------------------------------------------------------------

def _gradients(X, Y, p, activation):
    m = X.shape[0]
    Z = X @ p["W1"] + p["b1"]
    if activation == "tanh":
        H = np.tanh(Z)
        slope = 1.0 - H**2
    else:
        H, slope = Z, np.ones_like(Z)
    d_out = (H @ p["W2"] + p["b2"] - Y) / m
    dZ = (d_out @ p["W2"].T) * slope
    return {"W1": X.T @ dZ, "b1": dZ.sum(axis=0, keepdims=True),
            "W2": H.T @ d_out, "b2": d_out.sum(axis=0, keepdims=True)}


def _train(X, Y, p, lr, steps, activation):
    p = {k: np.array(v, dtype=float) for k, v in p.items()}
    out = [p]
    for _ in range(steps):
        g = _gradients(X, Y, p, activation)
        p = {k: p[k] - lr * g[k] for k in KEYS}
        out.append(p)
    return out


def _spread(W) -> float:
    return float(np.max(np.ptp(np.asarray(W, dtype=float), axis=1)))


def _distinct(W, b, tol) -> bool:
    P = np.vstack([np.asarray(W, dtype=float), np.asarray(b, dtype=float).reshape(1, -1)])
    gaps = np.max(np.abs(P[:, :, None] - P[:, None, :]), axis=0)
    return bool(np.all(gaps[np.triu_indices(P.shape[1], k=1)] > tol))


def _data(rng, m=64, n_in=4, n_out=1):
    X = rng.normal(size=(m, n_in))
    Y = np.sin(X @ rng.normal(size=(n_in, n_out))) + 0.5 * np.cos(2 * X[:, :1]) + 0.3
    return X, Y


# ---- calling the learner ------------------------------------------------------------------------

def _layer(learner, n_in, n_out, rng, **options):
    shown = "".join(f", {k}={v!r}" for k, v in options.items())
    what = f"init_layer({n_in}, {n_out}, rng{shown})"
    value = learner.init_layer(n_in, n_out, rng, **options)
    if not isinstance(value, list | tuple) or len(value) != 2:
        fail(f"{what} returned {type(value).__name__}; expected the tuple (W, b)")
    W = expect_array(value[0], f"{what}: W", shape=(n_in, n_out))
    b = expect_array(value[1], f"{what}: b", shape=(1, n_out))
    return W, b


def _network(learner, rng, n_in, n_h, n_out, weights, bias, b_value=0.1):
    W1, b1 = _layer(learner, n_in, n_h, rng, weights=weights, bias=bias, w_value=0.5,
                    b_value=b_value)
    W2, b2 = _layer(learner, n_h, n_out, rng, weights=weights, bias="zero", w_value=0.5)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def _ask_distinct(learner, W, b, expected: bool, what: str, why: str, tol=None) -> None:
    if tol is None:
        value = learner.hidden_units_distinct(W, b)
    else:
        value = learner.hidden_units_distinct(W, b, tol=tol)
    if not isinstance(value, bool):
        fail(f"{what} returned {type(value).__name__} {value!r}; expected a Python bool (wrap "
             "the result in bool(...))")
    if value != expected:
        fail(f"{what} returned {value}; expected {expected}: {why}")


def _history(learner, X, Y, params, lr, steps, activation) -> np.ndarray:
    what = f"spread_history(X, Y, params, lr={lr:g}, steps={steps}, activation={activation!r})"
    value, args_after, _ = learner.call_and_inputs("spread_history", X, Y, params, lr, steps,
                                                   activation)
    after = args_after[2] if len(args_after) > 2 else params
    for key in KEYS:
        if not np.array_equal(np.asarray(after[key]), params[key]):
            fail(f"{what} changed params[{key!r}]: train on copies, "
                 "{k: np.array(v, dtype=float) for k, v in params.items()}")
    if isinstance(value, np.ndarray) and value.shape == (steps,):
        fail(f"{what} returned {steps} values; expected {steps + 1}: the spread before the first "
             "step comes first, then one value after each step")
    history = expect_array(value, what, shape=(steps + 1,))
    expected = np.array([_spread(p["W1"]) for p in _train(X, Y, params, lr, steps, activation)])
    atol = FLOAT32_ZERO * max(float(np.max(expected)), 1.0)
    if not np.allclose(history, expected, rtol=RTOL, atol=atol):
        k = int(np.argmax(np.abs(history - expected)))
        hint = ""
        if k == 0:
            own = learner.weight_spread(params["W1"])
            if is_number(own) and math.isclose(own, history[0], rel_tol=1e-6):
                hint = (" (that is what your weight_spread gives: the spread is the largest "
                        "|W[i, j] - W[i, k]|, see the weight_spread check)")
            else:
                hint = " (the first entry is weight_spread(params['W1']), before any step)"
        elif np.allclose(history[1:], expected[:-1], rtol=RTOL, atol=atol):
            hint = " (your values lag one step behind: record the spread after each update)"
        elif activation != "tanh" and np.allclose(history, [
                _spread(p["W1"]) for p in _train(X, Y, params, lr, steps, "tanh")],
                rtol=RTOL, atol=atol):
            hint = (f" (that is training with tanh: the activation {activation!r} was not passed "
                    "on to gradients, whose default is 'tanh')")
        fail(f"{what}[{k}] is {fmt(history[k])}; expected {fmt(expected[k])}{hint}. The whole "
             f"history: {_row(history)}, expected {_row(expected)}; each step is "
             "p <- p - lr * gradients(X, Y, p, activation)['d' + key] for all four parameters")
    return history, expected


def _bars(title: str, history: np.ndarray) -> None:
    steps = [k for k in (0, 1, 2, 3, 5, 10, 20, 30) if k < len(history)]
    show_bars(title, [f"step {k}" for k in steps], history[steps])


def _row(values) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


# ---- init_layer ---------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_init_options(learner, rng):
    """init_layer returns W (n_in, n_out) and b (1, n_out) for every option"""
    n_in, n_out = 5, 7
    for weights in ("random", "constant"):
        for bias in ("zero", "constant", "random"):
            W, b = _layer(learner, n_in, n_out, rng, weights=weights, bias=bias, w_value=0.3,
                          b_value=0.2)
            shown = f"init_layer(5, 7, rng, weights={weights!r}, bias={bias!r}, w_value=0.3, " \
                    f"b_value=0.2)"
            if weights == "constant":
                expect_close(W, np.full((n_in, n_out), 0.3), f"{shown}: W")
            if bias == "zero":
                expect_close(b, np.zeros((1, n_out)), f"{shown}: b")
            elif bias == "constant":
                expect_close(b, np.full((1, n_out), 0.2), f"{shown}: b")
    with expect_raises("ValueError", "init_layer(3, 2, rng, weights='ones')"):
        learner.init_layer(3, 2, rng, weights="ones")
    with expect_raises("ValueError", "init_layer(3, 2, rng, bias='small')"):
        learner.init_layer(3, 2, rng, bias="small")


@pytest.mark.points(2)
def test_random_weights(learner, rng):
    """random weights are N(0, 1/n_in), every entry its own draw"""
    for n_in, n_out in ((300, 200), (90, 400)):
        W, _ = _layer(learner, n_in, n_out, rng)
        what = f"init_layer({n_in}, {n_out}, rng): W"
        std = math.sqrt(1 / n_in)
        mistakes = scale_mistakes(n_in, n_out, correct="lecun_normal")
        expect_std(W, std, what, mistakes=mistakes, formula="sqrt(1/n_in)")
        expect_normal(W, std, what, mistakes=mistakes, formula="sqrt(1/n_in)")
    # (9, 4): every catalogued scale is at least 16% away from sqrt(1/9)
    draws = learner.repeat(300, "init_layer", 9, 4, rng)
    pooled = np.concatenate([expect_array(np.asarray(d[0]), "init_layer(9, 4, rng): W",
                                          shape=(9, 4)).ravel() for d in draws])
    expect_std(pooled, math.sqrt(1 / 9), "init_layer(9, 4, rng): W, 300 draws pooled",
               mistakes=scale_mistakes(9, 4, correct="lecun_normal"), formula="sqrt(1/n_in)")
    W, _ = _layer(learner, 50, 80, rng)
    expect_distinct(W, "init_layer(50, 80, rng): W", axis=0)
    expect_distinct(W, "init_layer(50, 80, rng): W", axis=1)


@pytest.mark.points(1)
def test_random_biases(learner, rng, seed):
    """random biases are N(0, b_value²), drawn from rng only"""
    for weights in ("constant", "random"):
        _, b = _layer(learner, 2, 12000, rng, weights=weights, bias="random", b_value=0.3)
        what = f"init_layer(2, 12000, rng, weights={weights!r}, bias='random', b_value=0.3): b"
        mistakes = [
            Mistake("b_value**2", 0.09, "b_value is the standard deviation of the biases, not "
                                        "their variance"),
            Mistake("sqrt(b_value)", math.sqrt(0.3), "b_value was used as the variance; it is "
                                                     "the standard deviation"),
            Mistake("sqrt(1/n_in)", math.sqrt(1 / 2), "the weights' scale was used for the "
                                                      "biases"),
            Mistake("1", 1.0, "b_value was not applied (a standard normal)"),
            Mistake("b_value/sqrt(3)", 0.3 / math.sqrt(3), "that is the std of U(-b_value, "
                                                           "b_value): draw from N(0, b_value**2)"),
        ]
        expect_std(b, 0.3, what, mistakes=mistakes, formula="b_value")
        expect_normal(b, 0.3, what, mistakes=mistakes, formula="b_value")
    expect_reproducible(
        learner, lambda r: learner.init_layer(10, 20, r, bias="random"),
        "init_layer(10, 20, rng, bias='random')", seed=seed)


# ---- hidden_units_distinct and weight_spread ----------------------------------------------------

@pytest.mark.points(2)
def test_units_distinct(learner, rng):
    """hidden_units_distinct compares whole units: a column of W with its bias"""
    n_in, n = 5, 6
    W = rng.normal(size=(n_in, n))
    zero = np.zeros((1, n))
    _ask_distinct(learner, W, zero, True, "hidden_units_distinct(W random, b zero)",
                  "every column of W differs, so every unit differs even with equal biases")
    Wc, bc = np.full((n_in, n), 0.5), np.full((1, n), 0.1)
    _ask_distinct(learner, Wc, bc, False, "hidden_units_distinct(W all 0.5, b all 0.1)",
                  "all the units have the same weights and the same bias")
    twin = W.copy()
    twin[:, 4] = twin[:, 1]
    _ask_distinct(learner, twin, zero, False,
                  "hidden_units_distinct(W with column 4 a copy of column 1, b zero)",
                  "units 1 and 4 have the same weights and the same bias. A unit is a column "
                  "of W (its incoming weights), not a row")
    b_rand = rng.normal(0, 0.1, size=(1, n))
    _ask_distinct(learner, Wc, b_rand, True,
                  "hidden_units_distinct(W all 0.5, b random)",
                  "the columns of W are equal, but the biases differ, and a unit is its column "
                  "of W together with its bias: compare the bias too")
    b_apart = zero.copy()
    b_apart[0, 4] = 1e-3
    _ask_distinct(learner, twin, b_apart, True,
                  "hidden_units_distinct(W with column 4 a copy of column 1, b[0, 4] = 1e-3)",
                  "units 1 and 4 share their weights but their biases differ by 1e-3 > tol: "
                  "compare the bias too")
    b_close = zero.copy()
    b_close[0, 4] = 1e-12
    _ask_distinct(learner, twin, b_close, False,
                  "hidden_units_distinct(W with column 4 a copy of column 1, b[0, 4] = 1e-12)",
                  "a difference of 1e-12 is within tol = 1e-9: units 1 and 4 count as the same")
    nudged = twin.copy()
    nudged[2, 4] += 1e-6
    _ask_distinct(learner, nudged, zero, True,
                  "hidden_units_distinct(W, b) where units 1 and 4 differ by 1e-6 in one weight",
                  "one weight differing by more than tol is enough to tell two units apart")
    _ask_distinct(learner, nudged, zero, False,
                  "hidden_units_distinct(W, b, tol=1e-5) where units 1 and 4 differ by 1e-6 in "
                  "one weight",
                  "1e-6 is within tol = 1e-5: pass `tol` on to your comparison", tol=1e-5)
    rows_equal = np.vstack([W[:1], W[:1], W[2:]])  # two equal rows, distinct columns
    _ask_distinct(learner, rows_equal, zero, True,
                  "hidden_units_distinct(W with rows 0 and 1 equal, b zero)",
                  "equal rows mean two inputs feed the units alike; the units (columns) still "
                  "differ")
    _ask_distinct(learner, rng.normal(size=(3, 1)), np.zeros((1, 1)), True,
                  "hidden_units_distinct(W of shape (3, 1), b of shape (1, 1))",
                  "a single unit has no twin")


@pytest.mark.points(1)
def test_weight_spread(learner, rng):
    """weight_spread is the largest gap between two units' weights from the same input"""
    W = rng.normal(size=(6, 9))
    cases = [
        ("W random (6, 9)", W),
        ("W all 0.5", np.full((4, 5), 0.5)),
        ("W with equal columns but different rows", np.repeat(rng.normal(size=(5, 1)), 3, axis=1)),
        ("W of shape (4, 1)", rng.normal(size=(4, 1))),
        ("W with one entry changed", np.where(np.arange(12).reshape(3, 4) == 5, 0.7, 0.2)),
    ]
    for label, M in cases:
        what = f"weight_spread({label})"
        value = learner.weight_spread(M)
        expected = _spread(M)
        if not is_number(value):
            fail(f"{what} returned {type(value).__name__}; expected a number")
        if math.isclose(float(value), expected, rel_tol=1e-9, abs_tol=1e-12):
            continue
        why = ""
        if math.isclose(float(value), float(np.ptp(M)), rel_tol=1e-9):
            why = (" That is the range of all the entries: compare units (columns) input by "
                   "input, the range of each row (np.ptp(W, axis=1)), then the largest.")
        elif math.isclose(float(value), float(np.max(np.ptp(M, axis=0))), rel_tol=1e-9):
            why = (" That is the range down each column, the spread of one unit's own weights; "
                   "the spread between units is the range along each row (axis=1).")
        fail(f"{what} returned {fmt(value)}; expected {fmt(expected)}, the largest "
             f"|W[i, j] - W[i, k]|.{why}")


# ---- spread_history and the four starts ---------------------------------------------------------

@pytest.mark.points(1)
def test_spread_history(learner, rng):
    """spread_history trains on a copy and records the spread before and after each step"""
    X, Y = _data(rng, m=20, n_in=3, n_out=2)
    for activation in ("tanh", "linear"):
        params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=(1, 4)),
                  "W2": rng.normal(size=(4, 2)) * 0.5, "b2": rng.normal(size=(1, 2))}
        _history(learner, X, Y, params, 0.1, 6, activation)
    _history(learner, X, Y, params, 0.1, 0, "tanh")


@pytest.mark.points(1)
def test_random_weights_zero_biases(learner, rng):
    """Random weights, zero biases: the units differ from the start"""
    X, Y = _data(rng)
    params = _network(learner, rng, 4, 8, 1, "random", "zero")
    _ask_distinct(learner, params["W1"], params["b1"], True,
                  "hidden_units_distinct(W1, b1) from init_layer(4, 8, rng)",
                  f"with random weights (spread {fmt(_spread(params['W1']))}) no two columns "
                  "of W1 are equal, so zero biases break nothing")
    history, _ = _history(learner, X, Y, params, 0.1, 20, "tanh")
    _bars("random weights, zero biases: spread of W1 by step", history)


@pytest.mark.points(1)
def test_equal_weights_equal_biases(learner, rng):
    """Equal weights and equal biases: the units stay twins through training"""
    X, Y = _data(rng)
    params = _network(learner, rng, 4, 4, 1, "constant", "constant")
    _ask_distinct(learner, params["W1"], params["b1"], False,
                  "hidden_units_distinct(W1, b1) from init_layer(4, 4, rng, weights='constant', "
                  "bias='constant')",
                  "every unit starts with the same weights and bias")
    history, _ = _history(learner, X, Y, params, 0.1, 30, "tanh")
    _bars("equal weights, equal biases: spread of W1 by step", history)
    trained = _train(X, Y, params, 0.1, 30, "tanh")[-1]
    _ask_distinct(learner, trained["W1"], trained["b1"], False,
                  "hidden_units_distinct(W1, b1) after 30 steps from equal weights and biases",
                  "twins get equal gradients and take equal steps: they are still twins")


@pytest.mark.points(1)
def test_distinct_biases_tanh(learner, rng):
    """Equal weights, distinct biases, tanh: gradients differ at once, but from one feature"""
    X, Y = _data(rng)
    params = _network(learner, rng, 4, 8, 1, "constant", "random")
    _ask_distinct(learner, params["W1"], params["b1"], True,
                  "hidden_units_distinct(W1, b1) from init_layer(4, 8, rng, "
                  "weights='constant', bias='random')",
                  "the biases differ, so the units compute different functions")
    Z = X @ params["W1"] + params["b1"]
    sv = np.linalg.svd(Z, compute_uv=False)
    if sv[2] > 1e-9 * sv[0]:
        fail("with constant weights X @ W1 + b1 should have rank at most 2 (one feature x · w, "
             f"shifted by each bias); its singular values are {_row(sv)}: are the weights "
             "really all equal to w_value?")
    grads = _gradients(X, Y, params, "tanh")
    _ask_distinct(learner, grads["W1"], grads["b1"], True,
                  "hidden_units_distinct(dW1, db1) for the first step",
                  "tanh' = 1 - tanh² depends on the bias, so every unit gets its own gradient")
    history, _ = _history(learner, X, Y, params, 0.1, 20, "tanh")
    _bars("equal weights, biases N(0, 0.1²), tanh: spread of W1 by step", history)
    show_bars("singular values of X @ W1 + b1 at the start (rank 2)",
              [f"s{k + 1}" for k in range(len(sv))], sv)


@pytest.mark.points(1)
def test_distinct_biases_linear(learner, rng):
    """Equal weights, distinct biases, linear layer: W1's columns part only at step 2"""
    X, Y = _data(rng)
    params = _network(learner, rng, 4, 8, 1, "constant", "random")
    history, expected = _history(learner, X, Y, params, 0.1, 4, "linear")
    _bars("equal weights, biases N(0, 0.1²), linear: spread of W1 by step", history)
    grads = _gradients(X, Y, params, "linear")
    _ask_distinct(learner, grads["W1"], grads["b1"], False,
                  "hidden_units_distinct(dW1, db1) for the first step of a linear layer",
                  "the identity has slope 1 whatever the bias, so every unit receives the same "
                  "gradient for its weights and bias at the first step")
    if not (expected[1] <= 1e-12 < expected[2]):
        fail(f"from these parameters the spread of W1 runs {_row(expected)}; with all weights "
             "equal to w_value it should be 0 after one step and positive after two: check "
             "init_layer's 'constant' weights")
