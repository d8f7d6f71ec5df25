"""The reference network of exercise 07 (signals), for its hidden checks: the forward and
backward passes, the layer statistics, the law of one layer, and the numbers that a learner's
classic slips produce, so that feedback can name the slip.

The law of one layer, conditional on the layer below: for a weight column `w` with independent
zero-mean entries of variance `v` and the batch `A` below it, unit `z_i = a_i · w` of example `i`
has `E[z_i^2] = v ||a_i||^2`; with normal weights `z_i` is exactly N(0, v ||a_i||^2), so
`E[f(z_i)^2]` and `Var(f(z_i)^2)` are known for every activation `f`. The per-column mean squares
`c_j = mean_i f(z_ij)^2` are independent across the columns `j` of a layer, with mean
`mean_i E[f(z_i)^2]` and a standard deviation of at most `mean_i sd(f(z_i)^2)` (Cauchy-Schwarz
bounds the covariances between the examples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

KEYS = ("mean", "std", "mean_sq")

# scheme -> (catalogue key in grader.checkapi.diagnose, formula, variance as a function of the fans)
NORMAL = {
    "small": ("small", "0.01", lambda fi, fo: 1e-4),
    "standard": ("unit", "1", lambda fi, fo: 1.0),
    "lecun": ("lecun_normal", "sqrt(1/fan_in)", lambda fi, fo: 1.0 / fi),
    "xavier": ("xavier_normal", "sqrt(2/(fan_in+fan_out))", lambda fi, fo: 2.0 / (fi + fo)),
    "he": ("he_normal", "sqrt(2/fan_in)", lambda fi, fo: 2.0 / fi),
}


def variance(scheme: str, fan_in: int, fan_out: int) -> float:
    if scheme == "glorot-bengio-old":
        return 1.0 / (3.0 * fan_in)
    return NORMAL[scheme][2](fan_in, fan_out)


def act(name: str, z: np.ndarray) -> np.ndarray:
    if name == "linear":
        return z
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


@dataclass
class Pass:
    """One forward pass, kept so that a check computes it once: the layers A_0 = X, A_1, ...,
    A_L and the pre-activations Z_k = A_{k-1} @ W_k, all in float64."""

    layers: list[np.ndarray]
    pre: list[np.ndarray]
    weights: list[np.ndarray]

    @property
    def x(self) -> np.ndarray:
        return self.layers[0]


def forward(X: np.ndarray, weights: list, name: str) -> Pass:
    """X through `weights`, the activation `name` after every layer, the last one included."""
    out, pre = [np.asarray(X, dtype=float)], []
    Ws = [np.asarray(W, dtype=float) for W in weights]
    for W in Ws:
        pre.append(out[-1] @ W)
        out.append(act(name, pre[-1]))
    return Pass(out, pre, Ws)


def stats(layers: list[np.ndarray]) -> dict[str, np.ndarray]:
    acts = layers[1:]
    return {"mean": np.array([a.mean() for a in acts]),
            "std": np.array([a.std() for a in acts]),
            "mean_sq": np.array([np.mean(a**2) for a in acts])}


# Gauss-Hermite nodes for E[g(u)], u ~ N(0, 1), where tanh(sigma u)^2 is smooth on the scale of u
HERMITE_NODES = 200
# the trapezoid rule in z where it is not: step and reach (sech(25)^2 is 8e-22)
Z_STEP, Z_MAX = 0.125, 25.0


@cache
def _hermite_rule() -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of E[g(u)] = sum(w g(u)) for u ~ N(0, 1); computed once a session."""
    u, w = hermegauss(HERMITE_NODES)
    return u, w / math.sqrt(2 * math.pi)


@cache
def _sech_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The z grid, sech(z)^2 and sech(z)^4 on it; computed once a session."""
    z = np.linspace(-Z_MAX, Z_MAX, round(2 * Z_MAX / Z_STEP) + 1)
    sech2 = 1.0 / np.cosh(z) ** 2
    return z, sech2, sech2**2


def tanh_moments(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[tanh(z)^2] and E[tanh(z)^4] for z ~ N(0, sigma^2), each sigma, within 1e-14 relative
    (tests/test_signals_reference.py weighs them against an extended-precision reference).

    sigma <= 1: Gauss-Hermite in u = z / sigma; tanh(sigma u)^2 is analytic within
    pi / (2 sigma) >= pi/2 of the real axis, so 200 nodes suffice. Above 1 its poles close in on
    the axis (200 nodes are 3% off at sigma = 16), so 1 - tanh^2 = sech^2, concentrated near
    z = 0, is integrated in z against the normal density by the trapezoid rule, whose error for
    an integrand analytic in the strip |Im z| < pi/2 falls as exp(-pi^2 / step): 401 points."""
    sigma = np.asarray(sigma, dtype=float)[:, None]
    m2 = np.empty(sigma.shape[0])
    m4 = np.empty(sigma.shape[0])
    small = sigma[:, 0] <= 1.0
    if small.any():
        u, w = _hermite_rule()
        t2 = np.tanh(sigma[small] * u) ** 2
        m2[small], m4[small] = t2 @ w, (t2 * t2) @ w
    if (~small).any():
        z, sech2, sech4 = _sech_table()
        s = sigma[~small]
        density = np.exp(-(z / s) ** 2 / 2) / (s * math.sqrt(2 * math.pi)) * Z_STEP
        e2, e4 = density @ sech2, density @ sech4
        m2[~small], m4[~small] = 1.0 - e2, 1.0 - 2.0 * e2 + e4
    return m2, m4


