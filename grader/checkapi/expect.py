"""The check author's library: expectations that fail with words a learner can act on.

Every statistical expectation fails a correct solution with probability at most ALPHA = 1e-8 per
call, so a check that makes up to 100 of them stays under 1e-6 (union bound). Tolerances are
derived from the sample size (see docs/checks.md), never a blanket percentage.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from statistics import NormalDist
from typing import Any, NoReturn

import numpy as np

from grader.checkapi.diagnose import Mistake, diagnose
from grader.checkapi.learner import LearnerError, LearnerModule
from grader.checkapi.measure import record
from grader.results import Figure
from grader.sandbox.wire import describe

ALPHA = 1e-8
Z = NormalDist().inv_cdf(1 - ALPHA / 2)
MIN_SAMPLES = 1000
TRIES = 3  # draws before a repeated result counts as a failure of expect_reproducible
_figures: list[Figure] = []


class CheckFailure(AssertionError):
    """A failed expectation; its message is shown to the learner word for word."""


def fail(message: str) -> NoReturn:
    raise CheckFailure(message)


def fmt(x: float) -> str:
    return f"{x:.4g}"


def show_bars(title: str, labels: Sequence[Any], values: Sequence[float]) -> None:
    """Attach a bar chart to the current check's feedback."""
    _figures.append(Figure(str(title), [str(v) for v in labels], [float(v) for v in values]))


def take_figures() -> list[Figure]:
    figures = list(_figures)
    _figures.clear()
    return figures


# ---- types and values ---------------------------------------------------------------------------

KINDS = {"f": ("f", "floats"), "i": ("iu", "integers"), "b": ("b", "booleans"),
         "n": ("biuf", "numbers")}


def expect_array(value: Any, what: str, shape: tuple[int, ...] | None = None, kind: str = "f",
                 finite: bool = True) -> np.ndarray:
    """A real numpy array of that shape and dtype kind, with finite values. Returns it."""
    if type(value) is not np.ndarray:
        hint = ""
        if isinstance(value, list | tuple):
            hint = " (build it with numpy, or wrap it in np.array)"
        fail(f"{what} returned {describe(value)}; expected a numpy array{hint}")
    if shape is not None and value.shape != tuple(shape):
        hint = ""
        if value.shape == tuple(shape)[::-1] and len(shape) == 2:
            hint = " (transposed: the layout is (fan_in, fan_out), used as X @ W)"
        fail(f"{what} has shape {value.shape}; expected {tuple(shape)}{hint}")
    kinds, words = KINDS[kind]
    if value.dtype.kind not in kinds:
        fail(f"{what} has dtype {value.dtype}; expected {words}")
    if finite and value.dtype.kind in "fc" and not _all_finite(value):
        bad = np.argwhere(~np.isfinite(value))[0]
        where = tuple(int(i) for i in bad)
        fail(f"{what} contains {value[where]} at index {where}; expected finite numbers "
             "(an overflow, or a division by zero?)")
    return value


def _all_finite(value: np.ndarray) -> bool:
    """Whether every entry is finite (the method, not `np.all`, which adds a Python wrapper)."""
    return bool(np.isfinite(value).all())


