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

import numpy as np

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


def forward(X: np.ndarray, weights: list[np.ndarray], name: str,
             last_act: bool = True) -> list[np.ndarray]:
    """[A_0 = X, A_1, ..., A_L] in float64."""
    out = [np.asarray(X, dtype=float)]
    for k, W in enumerate(weights):
        Z = out[-1] @ np.asarray(W, dtype=float)
        out.append(act(name, Z) if last_act or k < len(weights) - 1 else Z)
    return out


def stats(layers: list[np.ndarray]) -> dict[str, np.ndarray]:
    acts = layers[1:]
    return {"mean": np.array([a.mean() for a in acts]),
            "std": np.array([a.std() for a in acts]),
            "mean_sq": np.array([np.mean(a**2) for a in acts])}


def tanh_moments(sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def layer_law(A: np.ndarray, v: float, name: str, kurtosis: float) -> tuple[float, float]:
    """Mean of a column's mean square f(A w)^2, and a bound on its std, for w of variance v."""
    norms2 = np.sum(A * A, axis=1)
    var = v * norms2
    if name == "linear":
        m2 = var
        m4 = 3.0 * var**2 + (kurtosis - 3.0) * v * v * np.sum(A**4, axis=1)
    elif name == "relu":
        m2, m4 = var / 2.0, 1.5 * var**2
    else:
        m2, m4 = tanh_moments(np.sqrt(var))
    sd = np.sqrt(np.maximum(m4 - m2 * m2, 0.0))
    return float(m2.mean()), float(sd.mean())


def forward_slips(X: np.ndarray, weights: list, name: str) -> list[tuple[str, dict, str]]:
    """Statistics that classic slips in layer_stats produce."""
    layers = forward(X, weights, name)
    ref = stats(layers)
    per_unit = {"mean": ref["mean"], "std": np.array([a.std(axis=0).mean() for a in layers[1:]]),
                "mean_sq": ref["mean_sq"]}
    per_example = {"mean": ref["mean"],
                   "std": np.array([a.std(axis=1).mean() for a in layers[1:]]),
                   "mean_sq": ref["mean_sq"]}
    no_sq_mean = dict(ref, mean_sq=ref["std"] ** 2)
    ddof = dict(ref, std=np.array([a.std(ddof=1) for a in layers[1:]]))
    pre = stats([X] + [layers[k] @ np.asarray(W, dtype=float)
                        for k, W in enumerate(weights)])
    last = stats(forward(X, weights, name, last_act=False))
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


def backward(X: np.ndarray, weights: list, name: str, G: np.ndarray,
             slip: str = "") -> np.ndarray | None:
    """||dW_k|| for k = 1..L, back-propagating G = dL/dA_L; with `slip`, as that slip computes
    them (None when the slip cannot run on these shapes)."""
    layers = forward(X, weights, name)
    Ws = [np.asarray(W, dtype=float) for W in weights]
    dA = np.asarray(G, dtype=float)
    norms, errors = np.zeros(len(Ws)), np.zeros(len(Ws))
    for k in reversed(range(len(Ws))):
        z = layers[k] @ Ws[k]
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
        return norms / np.asarray(X).shape[0]
    return norms