def layer_law(A: np.ndarray, v: float, name: str, kurtosis: float) -> tuple[float, float]:
    """Mean of a column's mean square f(A w)^2, and a bound on its std, for w of variance v."""
    squares = A * A
    var = v * np.sum(squares, axis=1)
    if name == "linear":
        m2 = var
        # squares * squares, not A**4: numpy's pow for a 4th power is ten times slower
        m4 = 3.0 * var**2 + (kurtosis - 3.0) * v * v * np.sum(squares * squares, axis=1)
    elif name == "relu":
        m2, m4 = var / 2.0, 1.5 * var**2
    else:
        m2, m4 = tanh_moments(np.sqrt(var))
    sd = np.sqrt(np.maximum(m4 - m2 * m2, 0.0))
    return float(m2.mean()), float(sd.mean())


def forward_slips(p: Pass) -> list[tuple[str, dict, str]]:
    """Statistics that classic slips in layer_stats produce, from the pass they slip on."""
    layers, X = p.layers, p.x
    ref = stats(layers)
    per_unit = {"mean": ref["mean"], "std": np.array([a.std(axis=0).mean() for a in layers[1:]]),
                "mean_sq": ref["mean_sq"]}
    per_example = {"mean": ref["mean"],
                   "std": np.array([a.std(axis=1).mean() for a in layers[1:]]),
                   "mean_sq": ref["mean_sq"]}
    no_sq_mean = dict(ref, mean_sq=ref["std"] ** 2)
    ddof = dict(ref, std=np.array([a.std(ddof=1) for a in layers[1:]]))
    pre = stats([X, *p.pre])
    last = stats([*layers[:-1], p.pre[-1]])
    lagged = {k: np.concatenate([[stats([X, X])[k][0]], ref[k][:-1]]) for k in KEYS}
    return [
        ("the sample std with ddof=1", ddof,
         "the card asks for numpy's default std, ddof=0 (divide by the number of entries)"),
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


# ---- the backward pass --------------------------------------------------------------------------

def slope(name: str, z: np.ndarray, of_z: bool = False) -> np.ndarray:
    """act'(z), entrywise; `of_z`: the slip of writing the slope's formula on z itself
    (1 - z**2 for tanh, z * (1 - z) for sigmoid)."""
    if of_z and name in ("tanh", "sigmoid"):
        return 1.0 - z**2 if name == "tanh" else z * (1.0 - z)
    if name == "linear":
        return np.ones_like(z)
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    s = act("sigmoid", z)
    return s * (1.0 - s)


# slip -> what it gets wrong, for the numbers `backward(..., slip)` computes
BACKWARD_SLIPS = {
    "no_slope": "the activation's slope act'(Z_k) is missing: dZ_k = dA_k * act'(Z_k)",
    "slope_of_output": "the slope was taken at the layer's output A_k = act(Z_k) instead of its "
                       "pre-activation Z_k: act'(Z_k), e.g. 1 - tanh(Z_k)**2 = 1 - A_k**2",
    "slope_of_z": "the slope's formula was applied to Z_k itself: tanh'(z) is 1 - tanh(z)**2, "
                  "not 1 - z**2 (and sigmoid'(z) is s * (1 - s) with s = sigmoid(z))",
    "slope_not_passed_back": "the error was passed back as dA_k @ W_k.T, without the slope: "
                             "dA_{k-1} = dZ_k @ W_k.T, with dZ_k = dA_k * act'(Z_k)",
    "output_as_input": "the layer's output A_k was used where its input A_{k-1} belongs: "
                       "dW_k = A_{k-1}.T @ dZ_k",
    "error_norms": "those are the norms of the errors dZ_k; report the weight gradients "
                   "dW_k = A_{k-1}.T @ dZ_k",
    "squared": "those are squared norms; report np.linalg.norm(dW_k) itself",
    "reversed": "the layers are listed from the last to the first; entry k - 1 is layer k",
    "mean_batch": "the gradients were divided by the batch size: G is already dL/dA_L, so "
                  "dW_k = A_{k-1}.T @ dZ_k with no averaging",
}


def backward(p: Pass, name: str, G: np.ndarray, slip: str = "") -> np.ndarray | None:
    """||dW_k|| for k = 1..L of the pass `p`, back-propagating G = dL/dA_L; with `slip`, as that
    slip computes them (None when the slip cannot run on these shapes)."""
    layers, Ws = p.layers, p.weights
    dA = np.asarray(G, dtype=float)
    norms, errors = np.zeros(len(Ws)), np.zeros(len(Ws))
    for k in reversed(range(len(Ws))):
        z = p.pre[k]
        at = layers[k + 1] if slip == "slope_of_output" else z
        dZ = dA if slip == "no_slope" else dA * slope(name, at, slip == "slope_of_z")
        below = layers[k + 1] if slip == "output_as_input" else layers[k]
        if below.shape[1] != Ws[k].shape[0]:
            return None
        norms[k] = np.linalg.norm(below.T @ dZ)
        errors[k] = np.linalg.norm(dZ)
        dA = (dA if slip == "slope_not_passed_back" else dZ) @ Ws[k].T
    if slip == "error_norms":
        return errors
    if slip == "squared":
        return norms**2
    if slip == "reversed":
        return norms[::-1]
    if slip == "mean_batch":
        return norms / p.x.shape[0]
    return norms