def is_number(value: Any) -> bool:
    """A real number: a Python int or float, or a numpy integer or float scalar (not a bool)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def expect_close(actual: Any, expected: Any, what: str, rtol: float = 1e-6,
                 atol: float = 1e-9) -> None:
    """Numbers or arrays that agree to `rtol`/`atol`; arrays must match in shape first."""
    if isinstance(expected, np.ndarray):
        actual = expect_array(actual, what, shape=expected.shape, kind="n", finite=False)
        a, e = actual.astype(float), expected.astype(float)
        bad = ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            gap = np.where(bad, np.abs(a - e), -1.0)
            where = tuple(int(i) for i in np.unravel_index(int(np.argmax(gap)), gap.shape))
            fail(f"{what} is wrong at {int(bad.sum())} of {bad.size} entries; the worst is "
                 f"index {where}: {fmt(a[where])} where {fmt(e[where])} was expected")
        return
    if not is_number(actual):
        fail(f"{what} returned {describe(actual)}; expected a number")
    if not math.isclose(float(actual), float(expected), rel_tol=rtol, abs_tol=atol):
        fail(f"{what} returned {fmt(actual)}; expected {fmt(expected)}")


def expect_equal(actual: Any, expected: Any, what: str) -> None:
    """Exact equality, for ints, strings, bools and keys."""
    # An int expected must come back an int (21, not 21.0); a float expected takes any number.
    same = type(actual) is type(expected) or (isinstance(expected, float)
                                              and is_number(actual))
    if not same and isinstance(actual, np.generic) and bool(actual == expected):
        kind = type(expected).__name__
        fail(f"{what} returned the numpy {type(actual).__name__} {actual!r}; expected the Python "
             f"{kind} {expected!r}: convert it with {kind}(...)")
    if not same or actual != expected:
        shown = repr(actual) if same or is_number(actual) else describe(actual)
        fail(f"{what} returned {shown}; expected {expected!r}")


@contextmanager
def expect_raises(type_name: str, what: str) -> Iterator[None]:
    """The learner's call inside the block must raise `type_name` (or a subclass)."""
    try:
        yield
    except LearnerError as error:
        if error.is_a(type_name):
            return
        if error.not_started:
            raise
        fail(f"{what} raised {error.type_name}: {error.message}; expected {type_name}.")
    fail(f"{what} raised nothing; expected it to raise {type_name}.")


# ---- statistics ---------------------------------------------------------------------------------

def _samples(samples: Any, what: str) -> np.ndarray:
    x = np.asarray(samples, dtype=float).ravel()
    if x.size < MIN_SAMPLES:
        raise ValueError(f"check bug: {x.size} samples of {what}; pool at least {MIN_SAMPLES}")
    return x


def mean_tolerance(std: float, n: int) -> float:
    return Z * std / math.sqrt(n)


def std_tolerance(n: int, kurtosis: float = 3.0) -> float:
    """Relative tolerance on a sample std (delta method on the sample variance)."""
    return Z * math.sqrt((kurtosis - 1) / (4 * n))


def _centred(x: np.ndarray) -> bool:
    """The sample mean is consistent with 0 at the statistical tolerance, as every scale in the
    catalogue assumes: a diagnosis by std alone is only claimed for centred samples."""
    return abs(float(x.mean())) <= mean_tolerance(float(x.std()), x.size)


def _off_centre(x: np.ndarray, std: float) -> str:
    """Why a sample meant to be centred on 0 is not: the std passed where the mean goes, or
    something else."""
    mean = float(x.mean())
    if abs(mean - std) <= mean_tolerance(float(x.std()), x.size):
        return (f" Their mean is {fmt(mean)}, the std asked for: rng.normal(loc, scale, size) "
                "takes the mean (loc) first; pass the std as scale, the second argument.")
    return (f" The values are not centred on 0 (their mean is {fmt(mean)}), so the scale is not "
            "the only thing wrong.")


def _diagnosis(measured: float, mistakes: Iterable[Mistake], rel_tol: float,
               centred: bool = True, span_fits: bool = True) -> str:
    found = diagnose(measured, mistakes, max(rel_tol, 0.02), centred, span_fits)
    return f" {found.describe()}." if found else ""


def expect_mean(samples: Any, mean: float, std: float, what: str,
                mistakes: Iterable[Mistake] = ()) -> None:
    x = _samples(samples, what)
    mistakes = list(mistakes)
    tol = mean_tolerance(std, x.size)
    measured = float(x.mean())
    if record("mean", what, x.size, mean, measured, tol, std / math.sqrt(x.size),
               mistakes).ratio > 1:
        fail(f"{what}: the mean of {x.size} values is {fmt(measured)}; expected {fmt(mean)} "
             f"(± {fmt(tol)} allowed for that many draws)."
             + _diagnosis(measured, mistakes, tol / max(abs(measured), 1e-300)))


def expect_std(samples: Any, std: float, what: str, kurtosis: float = 3.0,
               mistakes: Iterable[Mistake] = (), formula: str = "") -> None:
    x = _samples(samples, what)
    mistakes = list(mistakes)
    rel = std_tolerance(x.size, kurtosis)
    measured = float(x.std(ddof=1))
    sd = std * math.sqrt((kurtosis - 1) / (4 * x.size))
    if record("std", what, x.size, std, measured, rel * std, sd, mistakes).ratio > 1:
        named = f" = {formula}" if formula else ""
        centred = _centred(x)
        why = _diagnosis(measured, mistakes, rel, centred) if centred else _off_centre(x, std)
        fail(f"{what}: the std of {x.size} values is {fmt(measured)}; expected {fmt(std)}{named} "
             f"(± {rel:.1%} allowed for that many draws)." + why)


