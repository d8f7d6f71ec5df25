"""Hidden checks for 07-signals: how the spread of the signal evolves through a deep network.

The depth checks use the law of one layer, conditional on the layer below. For a weight column
`w` with independent zero-mean entries of variance `v` and the batch `A` below it, unit
`z_i = a_i · w` of example `i` has `E[z_i^2] = v ||a_i||^2`; with normal weights `z_i` is exactly
N(0, v ||a_i||^2), so `E[f(z_i)^2]` and `Var(f(z_i)^2)` are known for every activation `f`. The
per-column mean squares `c_j = mean_i f(z_ij)^2` are independent across the columns `j` of a
layer, with mean `mean_i E[f(z_i)^2]` and a standard deviation of at most
`mean_i sd(f(z_i)^2)` (Cauchy-Schwarz bounds the covariances between the examples). Standardised
by these, the column values of every layer pool into one sample of mean 0 and std at most 1.
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

SCHEMES = ("small", "standard", "lecun", "xavier", "he", "glorot-bengio-old")
NAMES = ("linear", "tanh", "relu", "sigmoid")
KEYS = ("mean", "std", "mean_sq")
DEEP = [100] + [256] * 8  # the depth experiments: 100 inputs, eight layers of 256 units
BATCH = 64

# scheme -> (catalogue key in grader.checkapi.diagnose, formula, variance as a function of the fans)
NORMAL = {
    "small": ("small", "0.01", lambda fi, fo: 1e-4),
    "standard": ("unit", "1", lambda fi, fo: 1.0),
    "lecun": ("lecun_normal", "sqrt(1/fan_in)", lambda fi, fo: 1.0 / fi),
    "xavier": ("xavier_normal", "sqrt(2/(fan_in+fan_out))", lambda fi, fo: 2.0 / (fi + fo)),
    "he": ("he_normal", "sqrt(2/fan_in)", lambda fi, fo: 2.0 / fi),
}


def _variance(scheme: str, fan_in: int, fan_out: int) -> float:
    if scheme == "glorot-bengio-old":
        return 1.0 / (3.0 * fan_in)
    return NORMAL[scheme][2](fan_in, fan_out)


def _act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _forward(X: np.ndarray, weights: list[np.ndarray], name: str,
             last_act: bool = True) -> list[np.ndarray]:
    """[A_0 = X, A_1, ..., A_L] in float64."""
    out = [np.asarray(X, dtype=float)]
    for k, W in enumerate(weights):
        Z = out[-1] @ np.asarray(W, dtype=float)
        out.append(_act(name, Z) if last_act or k < len(weights) - 1 else Z)
    return out


def _stats(layers: list[np.ndarray]) -> dict[str, np.ndarray]:
    acts = layers[1:]
    return {"mean": np.array([a.mean() for a in acts]),
            "std": np.array([a.std() for a in acts]),
            "mean_sq": np.array([np.mean(a**2) for a in acts])}


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
    if set(value) != set(KEYS):
        fail(f"{what} returned a dict with the keys {sorted(map(str, value))}; expected exactly "
             "'mean', 'std' and 'mean_sq'")
    L = len(weights)
    out = {}
    for key in KEYS:
        arr = np.asarray(value[key]) if isinstance(value[key], list) else value[key]
        if isinstance(arr, np.ndarray) and arr.shape == (L + 1,):
            fail(f"{what}[{key!r}] has {L + 1} entries for {L} weight matrices: report the "
                 "layers after each matrix only, not the input X")
        out[key] = expect_array(arr, f"{what}[{key!r}]", shape=(L,))
    return out


def _expect_stats(stats: dict, layers: list[np.ndarray], name: str, what: str,
                  slips: list[tuple[str, dict, str]]) -> None:
    """The learner's statistics equal those of a direct forward pass; name a known slip."""
    ref = _stats(layers)
    scale = np.maximum(ref["std"], 1e-300)
    for key in KEYS:
        got = stats[key].astype(float)
        atol = 1e-4 * scale if key == "mean" else 1e-300
        ok = np.abs(got - ref[key]) <= 1e-4 * np.abs(ref[key]) + atol
        if ok.all():
            continue
        for label, alt, why in slips:
            alt_scale = np.maximum(np.abs(alt[key]), 1e-300)
            if (not np.allclose(alt[key], ref[key], rtol=1e-4, atol=0)
                    and np.all(np.abs(got - alt[key]) <= 1e-4 * alt_scale + atol)):
                fail(f"{what}[{key!r}] = {_row(got)}; expected {_row(ref[key])}. It matches "
                     f"{label}: {why}.")
        k = int(np.argmin(ok))
        fail(f"{what}[{key!r}] is wrong for layer {k + 1}: {fmt(got[k])} where "
             f"{fmt(ref[key][k])} was expected (over all entries of A_{k + 1} = "
             f"{name}(A_{k} @ W_{k + 1})); the full row is {_row(got)}, expected {_row(ref[key])}")


