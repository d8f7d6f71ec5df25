"""Hidden checks for exercise 11: LSUV (Mishkin & Matas 2015)."""

import math

import numpy as np
import pytest

from grader.checkapi.expect import (
    expect_array,
    expect_raises,
    expect_reproducible,
    expect_std,
    fail,
    fmt,
    show_bars,
)

ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "linear": lambda z: z,
}


def _inputs(rng, n, d, mix):
    """Correlated, off-centre, large-scale inputs: rows of `mu + N(0, I) @ mix`."""
    return 0.5 + rng.standard_normal((n, d)) @ mix


def _network(rng, d):
    mix = 3.0 * rng.standard_normal((d, d)) / math.sqrt(d)
    return mix


def _params(learner, X, sizes, activation, rng, **kwargs):
    """Call lsuv_init and validate the structure of what it returns."""
    shown = "".join(f", {k}={v!r}" for k, v in kwargs.items())
    what = f"lsuv_init(X, {sizes}, {activation!r}, rng{shown})"
    params = learner.lsuv_init(X, sizes, activation, rng, **kwargs)
    if not isinstance(params, list | tuple):
        fail(f"{what} returned {type(params).__name__}; expected a list of (W, b) pairs")
    if len(params) != len(sizes) - 1:
        fail(f"{what} returned {len(params)} items; expected one (W, b) pair per layer, "
             f"{len(sizes) - 1} for layer_sizes {sizes}")
    out = []
    for i, pair in enumerate(params, start=1):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            fail(f"{what}: item {i} is not a pair (W, b)")
        W = expect_array(pair[0], f"{what}: W_{i}", shape=(sizes[i - 1], sizes[i]))
        b = expect_array(pair[1], f"{what}: b_{i}", shape=(1, sizes[i]))
        out.append((W.astype(float), b.astype(float)))
    return out, what


def _forward(X, params, activation):
    """The pre-activations Z_1, ..., Z_L (no activation after the last layer)."""
    f = ACTIVATIONS[activation]
    H, zs = X, []
    with np.errstate(all="ignore"):
        for i, (W, b) in enumerate(params):
            Z = H @ W + b
            zs.append(Z)
            H = f(Z) if i < len(params) - 1 else Z
    return zs


def _replay(H, Q, activation, tol, max_iter, slip=""):
    """The scale LSUV gives the orthogonal start Q on the input H, by the card's rule or with
    one `slip` in it. Returns the factor W = factor * Q."""
    f = ACTIVATIONS[activation]
    measure = {"post": lambda z: f(z).var(), "per_unit": lambda z: z.var(axis=0).mean(),
               "std_as_var": lambda z: z.std()}.get(slip, lambda z: z.var())
    steps = max_iter - 1 if slip == "fewer" else max_iter
    factor, Z = 1.0, H @ Q
    with np.errstate(all="ignore"):
        for _ in range(steps):
            var = float(measure(Z))
            done = var - 1 < tol if slip == "one_sided" else abs(var - 1) < tol
            if done:
                break
            step = {"by_var": 1 / var, "times": math.sqrt(var)}.get(slip, 1 / math.sqrt(var))
            factor *= step
            if slip != "stale":
                Z = H @ (factor * Q)
    return factor


# slip -> why, for the replay that reproduces the learner's scale (first match wins)
SLIPS = {
    "by_var": "W was divided by Var(Z) instead of its square root: scaling W by c scales the "
              "variance by c**2, so divide by sqrt(Var), the standard deviation",
    "times": "W was multiplied by sqrt(Var(Z)) instead of divided: divide by the std",
    "std_as_var": "the standard deviation Z.std() was taken for the variance, so W was divided "
                  "by the square root of the std: divide by sqrt(Z.var()), which is Z.std()",
    "post": "the variance *after* the activation was normalised; normalise the pre-activation "
            "Z = H @ W + b instead",
    "per_unit": "the variance of each unit was averaged (Z.var(axis=0).mean()), which leaves "
                "out the spread of the units' means; LSUV takes Var over all the entries of Z "
                "together, Z.var()",
    "stale": "Z was not recomputed after a rescale, so the loop divided by the same variance "
             "max_iter times: recompute Z = H @ W + b after each rescale",
    "one_sided": "the loop stopped on var - 1 < tol, which any variance below 1 satisfies: "
                 "test both sides, abs(var - 1) >= tol",
    "fewer": "one rescale fewer than max_iter was made (an off-by-one in the loop): up to "
             "max_iter rescales are allowed",
}