def expect_fraction(measured: float, p: float, sd: float, n: int, what: str, formula: str,
                    mistakes: Iterable[Mistake] = ()) -> None:
    """A proportion of `n` independent trials (std `sd` per trial) is `p` within the statistical
    tolerance; on failure, the mistake it matches is named."""
    mistakes = list(mistakes)
    tol = mean_tolerance(sd, n)
    if record("fraction", what, n, p, measured, tol, sd / math.sqrt(n), mistakes).ratio <= 1:
        return
    found = diagnose(measured, mistakes, max(tol / max(measured, 1e-300), 0.02))
    why = f" It matches {found.label} = {fmt(found.value)}: {found.explanation}." if found else ""
    fail(f"{what} returned a fraction of {fmt(measured)}; expected {fmt(p)} = {formula} "
         f"(± {fmt(tol)} allowed for {n} units).{why}")


def dkw_epsilon(n: int) -> float:
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


Cdf = Callable[[np.ndarray], np.ndarray]


def expect_distribution(samples: Any, cdf: Cdf, what: str, name: str,
                        others: Sequence[tuple[str, Cdf]] = ()) -> float:
    """The empirical CDF stays within the DKW band around `cdf`. Returns the largest gap.
    `others` are (label, CDF) of wrong distributions the check is meant to tell apart: their
    distance from `cdf` is recorded for `grader verify --power`."""
    x = np.sort(_samples(samples, what))
    n = x.size
    f = np.asarray(cdf(x), dtype=float)
    upper = np.arange(1, n + 1) / n - f
    lower = f - np.arange(0, n) / n
    gap = float(max(upper.max(), lower.max()))
    eps = dkw_epsilon(n)
    distances = [Mistake(label, float(np.max(np.abs(np.asarray(other(x), dtype=float) - f))),
                         "") for label, other in others]
    if record("cdf", what, n, 0.0, gap, eps, 0.5 / math.sqrt(n), distances).ratio > 1:
        fail(f"{what}: the values do not follow {name}: their CDF is {gap:.3f} away from it "
             f"(at most {eps:.3f} allowed for {n} draws).{_looks(x, name)}")
    return gap


def _looks(x: np.ndarray, expected: str) -> str:
    """Name the shape of the samples by their kurtosis (1.8 for a uniform, 3 for a normal) when
    it is the other one of the two than `expected`."""
    kurt = float(np.mean((x - x.mean()) ** 4) / max(np.var(x) ** 2, 1e-300))
    if abs(kurt - 1.8) < 0.3 and "normal" in expected:
        return " They look uniform (flat, with hard ends): rng.uniform where rng.normal belongs?"
    if abs(kurt - 3.0) < 0.5 and "uniform" in expected:
        return " They look normal (bell-shaped): rng.normal where rng.uniform belongs?"
    return ""


def erf(x: np.ndarray) -> np.ndarray:
    """Vectorised erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7: far inside
    any DKW band the checks use)."""
    x = np.asarray(x, dtype=float)
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-x * x))


def normal_cdf(mean: float, std: float) -> Cdf:
    return lambda x: 0.5 * (1 + erf((x - mean) / (std * math.sqrt(2))))


def uniform_cdf(bound: float) -> Cdf:
    return lambda x: np.clip((x + bound) / (2 * bound), 0, 1)


def expect_normal(samples: Any, std: float, what: str, mean: float = 0.0,
                  mistakes: Iterable[Mistake] = (), formula: str = "") -> None:
    """Mean, std and a bell shape, each at the statistical tolerance."""
    mistakes = list(mistakes)
    expect_std(samples, std, what, 3.0, mistakes, formula)  # first: a wrong scale gets named
    expect_mean(samples, mean, std, what, [Mistake(
        "the std as the mean", mean + std, "rng.normal(loc, scale, size) takes the mean (loc) "
        "first; pass the std as scale, the second argument")])
    expect_distribution(samples, normal_cdf(mean, std), what,
                        f"a normal distribution N({fmt(mean)}, {fmt(std)}²)",
                        others=[("a uniform with the same std",
                                 lambda v: uniform_cdf(std * math.sqrt(3))(v - mean))])