def _row(values: np.ndarray) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def _slips(X: np.ndarray, weights: list, name: str) -> list[tuple[str, dict, str]]:
    """Statistics that classic slips in layer_stats produce."""
    layers = _forward(X, weights, name)
    ref = _stats(layers)
    per_unit = {"mean": ref["mean"], "std": np.array([a.std(axis=0).mean() for a in layers[1:]]),
                "mean_sq": ref["mean_sq"]}
    per_example = {"mean": ref["mean"],
                   "std": np.array([a.std(axis=1).mean() for a in layers[1:]]),
                   "mean_sq": ref["mean_sq"]}
    no_sq_mean = dict(ref, mean_sq=ref["std"] ** 2)
    pre = _stats([X] + [layers[k] @ np.asarray(W, dtype=float)
                        for k, W in enumerate(weights)])
    last = _stats(_forward(X, weights, name, last_act=False))
    lagged = {k: np.concatenate([[_stats([X, X])[k][0]], ref[k][:-1]]) for k in KEYS}
    return [
        ("the std of each unit over the batch, averaged", per_unit,
         "take the std over all entries of the layer at once (A.std()), not per unit"),
        ("the std of each example over the units, averaged", per_example,
         "take the std over all entries of the layer at once (A.std()), not per example"),
        ("the variance (std squared)", no_sq_mean,
         "the mean square is mean(A**2) = std**2 + mean**2; it equals the variance only for "
         "zero-mean activations"),
        ("the statistics of the pre-activations A_{k-1} @ W_k", pre,
         "apply the activation before measuring"),
        ("a network without the activation on its last layer", last,
         "every layer, the last one included, applies the activation"),
        ("the statistics of the layer below (X first)", lagged,
         "report A_1 ... A_L, each after its own matrix, not the input X"),
    ]


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
    sizes = [250, 120, 500]
    for scheme, (key, formula, variance) in NORMAL.items():
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

@pytest.mark.points(2)
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
        _expect_stats(stats, _forward(X, weights, name), name, what, _slips(X, weights, name))
    X = rng.normal(size=(4, 3))
    with expect_raises("ValueError", "layer_stats(X, weights, 'softplus')"):
        learner.layer_stats(X, [rng.normal(size=(3, 2))], "softplus")


# ---- the depth experiments ----------------------------------------------------------------------

def _tanh_moments(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[tanh(z)^2] and E[tanh(z)^4] for z ~ N(0, sigma^2), each sigma, by trapezoid sums."""
    sigma = np.asarray(sigma, dtype=float)[:, None]
    m2 = np.empty(sigma.shape[0])
    m4 = np.empty(sigma.shape[0])
    small = sigma[:, 0] <= 1.0
    if small.any():  # the integrand tanh(s u)^2 phi(u) is smooth on the scale of u
        u = np.linspace(-12.0, 12.0, 4801)
        w = np.exp(-u * u / 2) / math.sqrt(2 * math.pi) * (u[1] - u[0])
        t2 = np.tanh(sigma[small] * u) ** 2
        m2[small], m4[small] = t2 @ w, (t2 * t2) @ w
    if (~small).any():  # 1 - tanh^2 = sech^2 is concentrated near z = 0: integrate it in z
        z = np.linspace(-25.0, 25.0, 10001)
        s = sigma[~small]
        density = np.exp(-(z / s) ** 2 / 2) / (s * math.sqrt(2 * math.pi)) * (z[1] - z[0])
        sech2 = 1.0 / np.cosh(z) ** 2
        e2 = (density * sech2).sum(axis=1)
        e4 = (density * sech2**2).sum(axis=1)
        m2[~small], m4[~small] = 1.0 - e2, 1.0 - 2.0 * e2 + e4
    return m2, m4


def _layer_law(A: np.ndarray, v: float, name: str, kurtosis: float) -> tuple[float, float]:
    """Mean of a column's mean square f(A w)^2, and a bound on its std, for w of variance v."""
    norms2 = np.sum(A * A, axis=1)
    var = v * norms2
    if name == "linear":
        m2 = var
        m4 = 3.0 * var**2 + (kurtosis - 3.0) * v * v * np.sum(A**4, axis=1)
    elif name == "relu":
        m2, m4 = var / 2.0, 1.5 * var**2
    else:
        m2, m4 = _tanh_moments(np.sqrt(var))
    sd = np.sqrt(np.maximum(m4 - m2 * m2, 0.0))
    return float(m2.mean()), float(sd.mean())


def _depth_experiment(learner, rng, scheme: str, name: str, shown: str, title: str) -> dict:
    X = rng.normal(size=(BATCH, DEEP[0]))
    weights = _weights(learner, DEEP, scheme, rng)
    what = f"layer_stats(X, init_weights({DEEP}, {scheme!r}, rng), {name!r})"
    stats = _learner_stats(learner, X, weights, name, what)
    L = len(weights)
    show_bars(title, [f"layer {k + 1}" for k in range(L)], stats[shown])
    layers = _forward(X, weights, name)
    _expect_stats(stats, layers, name, what, _slips(X, weights, name))

    kurtosis = 1.8 if scheme == "glorot-bengio-old" else 3.0
    pooled, rows = [], []
    for k in range(L):
        v = _variance(scheme, DEEP[k], DEEP[k + 1])
        mu, sd = _layer_law(layers[k], v, name, kurtosis)
        columns = np.mean(_act(name, layers[k] @ weights[k].astype(float)) ** 2, axis=0)
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
