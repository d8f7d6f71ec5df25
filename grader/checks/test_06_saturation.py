"""Hidden checks for 06-saturation: weight scale, saturation and the small-scale regime.

Most checks feed the learner an input `X` whose rows are orthogonal and all of length `R`. Then
for weights with independent N(0, s^2) entries every pre-activation of `X @ W` is N(0, (s R)^2)
and the entries are *independent* (their covariance is s^2 X X^T = (s R)^2 I). The saturated
fraction of `n * n_out` entries is then a binomial proportion with the exact probability
p = erfc(t / (s R sqrt(2))), t = atanh(threshold) for tanh and logit(threshold) for the sigmoid.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

from grader.checkapi.diagnose import Mistake
from grader.checkapi.expect import (
    expect_array,
    expect_distribution,
    expect_fraction,
    expect_mean,
    expect_raises,
    expect_reproducible,
    expect_std,
    fail,
    fmt,
    is_number,
    show_bars,
)

NAMES = ("tanh", "sigmoid")
R = 10.0  # row length of the inputs: what 100 unit-variance features have on average


# ---- exact facts the checks compare with --------------------------------------------------------

def _limit(name: str, threshold: float) -> float:
    """The |pre-activation| beyond which a unit counts as saturated."""
    if name == "tanh":
        return math.atanh(threshold)
    return math.log(threshold / (1.0 - threshold))


def _p_saturated(sigma: float, name: str, threshold: float = 0.99) -> float:
    """P(unit saturated) for a N(0, sigma^2) pre-activation: 2 (1 - Phi(t / sigma))."""
    return math.erfc(_limit(name, threshold) / (sigma * math.sqrt(2.0)))


def _act(name: str, z: np.ndarray) -> np.ndarray:
    return np.tanh(z) if name == "tanh" else 0.5 * (1.0 + np.tanh(0.5 * z))


@functools.cache
def _moments(name: str, sigma: float) -> tuple[float, float, float]:
    """Mean, variance and kurtosis of act(z), z ~ N(0, sigma^2), by Gauss-Hermite quadrature
    (kept: the checks ask for the same few sigmas for every student)."""
    nodes, weights = hermegauss(120)
    weights = weights / weights.sum()
    a = _act(name, sigma * nodes)
    mean = float(weights @ a)
    var = float(weights @ (a - mean) ** 2)
    kurt = float(weights @ (a - mean) ** 4) / var**2
    return mean, var, kurt


def _orthogonal_inputs(rng: np.random.Generator, n: int, n_in: int,
                       length: float = R) -> np.ndarray:
    """n rows of length `length`, pairwise orthogonal (n <= n_in)."""
    q, _ = np.linalg.qr(rng.normal(size=(n_in, n)))
    return length * q.T


def _to_pre_activation(name: str, acts: np.ndarray) -> np.ndarray:
    """Invert the activation (clipped away from the asymptotes, for float32 answers)."""
    if name == "tanh":
        return np.arctanh(np.clip(acts, -1 + 1e-7, 1 - 1e-7))
    p = np.clip(acts, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def _number(value, what: str) -> float:
    if not is_number(value):
        fail(f"{what} returned {type(value).__name__} {value!r}; expected a number (a float "
             "between 0 and 1, such as float(np.mean(mask)))")
    if not 0.0 <= value <= 1.0:
        fail(f"{what} returned {fmt(value)}; a fraction lies between 0 and 1 (did you count the "
             "saturated entries instead of dividing by their number?)")
    return float(value)


def _layer_mistakes(scale: float, name: str, threshold: float, length: float) -> list[Mistake]:
    """Saturated fractions that classic slips produce, for one layer."""
    p = _p_saturated(scale * length, name, threshold)
    out = [
        Mistake("2(1 - Phi(t / (sqrt(scale)·||x||)))",
                _p_saturated(math.sqrt(scale) * length, name, threshold),
                "the weights were drawn with variance `scale` (std sqrt(scale)); `scale` is the "
                "standard deviation, pass it to rng.normal as it is"),
        Mistake("2(1 - Phi(t / (scale²·||x||)))",
                _p_saturated(scale * scale * length, name, threshold),
                "the weights were drawn with std scale**2; `scale` is the standard deviation"),
        Mistake("half the expected fraction", p / 2,
                "only one asymptote is counted: a unit is saturated near -1 (tanh) or 0 (sigmoid) "
                "as well, so count both asymptotes"),
        Mistake("the unsaturated fraction", 1 - p,
                "that is the share of units that are NOT saturated"),
    ]
    if threshold != 0.99:
        out.append(Mistake("the fraction for threshold 0.99", _p_saturated(scale * length, name),
                           "the `threshold` argument is ignored: pass it on to "
                           "saturation_fraction"))
    # At scale 1 sqrt(scale) is scale, and at 0.01 every slip saturates nothing either: a slip
    # that gives the right fraction is no mistake at these sizes.
    return [m for m in out if not math.isclose(m.value, p, rel_tol=1e-9, abs_tol=1e-12)]


def _formula(name: str, threshold: float, sigma: float) -> str:
    t = "atanh" if name == "tanh" else "logit"
    return (f"2(1 - Phi({t}({threshold:g}) / sigma)) with sigma = scale·||x|| = {fmt(sigma)}")


def _crafted(rng: np.random.Generator, name: str, shape: tuple[int, ...], spread: float,
             threshold: float) -> np.ndarray:
    """Activations of N(0, spread^2) pre-activations, none within 1e-6 of a threshold."""
    acts = _act(name, rng.normal(0.0, spread, size=shape))
    edges = (-threshold, threshold) if name == "tanh" else (1 - threshold, threshold)
    for edge in edges:
        close = np.abs(acts - edge) < 1e-6
        acts[close] = edge + 1e-5 * np.sign(acts[close] - edge + 1e-300)
    return acts


# ---- saturation_fraction ------------------------------------------------------------------------

def _check_fraction(learner, acts: np.ndarray, name: str, threshold: float | None) -> None:
    thr = 0.99 if threshold is None else threshold
    args = f"A of shape {acts.shape}, {name!r}" + ("" if threshold is None else f", {thr:g}")
    what = f"saturation_fraction({args})"
    if threshold is None:
        value = learner.saturation_fraction(acts, name)
    else:
        value = learner.saturation_fraction(acts, name, threshold=thr)
    if not is_number(value):
        fail(f"{what} returned {type(value).__name__} {value!r}; expected a number such as "
             "float(np.mean(mask))")
    if name == "tanh":
        expected = float(np.mean(np.abs(acts) > thr))
        slips = [
            ("the fraction with a > threshold alone", float(np.mean(acts > thr)),
             "only the upper asymptote is counted; tanh also saturates near -1, so use |a|; "
             "count both asymptotes"),
            ("the fraction with a < -threshold alone", float(np.mean(acts < -thr)),
             "only the lower asymptote is counted; count both asymptotes with |a| > threshold"),
        ]
    else:
        expected = float(np.mean((acts > thr) | (acts < 1 - thr)))
        slips = [
            ("the fraction with a > threshold alone", float(np.mean(acts > thr)),
             "the sigmoid also saturates near 0: count a > threshold OR a below 1 - threshold"),
            ("the fraction with a < 1 - threshold alone", float(np.mean(acts < 1 - thr)),
             "the sigmoid also saturates near 1: count a > threshold OR a below 1 - threshold"),
            ("the fraction with |a| > threshold (the tanh rule)",
             float(np.mean(np.abs(acts) > thr)),
             "sigmoid outputs are positive, so |a| > threshold misses the ones near 0: count "
             "a > threshold OR a below 1 - threshold"),
        ]
    slips += [
        ("the number of saturated entries", float(expected * acts.size),
         "that is the count of saturated entries, not the fraction: divide by A.size or use "
         "np.mean"),
        ("one minus the fraction", 1.0 - expected,
         "that is the fraction of entries that are NOT saturated"),
    ]
    if threshold is not None:
        slips.append(("the fraction for threshold 0.99", saturation_at(acts, name, 0.99),
                      "the `threshold` argument is ignored"))
    if math.isclose(float(value), expected, rel_tol=1e-9, abs_tol=1e-12):
        return
    for label, wrong, why in slips:
        if not math.isclose(wrong, expected, abs_tol=1e-12) and math.isclose(
                float(value), wrong, rel_tol=1e-9, abs_tol=1e-12):
            fail(f"{what} returned {fmt(value)}; expected {fmt(expected)}. Your value is {label}: "
                 f"{why}.")
    rule = "|a| > threshold" if name == "tanh" else "a > threshold or a < 1 - threshold"
    fail(f"{what} returned {fmt(value)}; expected {fmt(expected)}, the fraction of entries with "
         f"{rule}.")


def saturation_at(acts: np.ndarray, name: str, thr: float) -> float:
    if name == "tanh":
        return float(np.mean(np.abs(acts) > thr))
    return float(np.mean((acts > thr) | (acts < 1 - thr)))


@pytest.mark.points(2)
def test_fraction_tanh(learner, rng):
    """saturation_fraction counts tanh outputs with |a| > threshold"""
    _check_fraction(learner, _crafted(rng, "tanh", (40, 60), 2.5, 0.99), "tanh", None)
    _check_fraction(learner, _crafted(rng, "tanh", (500,), 1.5, 0.9), "tanh", 0.9)
    _check_fraction(learner, _crafted(rng, "tanh", (3, 7, 11), 3.0, 0.99), "tanh", 0.99)
    _check_fraction(learner, np.tanh(np.array([[0.1, -0.2], [0.3, 0.05]])), "tanh", None)


@pytest.mark.points(2)
def test_fraction_sigmoid(learner, rng):
    """saturation_fraction counts sigmoid outputs above threshold or below 1 - threshold"""
    _check_fraction(learner, _crafted(rng, "sigmoid", (40, 60), 4.0, 0.99), "sigmoid", None)
    _check_fraction(learner, _crafted(rng, "sigmoid", (800,), 3.0, 0.95), "sigmoid", 0.95)
    _check_fraction(learner, _crafted(rng, "sigmoid", (5, 6, 7), 6.0, 0.99), "sigmoid", 0.99)


# ---- layer_activations --------------------------------------------------------------------------

@pytest.mark.points(2)
def test_activations_distribution(learner, rng):
    """layer_activations returns act(X @ W) with W ~ N(0, scale²) and no bias"""
    for name, scale, n, n_in, n_out in (("tanh", 0.25, 40, 64, 50), ("sigmoid", 0.4, 25, 30, 80),
                                        ("tanh", 0.1, 30, 100, 40)):
        X = _orthogonal_inputs(rng, n, n_in)
        what = f"layer_activations(X, {scale:g}, {name!r}, {n_out}, rng) with X of shape {X.shape}"
        acts = expect_array(learner.layer_activations(X, scale, name, n_out, rng), what,
                         shape=(n, n_out))
        low, high = (-1.0, 1.0) if name == "tanh" else (0.0, 1.0)
        if acts.min() < low or acts.max() > high:
            fn = "np.tanh" if name == "tanh" else "the sigmoid 1 / (1 + exp(-z))"
            fail(f"{what} has values in [{fmt(acts.min())}, {fmt(acts.max())}], outside the range "
                 f"[{low:g}, {high:g}] of {name}: apply {fn} to X @ W")
        sigma = scale * R
        Z = _to_pre_activation(name, acts)
        inverse = "arctanh(A)" if name == "tanh" else "logit(A)"
        expect_std(Z, sigma, f"{what}: the pre-activations {inverse}",
                   formula="scale·||x|| (every row of X has length 10)",
                   mistakes=[
                       Mistake("sqrt(scale)·||x||", math.sqrt(scale) * R,
                               "the weights have variance `scale`; `scale` is their standard "
                               "deviation, pass it to rng.normal as it is"),
                       Mistake("scale²·||x||", scale * scale * R,
                               "the weights have std scale**2; `scale` is the standard "
                               "deviation"),
                       Mistake("||x||", R, "the weights are not multiplied by `scale`"),
                       Mistake("scale·||x||/sqrt(n_in)", sigma / math.sqrt(n_in),
                               "the weights were divided by sqrt(n_in): `scale` is their "
                               "standard deviation itself, with no fan-in rule on top"),
                       Mistake("scale·||x||/2", sigma / 2,
                               "the sigmoid got z/2 (or tanh got the sigmoid's formula)"),
                       Mistake("2·scale·||x||", sigma * 2,
                               "tanh got 2z (or the sigmoid got tanh's formula)"),
                   ])
        expect_mean(Z, 0.0, sigma, f"{what}: the pre-activations {inverse}")
        expect_distribution(acts, lambda a, s=sigma, nm=name: _normal_cdf(
            _to_pre_activation(nm, a) / s), f"{what}", f"{name}(z) with z ~ N(0, {fmt(sigma)}²)")


def _normal_cdf(u: np.ndarray) -> np.ndarray:
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * (1.0 + erf(u / math.sqrt(2.0)).astype(float))


@pytest.mark.points(1)
def test_small_scale_is_linear_and_small(learner, rng):
    """At scale 0.01 units stay in the linear regime, but the signal shrinks tenfold"""
    n, n_in, n_out, scale = 40, 100, 50, 0.01
    X = _orthogonal_inputs(rng, n, n_in)
    sigma = scale * R
    stds = [float(np.std(X))]
    for name in NAMES:
        what = f"layer_activations(X, 0.01, {name!r}, {n_out}, rng) with X of shape {X.shape}"
        acts = expect_array(learner.layer_activations(X, scale, name, n_out, rng), what,
                         shape=(n, n_out))
        _, var, kurt = _moments(name, sigma)
        if name == "sigmoid":
            expect_mean(acts, 0.5, math.sqrt(var), f"{what}: the outputs (a sigmoid sits at 0.5 "
                        "when its input is near 0)")
        slope = "1" if name == "tanh" else "1/4"
        expect_std(acts, math.sqrt(var), f"{what}: the outputs", kurtosis=kurt,
                   formula=f"about {slope} · 0.01 · ||x||, ||x|| = 10 (the layer is nearly linear)",
                   mistakes=[
                       Mistake("the output std for weights of std sqrt(0.01)",
                               math.sqrt(_moments(name, math.sqrt(scale) * R)[1]),
                               "the weights have variance 0.01 instead of std 0.01"),
                       Mistake("the output std for weights of std 0.01²",
                               math.sqrt(_moments(name, scale * scale * R)[1]),
                               "the weights have std scale**2 instead of scale"),
                   ])
        saturated = saturation_at(acts, name, 0.99)
        if saturated > 0:
            fail(f"{what}: {saturated:.1%} of the outputs are saturated; with pre-activations of "
                 f"std {fmt(sigma)} none should be (P < 1e-100)")
        stds.append(float(np.std(acts)))
    show_bars("std of the signal: the inputs, then one layer at weight std 0.01",
              ["input X", "tanh(X @ W)", "sigmoid(X @ W)"], stds)


# ---- layer_saturation ---------------------------------------------------------------------------

@pytest.mark.points(2)
def test_layer_saturation_matches_theory(learner, rng):
    """layer_saturation matches 2(1 - Phi(t / (scale·||x||))) for tanh and sigmoid"""
    n, n_in, n_out = 32, 64, 500
    cases = [("tanh", 0.3, None), ("tanh", 1.0, None), ("sigmoid", 0.5, None),
             ("sigmoid", 2.0, None), ("tanh", 0.2, 0.9)]
    for name, scale, threshold in cases:
        X = _orthogonal_inputs(rng, n, n_in)
        thr = 0.99 if threshold is None else threshold
        args = f"X, {scale:g}, {name!r}, {n_out}, rng" + (
            "" if threshold is None else f", threshold={thr:g}")
        what = f"layer_saturation({args}) with {n} orthogonal rows of length 10"
        if threshold is None:
            value = learner.layer_saturation(X, scale, name, n_out, rng)
        else:
            value = learner.layer_saturation(X, scale, name, n_out, rng, threshold=thr)
        value = _number(value, what)
        p = _p_saturated(scale * R, name, thr)
        expect_fraction(value, p, math.sqrt(p * (1 - p)), n * n_out, what,
                         _formula(name, thr, scale * R), _layer_mistakes(scale, name, thr, R))


@pytest.mark.points(1)
def test_layer_saturation_rows_of_any_length(learner, rng):
    """layer_saturation on ordinary inputs averages the per-row saturation probabilities"""
    n, n_in, n_out, scale = 30, 100, 2000, 0.4
    X = rng.normal(size=(n, n_in)) * rng.uniform(0.3, 1.7, size=(n, 1))
    lengths = np.linalg.norm(X, axis=1)
    probs = np.array([_p_saturated(scale * r, "tanh") for r in lengths])
    p = float(probs.mean())
    # Units in one column share a weight vector, so rows are dependent; columns are
    # independent, and the std of a column's fraction is at most mean(sqrt(p_i (1 - p_i))).
    sd = float(np.mean(np.sqrt(probs * (1 - probs))))
    what = f"layer_saturation(X, {scale:g}, 'tanh', {n_out}, rng) with X of shape {X.shape}"
    value = _number(learner.layer_saturation(X, scale, "tanh", n_out, rng), what)
    mistakes = [
        Mistake("the rate at sqrt(scale)",
                float(np.mean([_p_saturated(math.sqrt(scale) * r, "tanh") for r in lengths])),
                "the weights have variance `scale` instead of std `scale`"),
        Mistake("half the expected fraction", p / 2,
                "only one asymptote is counted; count both asymptotes"),
    ]
    expect_fraction(value, p, sd, n_out, what,
                     "the mean over rows of 2(1 - Phi(atanh(0.99) / (scale·||x_i||)))", mistakes)


# ---- saturation_curve ---------------------------------------------------------------------------

@pytest.mark.points(2)
def test_saturation_curve(learner, rng):
    """saturation_curve gives one fresh layer per scale, rising with the scale"""
    n, n_in, n_out = 32, 64, 200
    # Scales where p is 0 (to 1e-100) or at least 0.18, so that the normal tolerance holds.
    for name, scales in (("tanh", [0.01, 0.2, 0.3, 0.5, 1.0, 2.0]),
                         ("sigmoid", [0.01, 0.4, 0.6, 1.0, 2.0, 4.0])):
        X = _orthogonal_inputs(rng, n, n_in)
        what = f"saturation_curve(X, {scales}, {name!r}, {n_out}, rng)"
        curve = expect_array(learner.saturation_curve(X, scales, name, n_out, rng), what,
                             shape=(len(scales),), kind="n")
        show_bars(f"{name}: saturated fraction by weight std (inputs of length 10)",
                  [f"std {s:g}" for s in scales], curve)
        for k, scale in enumerate(scales):
            p = _p_saturated(scale * R, name)
            expect_fraction(float(curve[k]), p, math.sqrt(p * (1 - p)), n * n_out,
                             f"{what}[{k}] (scale {scale:g})", _formula(name, 0.99, scale * R),
                             _layer_mistakes(scale, name, 0.99, R))
    _expect_order_of_scales(learner, n, n_in, n_out, rng)
    X = _orthogonal_inputs(rng, n, n_in)
    repeated = [0.5] * 8
    what = f"saturation_curve(X, {repeated}, 'tanh', {n_out}, rng)"
    curve = expect_array(learner.saturation_curve(X, repeated, "tanh", n_out, rng), what,
                         shape=(8,), kind="n")
    if np.all(curve == curve[0]):
        fail(f"{what} returned {fmt(curve[0])} eight times: every entry should come from a fresh "
             "layer (new weights drawn from rng), so repeated scales give slightly different "
             "fractions. Do not draw one weight matrix and rescale it for every scale.")


def _expect_order_of_scales(learner, n: int, n_in: int, n_out: int,
                            rng: np.random.Generator) -> None:
    """The curve's layers are drawn in the order of `scales`: from a generator in one state, it is
    [layer_saturation(X, s, ...) for s in scales], each call advancing the generator in turn."""
    X = _orthogonal_inputs(rng, n, n_in)
    scales = [0.15, 0.3, 0.6, 1.2]
    seed = int(rng.integers(2**32))
    what = f"saturation_curve(X, {scales}, 'tanh', {n_out}, rng)"
    curve = expect_array(learner.saturation_curve(X, scales, "tanh", n_out,
                                                  np.random.default_rng(seed)),
                         what, shape=(len(scales),), kind="n")

    def one_by_one(order):
        g = np.random.default_rng(seed)
        return [_number(learner.layer_saturation(X, scales[k], "tanh", n_out, g),
                        f"layer_saturation(X, {scales[k]:g}, 'tanh', {n_out}, rng)")
                for k in order]

    expected = one_by_one(range(len(scales)))
    if np.allclose(curve, expected, rtol=0, atol=1e-9):
        return
    backwards = one_by_one(reversed(range(len(scales))))[::-1]
    if np.allclose(curve, backwards, rtol=0, atol=1e-9):
        fail(f"{what} drew its layers in the reverse order of `scales`: from a generator in the "
             f"same state, layer_saturation one scale after the other gives {np.round(expected, 4)}"
             f", your curve {np.round(curve, 4)}. Draw the layer for scales[0] first, then "
             "scales[1], and so on.")
    fail(f"{what} gave {np.round(curve, 4)}, but from a generator in the same state, "
         f"layer_saturation one scale after the other, in the order of `scales`, gives "
         f"{np.round(expected, 4)}: each entry must be one fresh layer, drawn in turn from rng "
         "(no extra draws, no shared weights)")


# ---- randomness discipline and names ------------------------------------------------------------

@pytest.mark.points(1)
def test_rng_discipline(learner, rng):
    """Every function draws only from rng: same generator state, same result; another, another"""
    X = _orthogonal_inputs(rng, 10, 20)
    expect_reproducible(learner, lambda r: learner.layer_activations(X, 0.5, "tanh", 30, r),
                        "layer_activations(X, 0.5, 'tanh', 30, rng)")
    expect_reproducible(learner, lambda r: learner.saturation_curve(
        X, [0.1, 0.3, 0.5, 1.0, 2.0, 3.0], "sigmoid", 30, r),
        "saturation_curve(X, [0.1, ..., 3.0], 'sigmoid', 30, rng)")
    # 20000 units: two layers give the same fraction with probability about 0.006, three times
    # in a row 2e-7.
    expect_reproducible(learner, lambda r: learner.layer_saturation(X, 0.5, "tanh", 2000, r),
                        "layer_saturation(X, 0.5, 'tanh', 2000, rng)")


@pytest.mark.points(1)
def test_unknown_name(learner, rng):
    """An unknown activation name raises ValueError"""
    acts = np.tanh(rng.normal(size=(4, 5)))
    X = rng.normal(size=(4, 3))
    with expect_raises("ValueError", "saturation_fraction(A, 'relu')"):
        learner.saturation_fraction(acts, "relu")
    with expect_raises("ValueError", "layer_activations(X, 0.1, 'relu', 5, rng)"):
        learner.layer_activations(X, 0.1, "relu", 5, rng)
    with expect_raises("ValueError", "layer_saturation(X, 0.1, 'Tanh ', 5, rng)"):
        learner.layer_saturation(X, 0.1, "Tanh ", 5, rng)
