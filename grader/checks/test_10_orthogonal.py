"""Hidden checks for exercise 10: orthogonal initialisation (Saxe et al. 2013)."""

import itertools
import math

import numpy as np
import pytest

from grader.checkapi.expect import (
    CheckFailure,
    Z,
    expect_array,
    expect_close,
    expect_reproducible,
    expect_uniform,
    fail,
    fmt,
    show_bars,
)

# (fan_in, fan_out, gain): tall, wide, square, a single column, a single row.
CASES = [(64, 32, 1.0), (32, 64, 1.0), (50, 50, 5 / 3), (7, 1, math.sqrt(2)), (1, 7, 0.5)]

# Shapes whose orthonormal vectors live in 3-D: every entry of a uniform unit vector in R^3 is
# uniform on [-1, 1] (Archimedes), so every entry of W / gain is U(-1, 1) under the Haar measure.
HAAR_SHAPES = [(3, 3), (3, 2), (2, 3), (3, 1), (1, 3)]
HAAR_GAINS = [1.0, 2.5, 0.5]
HAAR_DRAWS = 1000


def _call(learner, fan_in, fan_out, rng, gain):
    what = f"orthogonal({fan_in}, {fan_out}, rng, gain={gain:.4g})"
    W = expect_array(learner.orthogonal(fan_in, fan_out, rng, gain=gain), what,
                     shape=(fan_in, fan_out))
    return W.astype(float), what


def _gram(W):
    """W.T @ W for a tall (or square) matrix, W @ W.T for a wide one."""
    return W.T @ W if W.shape[0] >= W.shape[1] else W @ W.T


@pytest.mark.points(3)
def test_orthonormal(learner, rng):
    """Columns (tall) or rows (wide) are orthonormal, times gain"""
    for fan_in, fan_out, gain in CASES:
        W, what = _call(learner, fan_in, fan_out, rng, gain)
        G = _gram(W)
        k = min(fan_in, fan_out)
        side = "W.T @ W" if fan_in >= fan_out else "W @ W.T"
        vectors = "columns" if fan_in >= fan_out else "rows"
        target = gain**2
        off = G - np.diag(np.diag(G))
        worst_off = float(np.abs(off).max()) if k > 1 else 0.0
        diag = np.diag(G)
        if worst_off > 1e-4 * target:
            fail(f"{what}: {side} should be {fmt(target)} * I (gain**2 times the identity), but "
                 f"an off-diagonal entry is {fmt(worst_off)}: the {vectors} are not orthogonal "
                 "to each other. Return the Q factor of the QR decomposition of a Gaussian "
                 "matrix (not the Gaussian matrix itself, nor R); for fan_in < fan_out, "
                 "factor the tall (fan_out, fan_in) matrix and transpose Q.")
        if not np.allclose(diag, target, rtol=1e-4, atol=0.0):
            m = float(diag.mean())
            if np.allclose(diag, m, rtol=1e-4) and gain != 1:
                for value, words in ((1.0, "gain is missing: multiply the orthogonal matrix by "
                                           "gain"),
                                     (gain**4, "gain applied twice: W.T @ W must be gain**2 * I, "
                                               "so W is gain * Q"),
                                     (gain, "sqrt(gain) used: gain multiplies W itself, so "
                                            "W.T @ W = gain**2 * I")):
                    if math.isclose(m, value, rel_tol=1e-4):
                        fail(f"{what}: the diagonal of {side} is {fmt(m)}; expected "
                             f"gain**2 = {fmt(target)}. The {vectors} are orthogonal but {words}.")
            fail(f"{what}: the diagonal of {side} ranges over [{fmt(diag.min())}, "
                 f"{fmt(diag.max())}]; expected gain**2 = {fmt(target)} everywhere: the "
                 f"{vectors} must have norm gain (orthonormal, then scaled by gain).")
        expect_close(G, target * np.eye(k), f"{side} for {what}", rtol=1e-4, atol=1e-4 * target)