def _explain_variance(X, params, zs, activation, layer, tol, max_iter, what):
    """Fail with the cause of a layer whose pre-activation variance is off: replay the card's
    rule and each known slip from the learner's own orthogonal start, and name the one that
    gives the learner's scale. `zs` is the forward pass of X through `params`."""
    var = float(zs[layer].var())
    head = (f"{what}: on the batch X, Var(Z_{layer + 1}) = Var(H_{layer} @ W_{layer + 1} + "
            f"b_{layer + 1}) is {fmt(var)}; expected within {fmt(tol)} of 1.")
    singular = np.linalg.svd(params[layer][0], compute_uv=False)
    if not np.allclose(singular, singular[0], rtol=1e-6) or singular[0] == 0:
        fail(f"{head} W_{layer + 1} is not a multiple of an orthogonal matrix (see the "
             "scaled-orthogonal check).")
    starts = [W / np.linalg.svd(W, compute_uv=False)[0] for W, _ in params[:layer + 1]]
    f = ACTIVATIONS[activation]
    H = X if layer == 0 else f(zs[layer - 1])
    scale = float(singular[0])
    causes = [why for slip, why in SLIPS.items()
              if not (slip == "post" and layer == len(params) - 1)
              and math.isclose(_replay(H, starts[layer], activation, tol, max_iter, slip),
                               scale, rel_tol=1e-6)]
    initial = X
    for Q in starts[:layer]:
        initial = f(initial @ Q)
    inputs = [] if layer == 0 or activation == "linear" else [
        (initial, "the layer was rescaled using a forward pass through the *initial* (not yet "
                  "rescaled) earlier layers: rescale layer by layer, feeding each calibrated "
                  "layer's output to the next"),
        (zs[layer - 1], f"the layer was calibrated on Z_{layer} itself, without the "
                        f"{activation}: apply the activation between layers, H = f(Z)"),
    ]
    causes += [why for H_wrong, why in inputs
               if math.isclose(_replay(H_wrong, starts[layer], activation, tol, max_iter),
                               scale, rel_tol=1e-6)]
    if len(causes) == 1:
        fail(f"{head} Your scale of W_{layer + 1} is what LSUV gives when {causes[0]}.")
    if causes:
        listed = "; or ".join(causes)
        fail(f"{head} Your scale of W_{layer + 1} is what LSUV gives in any of these cases "
             f"(the other checks tell them apart): {listed}.")
    if math.isclose(scale, 1.0, rel_tol=1e-9):
        fail(f"{head} W_{layer + 1} is still exactly orthogonal (scale 1): it was never "
             "rescaled, or its rescales cancelled out.")
    fail(f"{head} Divide W_l by sqrt(Var(Z_l)), recompute Z_l, and repeat while "
         "|Var - 1| >= tol (at most max_iter times).")


def _expect_unit_variance(X, params, activation, tol, what, max_iter=10):
    zs = _forward(X, params, activation)
    variances = [float(z.var()) for z in zs]
    show_bars(f"Var(Z_l) on the batch, {activation} network", [f"Z_{i + 1}" for i in
                                                                range(len(zs))], variances)
    for layer, var in enumerate(variances):
        # A float32 solution stops on its own rounding of Var: a little slack beyond tol.
        if not abs(var - 1) < tol + 1e-5:
            _explain_variance(X, params, zs, activation, layer, tol, max_iter, what)


@pytest.mark.points(1)
def test_structure(learner, rng):
    """One (W, b) pair per layer, with the right shapes and zero biases"""
    sizes = [12, 30, 20, 4]
    X = _inputs(rng, 256, 12, _network(rng, 12))
    params, what = _params(learner, X, sizes, "relu", rng)
    for i, (_, b) in enumerate(params, start=1):
        if np.any(b != 0):
            fail(f"{what}: b_{i} has non-zero entries (largest {fmt(np.abs(b).max())}); LSUV "
                 "starts every bias at zero and only rescales the weights")
    with expect_raises("ValueError", f"lsuv_init(X, {sizes}, 'softplus', rng)"):
        learner.lsuv_init(X, sizes, "softplus", rng)


@pytest.mark.points(3)
def test_unit_variance_relu(learner, rng):
    """ReLU network: every layer's pre-activation has variance 1 on the batch"""
    d = 20
    X = _inputs(rng, 512, d, _network(rng, d))
    sizes = [d, 64, 64, 32, 10]
    params, what = _params(learner, X, sizes, "relu", rng, tol=1e-3)
    _expect_unit_variance(X, params, "relu", 1e-3, what)


