"""Hidden checks for exercise 10: orthogonal initialisation (Saxe et al. 2013)."""

import itertools
import math
from functools import partial
from typing import NoReturn

import numpy as np
import pytest

from grader.checkapi.concentration import expect_mean_at_least, expect_shares
from grader.checkapi.expect import (
    CheckFailure,
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
# uniform on [-1, 1] (Archimedes), so every entry of W / gain is U(-1, 1) under the Haar measure;
# and every entry is as often positive as negative.
# (fan_in, fan_out, gain, draws): a square layer, and a wide one (built tall, then transposed).
HAAR_CASES = [(3, 3, 2.5, 700), (2, 3, 0.5, 300)]
# The fourth moment of one column: tall (64, 16) and wide (16, 64) layers, TAIL_DRAWS of each.
TAIL_SHAPES = [(64, 16), (16, 64)]
TAIL_DRAWS = 50


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


def _tall(W: np.ndarray) -> np.ndarray:
    """The (semi-)orthogonal factor in its tall orientation: W, or W.T for a wide layer."""
    return W if W.shape[0] >= W.shape[1] else W.T


def _draws(learner, fan_in, fan_out, rng, count, gain):
    """`count` draws of orthogonal(fan_in, fan_out, rng, gain) in one round trip, each divided
    by the gain and turned tall."""
    what = f"orthogonal({fan_in}, {fan_out}, rng, gain={gain:g})"
    return [_tall(expect_array(W, what, shape=(fan_in, fan_out)).astype(float)) / gain
            for W in learner.repeat(count, "orthogonal", fan_in, fan_out, rng, gain=gain)]


def _expect_balanced_signs(by_shape: dict) -> None:
    """Under the Haar measure every entry is symmetric about 0: the share of positive draws is
    1/2 at every position (orientation: the tall factor). A rule that fixes signs its own way
    (LAPACK's QR or SVD, `sign(Q[0])`) or a start that is not centred breaks that."""
    positions = sum(math.prod(shape) for shape in by_shape)
    for (fan_in, fan_out), mats in by_shape.items():
        share = np.mean(np.array(mats) > 0, axis=0)
        side = "W" if fan_in >= fan_out else "W.T"
        expect_shares(share, 0.5, len(mats), positions,
                      f"|share - 1/2| of positive entries of {side}, where it strays most, over "
                      f"{len(mats)} draws of orthogonal({fan_in}, {fan_out})",
                      partial(_unbalanced_signs, fan_in, fan_out, side, len(mats), share))


def _unbalanced_signs(fan_in: int, fan_out: int, side: str, draws: int, share: np.ndarray,
                      index: tuple[int, ...], eps: float) -> NoReturn:
    i, j = index
    where = (f"over {draws} draws of orthogonal({fan_in}, {fan_out}), {side}[{i}, {j}] is "
             f"positive in {share[i, j]:.0%} of them; a uniform (Haar) orthogonal matrix has "
             f"every entry as often positive as negative (50% ± {eps:.0%} allowed).")
    column = share[:, j]
    if min(column.min(), 1 - column.max()) < 0.5 - eps and share.shape[0] > 1 and (
            np.all(column > 0.5 + eps) or np.all(column < 0.5 - eps)):
        fail(f"{where} All of column {j} leans the same way: the Gaussian start is not "
             "centred (rng.random or rng.uniform(0, 1)?). Draw it with "
             "rng.standard_normal.")
    fail(f"{where} Its signs follow the factorisation's own rule (numpy's QR makes W[0, 0] "
         "< 0 every time; the SVD and other recipes have their own bias): apply the sign "
         "correction, multiply Q's columns by sign(diag(R)), i.e. "
         "`q * np.sign(np.diag(r))`, before any transpose.")


def sphere_fourth_moment(n: int) -> tuple[float, float]:
    """Mean and variance of T = n * sum(x**4) for x uniform on the unit sphere of R^n (moments
    of the Dirichlet(1/2, ..., 1/2) law of x**2): 3n/(n+2), the Gaussian's kurtosis, and the
    exact variance. T >= 1 always."""
    mean = 3 * n / (n + 2)
    d = n * (n + 2) * (n + 4) * (n + 6)
    return mean, n * n * ((105 * n + 9 * n * (n - 1)) / d - (3 / (n + 2)) ** 2)


def _expect_gaussian_tails(learner, rng) -> None:
    """A column of a Haar matrix is a uniform point x on the sphere, whose fourth moment
    T = n * sum(x**4) averages 3n/(n+2): the Gaussian's kurtosis. QR of a start with lighter
    tails (uniform, +-1) gives columns nearer the cube's diagonals, T about 1.8: too small."""
    for fan_in, fan_out in TAIL_SHAPES:
        n = max(fan_in, fan_out)
        cols = [W[:, 0] / np.linalg.norm(W[:, 0])
                for W in _draws(learner, fan_in, fan_out, rng, TAIL_DRAWS, gain=0.5)]
        t = np.array([n * np.sum(x**4) for x in cols])
        expected, variance = sphere_fourth_moment(n)
        line = "column" if fan_in >= fan_out else "row"
        expect_mean_at_least(t, expected, variance, 1.0,
                             f"n * sum(x**4) of the first {line} x of orthogonal({fan_in}, "
                             f"{fan_out}), normalised",
                             partial(_light_tails, fan_in, fan_out, line, t.size, expected))


def _light_tails(fan_in: int, fan_out: int, line: str, draws: int, expected: float,
                 measured: float, tol: float) -> NoReturn:
    fail(f"over {draws} draws of orthogonal({fan_in}, {fan_out}), the first {line} x "
         "(normalised) has "
         f"n * sum(x**4) = {fmt(measured)} on average; a uniform (Haar) orthogonal matrix "
         f"gives {fmt(expected)} = 3n/(n+2), at least {fmt(expected - tol)} allowed. "
         "So light tails mean the QR started from a matrix that was not Gaussian "
         "(rng.uniform?): only a standard normal start, rng.standard_normal, makes Q "
         "uniform over orthogonal matrices.")


@pytest.mark.points(3)
def test_haar(learner, rng):
    """Drawn uniformly over orthogonal matrices (a Gaussian start and the sign correction)"""
    by_shape = {(fan_in, fan_out): _draws(learner, fan_in, fan_out, rng, draws, gain)
                for fan_in, fan_out, gain, draws in HAAR_CASES}
    _expect_balanced_signs(by_shape)
    # One entry of each draw, cycling along the diagonal: independent values, U(-1, 1) if Haar.
    samples = np.array([W[i % W.shape[1], i % W.shape[1]] for mats in by_shape.values()
                        for i, W in enumerate(mats)])
    hist, edges = np.histogram(np.clip(samples, -1.0, 1.0), bins=10, range=(-1, 1))
    show_bars(f"W[j, j] / gain over {samples.size} draws of 3-D orthogonal matrices (flat if "
              "uniform)",
              [f"{a:+.1f}..{b:+.1f}" for a, b in itertools.pairwise(edges)], hist)
    what = (f"W[j, j] / gain, one diagonal entry from each of {samples.size} draws of "
            "orthogonal(3, 3) and orthogonal(2, 3)")
    reach = float(np.abs(samples).max())
    if reach > 1 + 1e-5:
        fail(f"{what}: an entry reaches {fmt(reach)}, beyond 1: W is not gain times a matrix with "
             "orthonormal columns (or rows), whose entries are at most 1 in size; see the "
             "orthonormality check")
    # Rounding may put a float32 entry a hair beyond +-1; the orthonormality check covers more.
    samples = np.clip(samples, -1.0, 1.0)
    try:
        expect_uniform(samples, 1.0, what)
    except CheckFailure as failure:
        fail(f"{failure} A uniform orthogonal matrix comes from the QR decomposition of a matrix "
             "of *standard normal* draws (rng.standard_normal), with Q's columns multiplied by "
             "sign(diag(R)); other starting distributions or factorisations are not uniform.")
    _expect_gaussian_tails(learner, rng)


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
        h, spectral = X, [np.linalg.norm(X, 2)]
        for W in weights:
            h = h @ W
            spectral.append(np.linalg.norm(h, 2))
        if np.allclose(got, spectral, rtol=1e-5):
            fail(f"{what} returned the largest singular value of each h (np.linalg.norm(h, 2)); "
                 "expected the Frobenius norm of the whole batch, np.linalg.norm(h)")
    expect_close(got, expected, what, rtol=1e-5, atol=1e-9)
    only_input = expect_array(learner.deep_linear_norms(X, []), "deep_linear_norms(X, [])",
                              shape=(1,))
    expect_close(only_input, expected[:1], "deep_linear_norms(X, [])", rtol=1e-5)


@pytest.mark.points(1)
def test_norm_kept_through_depth(learner, rng):
    """50 orthogonal layers keep the norm; 50 Gaussian ones do not"""
    width, depth = 32, 50
    X = rng.standard_normal((8, width))
    what = f"orthogonal({width}, {width}, rng, gain=1)"
    orthogonal = [expect_array(W, what, shape=(width, width)).astype(float)
                  for W in learner.repeat(depth, "orthogonal", width, width, rng, gain=1.0)]
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
