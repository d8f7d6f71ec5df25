"""Hidden checks for exercise 02: why constant initialisation fails (symmetry).

The lesson is proven with the learner's own functions: constant_init, then train, then
units_identical, each call crossing to the worker with plain data. Hidden widths stay at 4 or
fewer and training runs are short: in wide layers a matrix product may round different columns
differently, and twins can drift apart by rounding alone.
"""

import numpy as np
import pytest

from grader.checkapi.expect import expect_array, expect_close, expect_equal, fail, fmt, show_bars
from grader.checks.symmetry_reference import (
    GRADIENT_MISTAKES,
    KEYS,
    TRAIN_MISTAKES,
    ref_forward,
    ref_gradients,
    ref_loss,
    ref_train,
    shapes,
    sigmoid,
    spread,
)

GRAD_KEYS = ("dW1", "db1", "dW2", "db2")
# Loose enough for a float32 solution, far tighter than any wrong formula.
RTOL, ATOL = 1e-4, 1e-6
# (m, n_in, n_h): non-square, a single example, one hidden unit more or fewer than inputs.
NETS = [(13, 3, 4), (40, 5, 2), (1, 2, 3), (64, 8, 6)]


def plural(steps):
    return f"{steps} step" + ("" if steps == 1 else "s")


# ---- data ---------------------------------------------------------------------------------------

def make_data(rng, m, n_in):
    """Inputs, and labels from a non-linear rule so that training has something to learn."""
    X = rng.normal(size=(m, n_in))
    Y = ((X[:, :1] * X[:, -1:] + 0.3 * X[:, :1]) > 0).astype(float)
    return X, Y


def random_params(rng, n_in, n_h, scale=0.8, zero_biases=False):
    p = {"W1": rng.normal(0.0, scale, size=(n_in, n_h)),
         "b1": rng.normal(0.0, 0.5, size=(1, n_h)),
         "W2": rng.normal(0.0, scale, size=(n_h, 1)),
         "b2": rng.normal(0.0, 0.5, size=(1, 1))}
    if zero_biases:
        p["b1"], p["b2"] = np.zeros((1, n_h)), np.zeros((1, 1))
    return p


def show(p):
    return "{" + ", ".join(f"{k}: {np.array2string(np.asarray(v), precision=3)}"
                           for k, v in p.items()) + "}"


# ---- checking what came back --------------------------------------------------------------------

def expect_dict(value, what, keys):
    if type(value) is not dict:
        fail(f"{what} returned a {type(value).__name__}; expected a dict with the keys "
             f"{', '.join(keys)}")
    missing = [k for k in keys if k not in value]
    if missing:
        fail(f"{what} returned a dict without {', '.join(repr(k) for k in missing)}; expected "
             f"the keys {', '.join(repr(k) for k in keys)} (it has {sorted(map(str, value))})")
    return value


def expect_params(value, what, n_in, n_h):
    params = expect_dict(value, what, KEYS)
    for k, shape in shapes(n_in, n_h).items():
        expect_array(params[k], f"{what}[{k!r}]", shape=shape)
    return params


def expect_gradients(value, m, n_in, n_h, call="gradients(X, Y, params)"):
    context = f" with X of shape ({m}, {n_in}) and {n_h} hidden units"
    grads = expect_dict(value, call + context, GRAD_KEYS)
    for k, shape in shapes(n_in, n_h).items():
        g = grads["d" + k]
        label = f"{call}['d{k}']{context}"
        if k in ("b1", "b2") and not (type(g) is np.ndarray and g.shape == shape):
            got = g.shape if type(g) is np.ndarray else type(g).__name__
            if got in ((m, 1), (1, m)) and (m, 1) != shape:
                why = ("it was summed over the units (axis 1) instead of over the examples "
                       "(axis 0)")
            elif got == (shape[1],):
                why = "keepdims=True is missing, so the summed axis was dropped"
            elif got in ("float", "int", ()):
                why = "it was summed over everything; sum over the examples only"
            else:
                why = "the sum over the examples has the bias's shape"
            fail(f"{label} has shape {got}; expected {shape}, the shape of {k}: {why}. Use "
                 f"np.sum(dZ, axis=0, keepdims=True).")
        expect_array(g, label, shape=shape)
    return grads


def matches(actual, expected):
    return all(np.allclose(actual[k], expected[k], rtol=RTOL, atol=ATOL) for k in expected)


