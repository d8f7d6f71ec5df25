"""What a statistical expectation records for `grader verify`, and the probability that it
misses a mistake: the expectations in `grader.checkapi.expect` call `record`; the plugin collects
the measurements into each check's result; `verify` reads them for margins and power."""

from __future__ import annotations

import math
from collections.abc import Iterable

from grader.checkapi.diagnose import Mistake
from grader.results import Measurement

_measurements: list[Measurement] = []


def take_measurements() -> list[Measurement]:
    measurements = list(_measurements)
    _measurements.clear()
    return measurements


def record(kind: str, what: str, n: int, expected: float, statistic: float, tolerance: float,
           sd: float, mistakes: Iterable[Mistake] = ()) -> Measurement:
    """Note a statistical expectation for `grader verify` (margins, power) and return it."""
    measurement = Measurement(what, kind, int(n), float(expected), float(statistic),
                              float(tolerance), float(sd),
                              [(m.label, float(m.value)) for m in mistakes])
    _measurements.append(measurement)
    return measurement


def _phi(x: float) -> float:
    """The standard normal CDF, accurate in both tails (erfc, not 1 - erf)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def statistic_sd(measurement: Measurement, value: float) -> float:
    """The statistic's standard deviation when its true value is `value`: a std's scales with
    it; a proportion's with sqrt(p(1 - p)), a Bernoulli trial's std at p = `value`; a mean's and
    a CDF distance's (at most 1/(2 sqrt(n))) are taken as they are under the right answer."""
    m = measurement
    if m.kind == "std" and m.expected:
        return m.sd * abs(value) / abs(m.expected)
    if m.kind == "fraction" and 0 < m.expected < 1 and 0 <= value <= 1:
        return m.sd * math.sqrt(value * (1 - value) / (m.expected * (1 - m.expected)))
    return m.sd


def miss_probability(measurement: Measurement, value: float) -> float:
    """The probability that the expectation passes when the statistic's true value is `value`
    (a mistake's), from the same approximately normal distribution the tolerance was derived
    from, centred on `value`. For a CDF distance `value` is the mistake's distance D from the
    expected CDF: the empirical CDF at the point where they differ most is a binomial proportion
    (std at most 1/(2 sqrt(n))), and the check passes only if it strays D - tolerance towards the
    expected CDF."""
    m = measurement
    sd = statistic_sd(m, value)
    if m.kind == "cdf":
        return _phi((m.tolerance - value) / sd)
    if sd <= 0:
        return 1.0 if abs(value - m.expected) <= m.tolerance else 0.0
    high = (m.expected + m.tolerance - value) / sd
    low = (m.expected - m.tolerance - value) / sd
    if low > 0:  # both in the upper tail: subtract upper tails for accuracy
        return max(0.0, _phi(-low) - _phi(-high))
    return max(0.0, _phi(high) - _phi(low))