@pytest.mark.points(3)
def test_haar(learner, rng):
    """Drawn uniformly over orthogonal matrices (the sign correction)"""
    samples, first = [], []
    per_case = -(-HAAR_DRAWS // (len(HAAR_SHAPES) * len(HAAR_GAINS)))
    for fan_in, fan_out in HAAR_SHAPES:
        for gain in HAAR_GAINS:
            what = f"orthogonal({fan_in}, {fan_out}, rng, gain={gain:g})"
            draws = learner.repeat(per_case, "orthogonal", fan_in, fan_out, rng, gain=gain)
            for i, W in enumerate(draws):
                W = expect_array(W, what, shape=(fan_in, fan_out)).astype(float)
                j = i % min(fan_in, fan_out)
                samples.append(W[j, j] / gain)  # one entry per independent draw
                first.append(W[0, 0] < 0)
    samples = np.array(samples)
    # Rounding may put a float32 entry a hair beyond +-1; the orthonormality check covers more.
    samples = np.where(np.abs(samples) <= 1 + 1e-5, np.clip(samples, -1.0, 1.0), samples)
    hist, edges = np.histogram(samples, bins=10, range=(-1, 1))
    show_bars(f"W[j, j] / gain over {samples.size} draws of 3-D orthogonal matrices (flat if "
              "uniform)",
              [f"{a:+.1f}..{b:+.1f}" for a, b in itertools.pairwise(edges)], hist)
    what = (f"W[j, j] / gain, one diagonal entry from each of {samples.size} draws of "
            "orthogonal(3, 3), (3, 2), (2, 3), (3, 1) and (1, 3)")
    reach = float(np.abs(samples).max())
    if reach > 1 + 1e-5:
        fail(f"{what}: an entry reaches {fmt(reach)}, beyond 1: W is not gain times a matrix with "
             "orthonormal columns (or rows), whose entries are at most 1 in size; see the "
             "orthonormality check")
    try:
        expect_uniform(samples, 1.0, what)
    except CheckFailure as failure:
        share = float(np.mean(samples < 0))
        first = float(np.mean(first))
        if abs(share - 0.5) > Z * 0.5 / math.sqrt(samples.size):
            fail(f"{failure} Under the uniform (Haar) distribution every entry is as often "
                 f"negative as positive, and for 3-D vectors uniform on [-1, 1]. Here "
                 f"{share:.0%} of these diagonal entries are negative, and W[0, 0] is negative "
                 f"in {first:.0%} of the draws. numpy's QR fixes the signs of R's diagonal its "
                 "own way (W[0, 0] < 0 every time): apply the sign correction, multiply Q's "
                 "columns by sign(diag(R)), i.e. `q * np.sign(np.diag(r))`, before any "
                 "transpose.")
        fail(f"{failure} A uniform orthogonal matrix comes from the QR decomposition of a matrix "
             "of *standard normal* draws (rng.standard_normal), with Q's columns multiplied by "
             "sign(diag(R)); other starting distributions or factorisations are not uniform.")


@pytest.mark.points(1)
def test_reproducible(learner, seed):
    """Same seed, same weights; only `rng` is used"""
    expect_reproducible(learner, lambda r: learner.orthogonal(20, 10, r),
                        "orthogonal(20, 10, rng)", seed=seed)
    expect_reproducible(learner, lambda r: learner.orthogonal(10, 20, r, gain=2.0),
                        "orthogonal(10, 20, rng, gain=2.0)", seed=seed)


@pytest.mark.points(1)
def test_fresh_draws(learner, rng):
    """Two calls with the same generator give two different matrices"""
    first, _ = _call(learner, 8, 8, rng, 1.0)
    second, _ = _call(learner, 8, 8, rng, 1.0)
    if np.allclose(np.abs(first), np.abs(second)):
        fail("two successive calls orthogonal(8, 8, rng) with the same generator returned the "
             "same matrix (up to signs): draw a new Gaussian matrix from `rng` at every call")


def _norms(X, weights):
    h = X
    out = [np.linalg.norm(h)]
    for W in weights:
        h = h @ W
        out.append(np.linalg.norm(h))
    return np.array(out)


@pytest.mark.points(1)
def test_deep_linear_norms(learner, rng):
    """deep_linear_norms: the Frobenius norm at every depth, input included"""
    X = rng.normal(0.0, 2.0, size=(16, 10))
    sizes = [10, 20, 5, 5, 12]
    weights = [rng.normal(0.0, 0.4, size=(a, b)) for a, b in itertools.pairwise(sizes)]
    what = "deep_linear_norms(X, weights) for a (16, 10) batch and 4 layers"
    got = learner.deep_linear_norms(X, weights)
    expected = _norms(X, weights)
    if isinstance(got, np.ndarray) and got.shape == (len(weights),):
        fail(f"{what} has shape {got.shape}; expected ({len(weights) + 1},): the list starts "
             "with ||X|| itself (depth 0), then one norm per layer")
    got = expect_array(got, what, shape=expected.shape)
    if not np.allclose(got, expected, rtol=1e-5):
        h, rows = X, [float(np.linalg.norm(X, axis=1).mean())]
        for W in weights:
            h = h @ W
            rows.append(float(np.linalg.norm(h, axis=1).mean()))
        if np.allclose(got[1:], rows[1:], rtol=1e-5):
            fail(f"{what} returned the mean norm of the rows; expected the Frobenius norm of the "
                 "whole batch, np.linalg.norm(h)")
        if np.allclose(got, expected**2, rtol=1e-5):
            fail(f"{what} returned squared norms; expected the norms themselves")
    expect_close(got, expected, what, rtol=1e-5, atol=1e-9)
    only_input = expect_array(learner.deep_linear_norms(X, []), "deep_linear_norms(X, [])",
                              shape=(1,))
    expect_close(only_input, expected[:1], "deep_linear_norms(X, [])", rtol=1e-5)


@pytest.mark.points(1)
def test_norm_kept_through_depth(learner, rng):
    """50 orthogonal layers keep the norm; 50 Gaussian ones do not"""
    width, depth = 32, 50
    X = rng.standard_normal((8, width))
    orthogonal = [_call(learner, width, width, rng, 1.0)[0] for _ in range(depth)]
    gaussian = [rng.normal(0.0, 1.0 / math.sqrt(width), size=(width, width))
                for _ in range(depth)]
    ours_orth = _norms(X, orthogonal) / np.linalg.norm(X)
    ours_gauss = _norms(X, gaussian) / np.linalg.norm(X)
    depths = list(range(0, depth + 1, 5))
    show_bars("||h_L|| / ||X||, orthogonal layers (width 32)", depths, ours_orth[depths])
    show_bars("||h_L|| / ||X||, Gaussian N(0, 1/32) layers", depths, ours_gauss[depths])
    if not np.allclose(ours_orth, 1.0, rtol=1e-4):
        worst = int(np.argmax(np.abs(ours_orth - 1)))
        fail(f"through {depth} layers of orthogonal({width}, {width}, rng), the norm of the "
             f"signal at depth {worst} is {fmt(ours_orth[worst])} times the input's; a square "
             "orthogonal matrix keeps every norm exactly (W @ W.T = I)")
    what = f"deep_linear_norms(X, weights) for {depth} orthogonal layers"
    got = expect_array(learner.deep_linear_norms(X, orthogonal), what, shape=(depth + 1,))
    expect_close(got / np.linalg.norm(X), ours_orth, what + " (divided by ||X||)", rtol=1e-4)