# ---- the checks ---------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_forward(learner, rng):
    """forward returns A1 = tanh(X @ W1 + b1) and A2 = sigmoid(A1 @ W2 + b2)"""
    for m, n_in, n_h in [*NETS, (200, 10, 16)]:
        X, _ = make_data(rng, m, n_in)
        p = random_params(rng, n_in, n_h)
        what = f"forward(X, params) with X {X.shape} and {n_h} hidden units"
        out = learner.forward(X, p)
        if type(out) not in (tuple, list) or len(out) != 2:
            fail(f"{what} returned {type(out).__name__}; expected the pair (A1, A2)")
        A1 = expect_array(out[0], f"A1 from {what}", shape=(m, n_h))
        A2 = expect_array(out[1], f"A2 from {what}", shape=(m, 1))
        R1, R2 = ref_forward(X, p)
        Z1 = X @ p["W1"] + p["b1"]
        for wrong, words in ((sigmoid(Z1), "the sigmoid; the hidden layer uses tanh"),
                             (np.maximum(Z1, 0), "relu; the hidden layer uses tanh"),
                             (np.tanh(X @ p["W1"]), "tanh(X @ W1): b1 is missing")):
            if np.allclose(A1, wrong, rtol=RTOL, atol=ATOL) and not np.allclose(wrong, R1):
                fail(f"A1 from {what} is {words}: A1 = tanh(X @ W1 + b1).")
        expect_close(A1, R1, f"A1 = tanh(X @ W1 + b1) from {what}", rtol=RTOL, atol=ATOL)
        expect_close(A2, R2, f"A2 = sigmoid(A1 @ W2 + b2) from {what}", rtol=RTOL, atol=ATOL)


@pytest.mark.points(1)
def test_constant_init(learner):
    """constant_init gives W1, b1, W2, b2 their shapes and every entry the value"""
    for n_in, n_h, value in [(3, 4, 0.5), (2, 3, 0.0), (5, 2, -1.25), (1, 1, 2.0)]:
        what = f"constant_init({n_in}, {n_h}, {value})"
        p = expect_params(learner.constant_init(n_in, n_h, value), what, n_in, n_h)
        for k in KEYS:
            off = np.argwhere(p[k] != value)
            if off.size:
                where = tuple(int(i) for i in off[0])
                fail(f"{what}[{k!r}] holds {fmt(p[k][where])} at {where}; expected every entry "
                     f"of every array, biases included, to equal {value} (np.full(shape, "
                     "value))")


@pytest.mark.points(3)
def test_gradients(learner, rng):
    """gradients returns dW1, db1, dW2, db2 of the mean cross-entropy, shaped like the params"""
    for m, n_in, n_h in NETS:
        X, Y = make_data(rng, m, n_in)
        p = random_params(rng, n_in, n_h)
        context = f" with X of shape {X.shape} and {n_h} hidden units"
        what = "gradients(X, Y, params)" + context
        g = expect_gradients(learner.gradients(X, Y, p), m, n_in, n_h)
        expected = ref_gradients(X, Y, p)
        if matches(g, expected):
            continue
        for variant, words in GRADIENT_MISTAKES.items():
            if matches(g, ref_gradients(X, Y, p, variant)):
                fail(f"{what} is wrong: {words.format(m=m)}.")
        out = learner.forward(X, p)
        R1, R2 = ref_forward(X, p)
        if not (type(out) in (tuple, list) and len(out) == 2
                and all(type(a) is np.ndarray and a.shape == r.shape
                        and np.allclose(a, r, rtol=RTOL, atol=ATOL)
                        for a, r in zip(out, (R1, R2), strict=True))):
            fail(f"{what} is wrong, and so is forward(X, params) on the same input, which the "
                 "gradients are built on: fix forward first (see its check).")
        for key in GRAD_KEYS:
            expect_close(g[key], expected[key], f"gradients(X, Y, params)[{key!r}]{context}",
                         rtol=RTOL, atol=ATOL)


