"""Hidden checks for 07-signals: how the spread of the signal evolves through a deep network,
forward and backward.

The depth checks use the law of one layer (see `signals_reference`), conditional on the layer
below: standardised by it, the per-column mean squares of every layer pool into one sample of
mean 0 and std at most 1. The backward checks compare the learner's weight gradients with a
reference back-propagation on the same weights.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from grader.checkapi.diagnose import Mistake, scale_mistakes
from grader.checkapi.expect import (
    expect_array,
    expect_distinct,
    expect_normal,
    expect_raises,
    expect_reproducible,
    expect_std,
    expect_uniform,
    fail,
    fmt,
    mean_tolerance,
    show_bars,
)
from grader.checks import signals_reference as ref

SCHEMES = ("small", "standard", "lecun", "xavier", "he", "glorot-bengio-old")
NAMES = ("linear", "tanh", "relu", "sigmoid")
DEEP = [100] + [256] * 8  # the depth experiments: 100 inputs, eight layers of 256 units
BATCH = 64



# ---- calling the learner ------------------------------------------------------------------------

def _weights(learner, sizes: list[int], scheme: str, rng: np.random.Generator) -> list:
    what = f"init_weights({sizes}, {scheme!r}, rng)"
    value = learner.init_weights(sizes, scheme, rng)
    if not isinstance(value, list | tuple):
        fail(f"{what} returned {type(value).__name__}; expected a list of weight matrices, one "
             "per consecutive pair of sizes")
    if len(value) != len(sizes) - 1:
        fail(f"{what} returned {len(value)} matrices; expected {len(sizes) - 1}, one per "
             "consecutive pair of sizes (the input layer has no weights)")
    return [expect_array(W, f"{what}[{k}]", shape=(sizes[k], sizes[k + 1]))
            for k, W in enumerate(value)]


def _learner_stats(learner, X: np.ndarray, weights: list, name: str, what: str) -> dict:
    value = learner.layer_stats(X, weights, name)
    if not isinstance(value, dict):
        fail(f"{what} returned {type(value).__name__}; expected a dict with the keys 'mean', "
             "'std' and 'mean_sq'")
    if set(value) != set(ref.KEYS):
        fail(f"{what} returned a dict with the keys {sorted(map(str, value))}; expected exactly "
             "'mean', 'std' and 'mean_sq'")
    L = len(weights)
    out = {}
    for key in ref.KEYS:
        arr = np.asarray(value[key]) if isinstance(value[key], list) else value[key]
        if isinstance(arr, np.ndarray) and arr.shape == (L + 1,):
            fail(f"{what}[{key!r}] has {L + 1} entries for {L} weight matrices: report the "
                 "layers after each matrix only, not the input X")
        out[key] = expect_array(arr, f"{what}[{key!r}]", shape=(L,))
    return out


def _expect_stats(stats: dict, p: ref.Pass, name: str, what: str) -> None:
    """The learner's statistics equal those of the forward pass `p`; name a known slip (worked
    out only when a statistic is off)."""
    expected = ref.stats(p.layers)
    scale = np.maximum(expected["std"], 1e-300)
    for key in ref.KEYS:
        got = stats[key].astype(float)
        atol = 1e-4 * scale if key == "mean" else 1e-300
        ok = np.abs(got - expected[key]) <= 1e-4 * np.abs(expected[key]) + atol
        if ok.all():
            continue
        for label, alt, why in ref.forward_slips(p):
            alt_scale = np.maximum(np.abs(alt[key]), 1e-300)
            if (not np.allclose(alt[key], expected[key], rtol=1e-4, atol=0)
                    and np.all(np.abs(got - alt[key]) <= 1e-4 * alt_scale + atol)):
                fail(f"{what}[{key!r}] = {_row(got)}; expected {_row(expected[key])}. It matches "
                     f"{label}: {why}.")
        k = int(np.argmin(ok))
        fail(f"{what}[{key!r}] is wrong for layer {k + 1}: {fmt(got[k])} where "
             f"{fmt(expected[key][k])} was expected (over all entries of A_{k + 1} = "
             f"{name}(A_{k} @ W_{k + 1})); the full row is {_row(got)}, expected "
             f"{_row(expected[key])}")


def _row(values: np.ndarray) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


# ---- init_weights -------------------------------------------------------------------------------

@pytest.mark.points(1)
def test_init_shapes(learner, rng):
    """init_weights returns one (fan_in, fan_out) matrix per pair of sizes"""
    for scheme in SCHEMES:
        for sizes in ([7, 5, 3], [4, 4], [2, 9, 1, 6]):
            _weights(learner, sizes, scheme, rng)
    with expect_raises("ValueError", "init_weights([3, 2], 'glorot', rng)"):
        learner.init_weights([3, 2], "glorot", rng)


@pytest.mark.points(3)
def test_init_normal_schemes(learner, rng):
    """'small', 'standard', 'lecun', 'xavier' and 'he' draw from N(0, variance)"""
    sizes = [200, 80, 160]  # every catalogued scale far from the right one
    for scheme, (key, formula, variance) in ref.NORMAL.items():
        weights = _weights(learner, sizes, scheme, rng)
        for k, W in enumerate(weights):
            fi, fo = sizes[k], sizes[k + 1]
            std = math.sqrt(variance(fi, fo))
            mistakes = []
            if scheme == "small":
                mistakes += [
                    Mistake("0.01**2", 1e-4, "0.01 is the standard deviation of 'small', not "
                                             "its variance"),
                    Mistake("sqrt(0.01)", 0.1, "'small' means std 0.01 (variance 0.0001), not "
                                               "variance 0.01"),
                ]
            mistakes += [m for m in scale_mistakes(fi, fo, correct=key)
                         if not math.isclose(m.value, std, rel_tol=1e-3)]
            what = f"init_weights({sizes}, {scheme!r}, rng)[{k}] (fan_in {fi}, fan_out {fo})"
            # the std first: a wrong scale also shifts the mean beyond its tolerance
            expect_std(W, std, what, mistakes=mistakes, formula=formula)
            expect_normal(W, std, what, mistakes=mistakes, formula=formula)


@pytest.mark.points(1)
def test_init_old_rule(learner, rng):
    """'glorot-bengio-old' is uniform on ±1/sqrt(fan_in), variance 1/(3 fan_in)"""
    sizes = [300, 120, 500]
    weights = _weights(learner, sizes, "glorot-bengio-old", rng)
    for k, W in enumerate(weights):
        fi, fo = sizes[k], sizes[k + 1]
        mistakes = [
            Mistake("sqrt(3/fan_in)", math.sqrt(3 / fi),
                    "that is LeCun's uniform bound (variance 1/fan_in), not the old heuristic "
                    "1/sqrt(fan_in)"),
            Mistake("sqrt(6/(fan_in+fan_out))", math.sqrt(6 / (fi + fo)),
                    "that is Glorot and Bengio's new bound, the fix they proposed for the old "
                    "rule"),
            Mistake("1/sqrt(fan_out)", 1 / math.sqrt(fo), "fan_out where fan_in belongs"),
            Mistake("1/fan_in", 1 / fi, "the square root is missing: the bound is "
                                        "1/sqrt(fan_in)"),
            Mistake("1/sqrt(3·fan_in)", 1 / math.sqrt(3 * fi),
                    "the bound was divided by sqrt(3): 1/sqrt(fan_in) is the bound, and "
                    "1/(3 fan_in) the resulting variance"),
        ]
        expect_uniform(W, 1 / math.sqrt(fi), f"init_weights({sizes}, 'glorot-bengio-old', "
                                             f"rng)[{k}] (fan_in {fi})",
                       mistakes=mistakes, formula="1/sqrt(fan_in)")


@pytest.mark.points(1)
def test_init_reproducible(learner, seed, rng):
    """init_weights draws only from rng, a fresh matrix for every layer"""
    for scheme in ("he", "glorot-bengio-old"):
        expect_reproducible(
            learner,
            lambda r, s=scheme: [np.asarray(W) for W in learner.init_weights([20, 30, 10], s, r)],
            f"init_weights([20, 30, 10], {scheme!r}, rng)", seed=seed)
    sizes = [40, 40, 40, 40]
    weights = _weights(learner, sizes, "lecun", rng)
    for k in range(1, 3):
        if np.array_equal(weights[k], weights[0]):
            fail(f"init_weights({sizes}, 'lecun', rng) returned the same matrix for layers 1 "
                 f"and {k + 1}: draw a fresh matrix for every layer")
    for k, W in enumerate(weights):
        expect_distinct(W, f"init_weights({sizes}, 'lecun', rng)[{k}]", axis=1)


# ---- layer_stats --------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_layer_stats_exact(learner, rng):
    """layer_stats reports mean, std and mean square of every layer after its activation"""
    cases = [("relu", [12, 30, 20, 25], 40), ("tanh", [12, 8, 16], 50),
             ("sigmoid", [5, 9, 9, 9, 3], 30), ("linear", [6, 4], 70)]
    for name, sizes, n in cases:
        X = rng.normal(0.5, 1.0, size=(n, sizes[0]))
        weights = [rng.normal(0.2, 1.5 / math.sqrt(fi), size=(fi, fo))
                   for fi, fo in itertools.pairwise(sizes)]
        what = (f"layer_stats(X, weights, {name!r}) with X of shape {X.shape} and matrices "
                f"{[tuple(W.shape) for W in weights]}")
        stats = _learner_stats(learner, X, weights, name, what)
        _expect_stats(stats, ref.forward(X, weights, name), name, what)
    X = rng.normal(size=(4, 3))
    with expect_raises("ValueError", "layer_stats(X, weights, 'softplus')"):
        learner.layer_stats(X, [rng.normal(size=(3, 2))], "softplus")


# ---- weight_gradients ---------------------------------------------------------------------------

def _learner_gradients(learner, X, weights, name, G, what) -> np.ndarray:
    value = learner.weight_gradients(X, weights, name, G)
    return expect_array(value, what, shape=(len(weights),))


def _expect_gradients(got: np.ndarray, p: ref.Pass, name, G, what,
                      expected: np.ndarray | None = None) -> None:
    """The learner's gradient norms equal a reference back-propagation's through the forward
    pass `p` (`expected`, if already computed); name a known slip."""
    if expected is None:
        expected = ref.backward(p, name, G)
    got = got.astype(float)
    if np.allclose(got, expected, rtol=1e-4, atol=0.0):
        return
    for slip, why in ref.BACKWARD_SLIPS.items():
        alt = ref.backward(p, name, G, slip)
        if (alt is not None and not np.allclose(alt, expected, rtol=1e-4, atol=0.0)
                and np.allclose(got, alt, rtol=1e-4, atol=0.0)):
            fail(f"{what} = {_row(got)}; expected {_row(expected)}. It matches what you get "
                 f"when {why}.")
    k = int(np.argmax(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-300)))
    fail(f"{what} is wrong for layer {k + 1}: {fmt(got[k])} where {fmt(expected[k])} was "
         f"expected, the Frobenius norm of dW_{k + 1} = A_{k}.T @ dZ_{k + 1}; the full row is "
         f"{_row(got)}, expected {_row(expected)}")


@pytest.mark.points(3)
def test_weight_gradients_exact(learner, rng):
    """weight_gradients back-propagates G and reports ||dW_k|| for every layer"""
    cases = [("tanh", [6, 6, 6, 6], 20), ("relu", [12, 30, 20, 25], 40),
             ("sigmoid", [5, 9, 9, 3], 30), ("linear", [6, 4, 7], 50)]
    for name, sizes, n in cases:
        X = rng.normal(0.5, 1.0, size=(n, sizes[0]))
        weights = [rng.normal(0.2, 1.5 / math.sqrt(fi), size=(fi, fo))
                   for fi, fo in itertools.pairwise(sizes)]
        G = rng.normal(size=(n, sizes[-1]))
        what = (f"weight_gradients(X, weights, {name!r}, G) with X of shape {X.shape} and "
                f"matrices {[tuple(W.shape) for W in weights]}")
        got = _learner_gradients(learner, X, weights, name, G, what)
        _expect_gradients(got, ref.forward(X, weights, name), name, G, what)
    X = rng.normal(size=(4, 3))
    with expect_raises("ValueError", "weight_gradients(X, weights, 'softplus', G)"):
        learner.weight_gradients(X, [rng.normal(size=(3, 2))], "softplus", rng.normal(size=(4, 2)))


# ---- the depth experiments ----------------------------------------------------------------------

def _depth_experiment(learner, rng, scheme: str, name: str, shown: str, title: str) -> dict:
    X = rng.normal(size=(BATCH, DEEP[0]))
    weights = _weights(learner, DEEP, scheme, rng)
    what = f"layer_stats(X, init_weights({DEEP}, {scheme!r}, rng), {name!r})"
    stats = _learner_stats(learner, X, weights, name, what)
    L = len(weights)
    show_bars(title, [f"layer {k + 1}" for k in range(L)], stats[shown])
    p = ref.forward(X, weights, name)
    _expect_stats(stats, p, name, what)

    kurtosis = 1.8 if scheme == "glorot-bengio-old" else 3.0
    pooled, rows = [], []
    for k in range(L):
        v = ref.variance(scheme, DEEP[k], DEEP[k + 1])
        mu, sd = ref.layer_law(p.layers[k], v, name, kurtosis)
        columns = np.mean(p.layers[k + 1] ** 2, axis=0)
        pooled.append((columns - mu) / sd)
        rows.append((float(columns.mean()), mu))
    u = np.concatenate(pooled)
    tol = mean_tolerance(1.0, u.size)
    if abs(float(u.mean())) > tol:
        ratio = float(np.exp(np.mean([math.log(max(m, 1e-300) / p) for m, p in rows])))
        table = "; ".join(f"layer {k + 1}: {fmt(m)} vs {fmt(p)}" for k, (m, p) in enumerate(rows))
        fail(f"init_weights({DEEP}, {scheme!r}, rng) with {name}: the mean square of each layer "
             f"does not follow from the layer below it. Measured vs predicted by "
             f"fan_in·Var(W)·mean(a²) (halved for ReLU, through tanh exactly): {table}. On "
             f"average your layers are {fmt(ratio)} times the prediction (± "
             f"{fmt(tol)} standard units allowed over {u.size} columns): the variance of the "
             f"'{scheme}' weights is probably off by about that factor.")
    return stats


@pytest.mark.points(1)
def test_small_weights_vanish(learner, rng):
    """tanh with N(0, 0.01²) weights: the signal vanishes layer after layer"""
    _depth_experiment(learner, rng, "small", "tanh", "std",
                      "tanh, weights N(0, 0.01²): std of each layer's activations "
                      "(×0.16 per layer)")


@pytest.mark.points(1)
def test_standard_weights_saturate(learner, rng):
    """tanh with N(0, 1) weights: units saturate, the std stays near 1"""
    _depth_experiment(learner, rng, "standard", "tanh", "std",
                      "tanh, weights N(0, 1): std of each layer's activations")


@pytest.mark.points(1)
def test_standard_weights_explode_relu(learner, rng):
    """ReLU with N(0, 1) weights: the signal explodes, about ×11 per layer"""
    _depth_experiment(learner, rng, "standard", "relu", "std",
                      "ReLU, weights N(0, 1): std of each layer's activations")


@pytest.mark.points(1)
def test_he_keeps_mean_square(learner, rng):
    """ReLU with He weights: the mean square of the activations stays put"""
    _depth_experiment(learner, rng, "he", "relu", "mean_sq",
                      "ReLU, He weights N(0, 2/fan_in): mean square of each layer "
                      "(the input's is about 1)")


@pytest.mark.points(1)
def test_old_rule_shrinks(learner, rng):
    """Linear layers with the old U(±1/sqrt(fan_in)) rule: std × 1/sqrt(3) per layer"""
    _depth_experiment(learner, rng, "glorot-bengio-old", "linear", "std",
                      "linear, weights U(±1/sqrt(fan_in)): std of each layer "
                      "(×0.577 per layer)")


# ---- the backward pass through the depth experiments ------------------------------------------

# The last backward experiments, by the generator's state they start from: with one seed for a
# whole class, every student meets the same ones, drawn and computed here once.
_EXPERIMENTS: dict[str, tuple] = {}
_EXPERIMENTS_KEPT = 6


def _experiment_inputs(rng, scheme: str, name: str) -> tuple:
    """X, the weights, G, the reference pass, its stds and gradient norms, as drawn from `rng`
    (left in the state the draws leave it in, whether they were made now or before). The arrays
    are read-only: nothing may change what the next student is compared with."""
    key = repr((rng.bit_generator.state, scheme, name))
    found = _EXPERIMENTS.get(key)
    if found is None:
        X = rng.normal(size=(BATCH, DEEP[0]))
        weights = [rng.normal(0.0, math.sqrt(ref.variance(scheme, fi, fo)), size=(fi, fo))
                   for fi, fo in itertools.pairwise(DEEP)]
        G = rng.normal(size=(BATCH, DEEP[-1]))
        p = ref.forward(X, weights, name)
        stds, norms = ref.stats(p.layers)["std"], ref.backward(p, name, G)
        for array in (X, G, stds, norms, *weights, *p.layers, *p.pre):
            array.flags.writeable = False
        found = (X, weights, G, p, stds, norms, rng.bit_generator.state)
        if len(_EXPERIMENTS) >= _EXPERIMENTS_KEPT:
            _EXPERIMENTS.pop(next(iter(_EXPERIMENTS)))
        _EXPERIMENTS[key] = found
    else:
        rng.bit_generator.state = found[-1]
    return found[:-1]


def _backward_experiment(learner, rng, scheme: str, name: str, title: str) -> None:
    X, weights, G, p, stds, norms = _experiment_inputs(rng, scheme, name)
    what = (f"weight_gradients(X, weights, {name!r}, G) with '{scheme}' weights for the sizes "
            f"{DEEP}")
    got = _learner_gradients(learner, X, weights, name, G, what)
    labels = [f"layer {k + 1}" for k in range(len(weights))]
    show_bars(f"{name}, '{scheme}' weights: std of each layer's activations (forward)", labels,
              stds)
    show_bars(title, labels, got)
    _expect_gradients(got, p, name, G, what, norms)


@pytest.mark.points(1)
def test_small_weights_gradients(learner, rng):
    """tanh with N(0, 0.01²) weights: tiny weight gradients, alike in every layer"""
    _backward_experiment(learner, rng, "small", "tanh",
                         "||dW_k||: the same tiny size in every layer (not smaller in the early "
                         "ones)")


@pytest.mark.points(1)
def test_saturated_tanh_gradients(learner, rng):
    """Saturated tanh (N(0, 1) weights): the std holds, the gradients grow towards the input"""
    _backward_experiment(learner, rng, "standard", "tanh",
                         "||dW_k||: larger and larger towards layer 1 (exploding)")


@pytest.mark.points(1)
def test_sigmoid_gradients_vanish(learner, rng):
    """Sigmoid with Xavier weights: the std holds, the gradients vanish towards the input"""
    _backward_experiment(learner, rng, "xavier", "sigmoid",
                         "||dW_k||: about 4 times smaller per layer towards layer 1 (vanishing)")