@pytest.mark.points(2)
def test_unit_variance_tanh(learner, rng):
    """tanh and linear networks, default and tight tolerances"""
    d = 16
    X = _inputs(rng, 400, d, _network(rng, d))
    for activation, sizes, kwargs in (("tanh", [d, 40, 40, 40, 5], {"tol": 1e-3}),
                                      ("tanh", [d, 8, 50, 3], {}),
                                      ("linear", [d, 30, 7], {"tol": 1e-3, "max_iter": 3}),
                                      ("relu", [d, 30, 7], {"tol": 1e-3, "max_iter": 1})):
        params, what = _params(learner, X, sizes, activation, rng, **kwargs)
        _expect_unit_variance(X, params, activation, kwargs.get("tol", 0.1), what,
                              kwargs.get("max_iter", 10))


@pytest.mark.points(2)
def test_scaled_orthogonal(learner, rng):
    """Each W_l is a rescaled orthogonal matrix"""
    d = 24
    X = _inputs(rng, 300, d, _network(rng, d))
    sizes = [d, 48, 48, 10]
    params, what = _params(learner, X, sizes, "relu", rng)
    for i, (W, _) in enumerate(params, start=1):
        s = np.linalg.svd(W, compute_uv=False)
        spread = float(s.max() / s.min()) if s.min() > 0 else math.inf
        if not spread < 1 + 1e-4:
            fail(f"{what}: the singular values of W_{i} range from {fmt(s.min())} to "
                 f"{fmt(s.max())}; LSUV starts from an orthogonal matrix and only multiplies it "
                 "by a number, so they must all be equal. Start from orthogonal(fan_in, "
                 "fan_out, rng) (QR of a Gaussian matrix), not from Gaussian weights, and "
                 "rescale the whole matrix by one factor (not each column by its own).")


@pytest.mark.points(1)
def test_fresh_data(learner, rng):
    """Fresh inputs from the same distribution also give variance close to 1"""
    d = 20
    mix = _network(rng, d)
    X = _inputs(rng, 4000, d, mix)
    sizes = [d, 64, 32, 8]
    params, what = _params(learner, X, sizes, "relu", rng, tol=1e-3)
    fresh = _inputs(rng, 8000, d, mix)
    batches = _forward(X, params, "relu")
    for layer, Z in enumerate(_forward(fresh, params, "relu")):
        # One entry per fresh (independent) row, cycling through the units.
        samples = Z[np.arange(Z.shape[0]), np.arange(Z.shape[0]) % Z.shape[1]]
        batch = batches[layer]
        squares = (batch - batch.mean()) ** 2
        # squares * squares, not centred**4: numpy's pow for a 4th power is ten times slower
        kurtosis = float(np.mean(squares * squares) / np.mean(squares) ** 2)
        expect_std(samples, 1.0, f"{what}, then Z_{layer + 1} on 8000 fresh inputs (one unit "
                   "per input)", kurtosis=max(kurtosis, 3.0))


@pytest.mark.points(1)
def test_reproducible(learner, rng, seed):
    """Same seed, same weights; only `rng` is used"""
    X = _inputs(rng, 128, 10, _network(rng, 10))

    def draw(r):
        params = learner.lsuv_init(X, [10, 16, 3], "tanh", r)
        return np.concatenate([np.ravel(np.asarray(W, dtype=float)) for W, _ in params])

    expect_reproducible(learner, draw, "lsuv_init(X, [10, 16, 3], 'tanh', rng)", seed=seed)


@pytest.mark.points(1)
def test_within_tol_left_alone(learner, rng):
    """A layer whose variance is already within tol of 1 is not rescaled"""
    d, target = 12, 1.04
    X = rng.standard_normal((200, d))
    X -= X.mean(axis=0)
    X *= math.sqrt(target / np.mean(X**2))
    # Centred columns and a square orthogonal W_1: Var(X @ W_1) = mean(X**2) = 1.04 exactly.
    params, what = _params(learner, X, [d, d, 6], "tanh", rng)
    s = np.linalg.svd(params[0][0], compute_uv=False)
    if not np.allclose(s, 1.0, rtol=1e-5, atol=0.0):
        fail(f"{what}: Var(Z_1) on this batch is {target} for any square orthogonal W_1, "
             f"already within tol = 0.1 of 1, so LSUV leaves W_1 alone; yours was scaled by "
             f"{fmt(float(s.mean()))}. Test abs(var - 1) >= tol *before* each rescale, and "
             "use the tol that was passed in.")