@pytest.mark.points(2)
def test_gradients_are_slopes(learner, rng):
    """each gradient entry is the slope of the loss, measured by finite differences"""
    m, n_in, n_h = 9, 3, 2
    X, Y = make_data(rng, m, n_in)
    p = random_params(rng, n_in, n_h)
    what = f"gradients(X, Y, params) with X of shape {X.shape} and {n_h} hidden units"
    g = expect_gradients(learner.gradients(X, Y, p), m, n_in, n_h)
    h = 1e-6
    for k in KEYS:
        for index in np.ndindex(p[k].shape):
            up = {key: v.copy() for key, v in p.items()}
            down = {key: v.copy() for key, v in p.items()}
            up[k][index] += h
            down[k][index] -= h
            slope = (ref_loss(X, Y, up) - ref_loss(X, Y, down)) / (2 * h)
            got = float(g["d" + k][index])
            if abs(got - slope) > 1e-4 * abs(slope) + 1e-6:
                fail(f"{what}: d{k}{list(index)} is {fmt(got)}, but nudging {k}{list(index)} by "
                     f"±{h:g} changes the loss L = -mean(Y log A2 + (1 - Y) log(1 - A2)) at the "
                     f"rate {fmt(slope)}. A gradient entry must be that slope.")


@pytest.mark.points(2)
def test_zero_start(learner, rng):
    """from all zeros the hidden layer's gradient is exactly zero and only b2 ever learns"""
    m, n_in, n_h = 24, 3, 4
    X, Y = make_data(rng, m, n_in)
    if Y.mean() == 0.5:  # balanced labels would leave b2 at 0 too: make them unbalanced
        Y[0] = 1.0 - Y[0]
    zeros = expect_params(learner.constant_init(n_in, n_h, 0.0),
                          f"constant_init({n_in}, {n_h}, 0.0)", n_in, n_h)
    what = "gradients(X, Y, constant_init(3, 4, 0.0))"
    g = expect_gradients(learner.gradients(X, Y, zeros), m, n_in, n_h, call=what)
    for key in ("dW1", "db1", "dW2"):
        worst = float(np.abs(g[key]).max())
        if worst != 0.0:
            fail(f"{what}[{key!r}] has an entry {fmt(worst)}; with every parameter 0 it must be "
                 "exactly 0: A1 = tanh(0) = 0, so dW2 = A1.T @ dZ2 = 0, and W2 = 0 sends "
                 "nothing back, so dZ1 = (dZ2 @ W2.T) * (1 - A1**2) = 0, dW1 = X.T @ dZ1 = 0 "
                 "and db1 = 0.")
    steps, lr = 40, 0.5
    what = f"train(X, Y, constant_init(3, 4, 0.0), lr={lr}, steps={steps})"
    trained = expect_params(learner.train(X, Y, zeros, lr, steps), what, n_in, n_h)
    for key in ("W1", "b1", "W2"):
        worst = float(np.abs(trained[key]).max())
        if worst != 0.0:
            fail(f"{what}[{key!r}] has an entry {fmt(worst)}; from all zeros it must stay "
                 "exactly 0 at every step: the hidden layer's gradient is 0 as long as W2 = 0, "
                 "and W2's gradient is 0 as long as A1 = tanh(0) = 0.")
    if trained["b2"][0, 0] == 0.0:
        fail(f"{what}['b2'] is still 0; the output bias gets the gradient mean(A2 - Y) = "
             f"0.5 - mean(Y) = {fmt(0.5 - float(Y.mean()))} at the first step, so it must move "
             "(it is the only parameter that learns from zeros).")


def train_constant(learner, X, Y, n_h, value, lr, steps):
    n_in = X.shape[1]
    start = expect_params(learner.constant_init(n_in, n_h, value),
                          f"constant_init({n_in}, {n_h}, {value})", n_in, n_h)
    what = f"train(X, Y, constant_init({n_in}, {n_h}, {value}), lr={lr}, steps={steps})"
    return start, expect_params(learner.train(X, Y, start, lr, steps), what, n_in, n_h), what


@pytest.mark.points(2)
def test_constant_start_stays_symmetric(learner, rng):
    """from a constant start the hidden units are still identical after training"""
    lr, steps = 0.5, 60
    for m, n_in, n_h, value in [(24, 3, 4, 0.5), (17, 2, 3, -0.3)]:
        X, Y = make_data(rng, m, n_in)
        start, trained, what = train_constant(learner, X, Y, n_h, value, lr, steps)
        moved = max(float(np.abs(trained[k] - start[k]).max()) for k in KEYS)
        if moved < 1e-3:
            fail(f"{what} returned parameters within {fmt(moved)} of the start: nothing was "
                 "learned. Run `steps` updates p <- p - lr * dp.")
        gap = spread(trained)
        if gap > 1e-9:
            fail(f"{what}: hidden units ended up to {fmt(gap)} apart, yet from a constant start "
                 "every unit receives the same gradient at every step. Something in forward, "
                 "gradients or train treats the units differently (a per-unit loop that skips "
                 f"one? an axis mix-up?). Returned: {show(trained)}")
        said = learner.units_identical(trained)
        expect_equal(said, True, f"units_identical(params after {what}), whose hidden units are "
                                 f"at most {fmt(gap)} apart,")