def rounding_slack(samples: Any, bound: float) -> float:
    """How far past `bound` rounding may put a right answer: a few units in the last place of
    float32 at least (draws cast to float32, or a bound computed in float32 and used for float64
    draws, are 6e-8 of the bound off), or of the samples' own float type if it is coarser."""
    dtype = getattr(samples, "dtype", np.dtype(float))
    eps = max(float(np.finfo(np.float32).eps),
              float(np.finfo(dtype).eps) if dtype.kind == "f" else 0.0)
    return 4 * eps * abs(bound)


def expect_uniform(samples: Any, bound: float, what: str, mistakes: Iterable[Mistake] = (),
                   formula: str = "") -> None:
    """Inside [-bound, bound], reaching near both ends, flat in between."""
    mistakes = list(mistakes)
    slack = rounding_slack(samples, bound)
    x = _samples(samples, what)
    named = f" = {formula}" if formula else ""
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 or hi <= 0:
        top = hi if lo >= 0 else -lo
        fail(f"{what}: every value is {'≥' if lo >= 0 else '≤'} 0 (they span [{fmt(lo)}, "
             f"{fmt(hi)}]): that is U(0, a) where U(-a, a) belongs; draw rng.uniform(-a, a) with "
             f"a = {fmt(bound)}{named}." + _diagnosis(top, mistakes, 0.02))
    # The bound a uniform with these values has, by its std and by its reach: they agree for a
    # uniform sample, and `diagnose` claims a mistake only when they do.
    estimate = float(x.std(ddof=1) * math.sqrt(3))
    rel = std_tolerance(x.size, 1.8)
    eps = math.log(4 / ALPHA) / x.size
    reach = max(hi, -lo)
    span_fits = reach * (1 - 2 * eps) <= estimate * (1 + 2 * rel) \
        and estimate * (1 - 2 * rel) <= reach + slack
    why = _diagnosis(estimate, mistakes, rel, _centred(x), span_fits)
    if hi > bound + slack or lo < -bound - slack:
        over = max(hi - bound, -bound - lo)
        if over <= 1e-4 * bound:
            fail(f"{what}: values reach [{fmt(lo)}, {fmt(hi)}], {over:.3g} outside the bounds "
                 f"±{fmt(bound)}{named}: more than rounding allows ({slack:.2g}); is the bound "
                 "computed in a lower precision than the draws?")
        fail(f"{what}: values reach [{fmt(lo)}, {fmt(hi)}], outside the bounds ±{fmt(bound)}"
             f"{named}." + why + _looks(x, "uniform"))
    if hi < bound * (1 - 2 * eps) or lo > -bound * (1 - 2 * eps):
        fail(f"{what}: the values only span [{fmt(lo)}, {fmt(hi)}]; draws from U(-{fmt(bound)}, "
             f"{fmt(bound)}){named} reach within {fmt(2 * eps * bound)} of both ends." + why)
    expect_mean(x, 0.0, bound / math.sqrt(3), what, [Mistake(
        "U(0, a)", bound / 2, "rng.uniform(0, a) draws on one side of 0; draw rng.uniform(-a, a)")])
    expect_std(x, bound / math.sqrt(3), what, 1.8,
               [Mistake(m.label, m.value / math.sqrt(3), m.explanation) for m in mistakes])
    # A normal with this std is caught by the bounds above (P(n draws within them) = 0.917^n),
    # so the CDF is not weighed against it.
    expect_distribution(x, uniform_cdf(bound), what, f"a uniform distribution on ±{fmt(bound)}")


# ---- randomness discipline and independence -----------------------------------------------------