@pytest.mark.points(1)
def test_random_start_breaks_symmetry(learner, rng):
    """from random weights (biases zero) the hidden units differ after training"""
    lr, steps, m, n_in, n_h = 0.5, 60, 24, 3, 4
    X, Y = make_data(rng, m, n_in)
    start = random_params(rng, n_in, n_h, scale=0.5, zero_biases=True)
    what = f"train(X, Y, random weights and zero biases, lr={lr}, steps={steps})"
    trained = expect_params(learner.train(X, Y, start, lr, steps), what, n_in, n_h)
    gap = spread(trained)
    if gap < 1e-3:
        fail(f"{what}: the hidden units ended up at most {fmt(gap)} apart, though they started "
             "with different random weights: train must update each unit with its own "
             "gradient.")
    said = learner.units_identical(trained)
    expect_equal(said, False, f"units_identical(params after {what}), whose hidden units are "
                              f"up to {fmt(gap)} apart,")
    _, constant, _ = train_constant(learner, X, Y, n_h, 0.5, lr, steps)
    show_bars(f"largest gap between two hidden units after {steps} steps",
              ["constant start (0.5)", "random start"], [spread(constant), gap])


@pytest.mark.points(2)
def test_train(learner, rng):
    """train runs `steps` updates p <- p - lr * dp on all four parameters"""
    m, n_in, n_h = 20, 3, 4
    X, Y = make_data(rng, m, n_in)
    p = random_params(rng, n_in, n_h)
    for lr, steps in [(0.5, 0), (0.5, 1), (0.3, 25), (1.0, 7)]:
        what = f"train(X, Y, params, lr={lr}, steps={steps})"
        trained = expect_params(learner.train(X, Y, p, lr, steps), what, n_in, n_h)
        expected = ref_train(X, Y, p, lr, steps)
        if matches(trained, expected):
            continue
        for variant, words in TRAIN_MISTAKES.items():
            wrong = ref_train(X, Y, p, lr, steps, variant)
            if matches(trained, wrong) and not matches(wrong, expected):
                fail(f"{what} is wrong: " + words.format(steps=plural(steps),
                                                         plus=plural(steps + 1),
                                                         minus=plural(steps - 1)) + ".")
        own = learner.gradients(X, Y, p)
        ref = ref_gradients(X, Y, p)
        if not (type(own) is dict and all(type(own.get(k)) is np.ndarray
                                          and own[k].shape == ref[k].shape for k in ref)
                and matches(own, ref)):
            fail(f"{what} is wrong, and so is gradients(X, Y, params) on the same input, which "
                 "each step is built on: fix gradients first (see its check).")
        for k in KEYS:
            expect_close(trained[k], expected[k], f"{what}[{k!r}]", rtol=RTOL, atol=ATOL)


@pytest.mark.points(1)
def test_train_leaves_input_alone(learner, rng):
    """train returns new parameters and leaves the dict it was given unchanged"""
    m, n_in, n_h = 20, 3, 4
    X, Y = make_data(rng, m, n_in)
    p = random_params(rng, n_in, n_h)
    what = "train(X, Y, params, lr=0.5, steps=5)"
    trained, args, _ = learner.call_and_inputs("train", X, Y, p, 0.5, 5)
    expect_params(trained, what, n_in, n_h)
    after = args[2]
    changed = [k for k in KEYS if not (type(after.get(k)) is np.ndarray
                                       and after[k].shape == p[k].shape
                                       and np.array_equal(after[k], p[k]))]
    if changed or set(after) != set(p):
        fail(f"{what} changed the params it was given ({', '.join(changed) or 'its keys'} no "
             "longer hold the starting values): a caller who trains twice from the same start, "
             "or compares before and after, would be misled. Copy first, p = {k: v.copy() for "
             "k, v in params.items()}, then update the copies.")
    for i, name in ((0, "X"), (1, "Y")):
        if not np.array_equal(args[i], (X, Y)[i]):
            fail(f"{what} changed its argument {name}; it must only read it.")