def expect_reproducible(learner: LearnerModule, draw: Callable[[np.random.Generator], Any],
                        what: str, seed: int = 12345) -> None:
    """`draw(rng)` must depend on the generator's state only, as observed here: equal states give
    equal results, other states other results, and the generator is advanced (a second call with
    the same generator gives new values). The worker's own report of the global RNG is only used
    to name the mistake, never to decide."""
    first = draw(np.random.default_rng(seed))
    global_rng = learner.last_call.global_rng_touched
    second = draw(np.random.default_rng(seed))
    global_rng = global_rng or learner.last_call.global_rng_touched
    if not _same(first, second):
        cause = ("it uses numpy's global random state (np.random.* or random.*)" if global_rng
                 else "it draws from something other than `rng` (np.random.default_rng() or "
                      "np.random.* inside?)")
        fail(f"{what} gave different results for two generators in the same state: {cause}; "
             "draw every number from the `rng` argument instead")
    # A discrete result (a fraction of units) may repeat by chance: only `TRIES` repeats in a row
    # are a failure, so that a right answer fails with probability (chance of a repeat)^TRIES.
    if all(_same(first, draw(np.random.default_rng(seed + k))) for k in range(1, TRIES + 1)):
        fail(f"{what} gave the same result for generators in different states: it ignores `rng` "
             "(a fixed seed inside the function, such as np.random.default_rng(1234)?)")
    rng = np.random.default_rng(seed)
    again = draw(rng)
    if all(_same(again, draw(rng)) for _ in range(TRIES)):
        fail(f"{what} gave the same result twice from one generator: it must advance `rng` (draw "
             "from it directly, not from a copy of it), so that each call gets fresh numbers")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                and a.shape == b.shape and bool(np.array_equal(a, b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def pooled_draws(learner: LearnerModule, name: str, fan_in: int, fan_out: int,
                 rng: np.random.Generator, draws: int, **kwargs: Any) -> np.ndarray:
    """`draws` calls of `name(fan_in, fan_out, rng)` in one round trip, each checked for type and
    shape, pooled into one sample: how small layers reach a sample size worth testing."""
    what = f"{name}({fan_in}, {fan_out}, rng)"
    out = [expect_array(w, what, shape=(fan_in, fan_out))
           for w in learner.repeat(draws, name, fan_in, fan_out, rng, **kwargs)]
    different = len({w.tobytes() for w in out})
    if 2 * different <= draws:  # fresh draws repeat only by chance (float32 (1, 1) layers may)
        fail(f"{what}, called {draws} times with one generator, returned only {different} "
             "different weight matrices: each call must draw "
             "fresh numbers from `rng` (a fixed seed inside the function, such as "
             "np.random.default_rng(1234), or a copy of rng?)")
    return np.concatenate([w.ravel() for w in out])


def expect_fresh_draws(learner: LearnerModule, name: str, fan_in: int, fan_out: int,
                       rng: np.random.Generator) -> None:
    """`name(fan_in, fan_out, rng)` returns a matrix whose rows and columns are all distinct."""
    what = f"{name}({fan_in}, {fan_out}, rng)"
    W = expect_array(learner.call(name, fan_in, fan_out, rng), what, shape=(fan_in, fan_out))
    expect_distinct(W, what, axis=0)
    expect_distinct(W, what, axis=1)


def _rows_all_distinct(lines: np.ndarray) -> bool:
    """True when no two rows are equal, by their bytes in a set (2 to 4 times faster than
    `np.unique(axis=0)`). Exact for finite floats once -0.0 is made 0.0 (x + 0.0), and for
    integers and bools; anything else, or a repeat, is left to `np.unique` (False)."""
    rows = lines.reshape(lines.shape[0], -1)
    if rows.dtype.kind == "f" and _all_finite(rows):
        rows = rows + 0.0
    elif rows.dtype.kind not in "biu":
        return False
    return len(set(map(bytes, np.ascontiguousarray(rows)))) == rows.shape[0]


def expect_distinct(array: np.ndarray, what: str, axis: int = 0) -> None:
    """No two rows (axis=0) or columns (axis=1) are equal: every entry is a fresh draw."""
    lines = np.asarray(array) if axis == 0 else np.asarray(array).T
    if _rows_all_distinct(lines):
        return
    unique = np.unique(lines.reshape(lines.shape[0], -1), axis=0).shape[0]
    if unique < lines.shape[0]:
        noun = "rows" if axis == 0 else "columns"
        fail(f"{what}: {lines.shape[0] - unique} of its {lines.shape[0]} {noun} repeat another: "
             "draw the whole matrix at once, not one row or column reused")