def twins(rng, n_in, n_h):
    """Parameters whose hidden units are exact copies of one random unit."""
    return {"W1": np.repeat(rng.normal(size=(n_in, 1)), n_h, axis=1),
            "b1": np.full((1, n_h), rng.normal()),
            "W2": np.full((n_h, 1), rng.normal()),
            "b2": rng.normal(size=(1, 1))}


@pytest.mark.points(2)
def test_units_identical(learner, rng):
    """units_identical compares each unit's incoming weights, bias and outgoing weight within tol"""
    n_in, n_h = 3, 4
    last = n_h - 1

    def nudged(key, index, by):
        p = twins(rng, n_in, n_h)
        p[key] = p[key].copy()
        p[key][index] += by
        return p

    def large(key, index, by):
        """Twins whose weights are about 5 in size, then one entry nudged: a relative tolerance
        (np.allclose's rtol=1e-5 allows 5e-5 here) would call them equal."""
        p = twins(rng, n_in, n_h)
        p = {k: v + 5.0 if k != "b2" else v for k, v in p.items()}
        p[key][index] += by
        return p

    noisy = twins(rng, n_in, n_h)
    noisy = {k: v + rng.uniform(-1e-12, 1e-12, size=v.shape) for k, v in noisy.items()}
    cases = [
        (twins(rng, n_in, n_h), {}, True, "exact copies", ""),
        (noisy, {}, True, "copies up to 1e-12 apart (rounding noise)",
         "differences within tol (1e-9 by default) count as equal"),
        (twins(rng, 1, 1), {}, True, "a single hidden unit", "one unit is trivially identical "
                                                               "to itself"),
        (nudged("W1", (1, last), 0.1), {}, False,
         f"units whose incoming weights differ (W1[1, {last}] is 0.1 away from W1[1, 0])",
         "compare every column of W1 with column 0, up to the last unit"),
        (nudged("b1", (0, last), 0.1), {}, False,
         f"units whose biases differ (b1[0, {last}] is 0.1 away from b1[0, 0])",
         "the biases b1 must match too"),
        (nudged("W2", (last, 0), 0.1), {}, False,
         f"units that differ only in their outgoing weights (W2[{last}] is 0.1 away from "
         "W2[0])", "the outgoing weights must match too: units with equal inputs but different "
                   "rows of W2 get different gradients and part ways"),
        (large("W1", (2, last), 1e-6), {}, False,
         f"units of weights about 5 whose W1[2, {last}] is 1e-6 away from W1[2, 0]",
         "the rule is |difference| <= tol, with no relative part: np.allclose and np.isclose "
         "add rtol * |value| (5e-5 here), pass rtol=0 or compare np.abs(a - b) <= tol"),
        (large("W2", (last, 0), -1e-6), {"tol": 1e-7}, False,
         f"units of weights about 5 whose W2[{last}] is 1e-6 away from W2[0], with tol=1e-7",
         "the rule is |difference| <= tol, with no relative part: np.allclose and np.isclose "
         "add rtol * |value| (5e-5 here), pass rtol=0 or compare np.abs(a - b) <= tol"),
        (nudged("W1", (0, 1), 1e-6), {}, False, "units 1e-6 apart",
         "that is more than the default tol=1e-9"),
        (nudged("W1", (0, 1), 1e-6), {"tol": 1e-3}, True, "units 1e-6 apart with tol=1e-3",
         "use the tol argument: differences up to tol count as equal"),
        (nudged("b2", (0, 0), 0.1), {}, True, "exact copies with a different output bias b2",
         "b2 is shared by all units, not a unit's own parameter"),
    ]
    for params, kwargs, expected, words, advice in cases:
        said = learner.units_identical(params, **kwargs)
        args = ", ".join(["params"] + [f"{k}={v:g}" for k, v in kwargs.items()])
        if type(said) is not bool:
            fail(f"units_identical({args}) returned {said!r}; expected a Python bool (True or "
                 "False): wrap the result in bool(...)")
        if said != expected:
            fail(f"units_identical({args}) returned {said} for {words}; expected {expected}"
                 + (f": {advice}." if advice else "."))
