"""Turn a measured number into the named mistake it matches.

A `Mistake` is a wrong value a learner may plausibly produce, with words that explain it. The
statistical helpers in `grader.checkapi.expect` call `diagnose` when a check fails, with the same
tolerance the check used, so a diagnosis is only claimed when the measurement is consistent with
it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    label: str  # the wrong formula, e.g. "sqrt(2/fan_in)"
    value: float  # what it evaluates to for the sizes the check used
    explanation: str  # e.g. "that is He's scale (for ReLU), not Xavier's"

    def describe(self) -> str:
        return f"It matches {self.label} = {self.value:.4g}: {self.explanation}"


def diagnose(measured: float, mistakes: Iterable[Mistake], rel_tol: float,
             centred: bool = True, span_fits: bool = True) -> Mistake | None:
    """The mistake whose value is closest to `measured` (in ratio), if within `rel_tol`.

    The scale catalogue describes distributions centred on 0 whose std and reach agree (a
    uniform's bound is sqrt(3) times its std): a sample that is not centred (`rng.uniform(0, a)`)
    or whose span does not fit its std (one matrix repeated by a fixed seed inside the function)
    matches none of them by its std alone, whatever number that std happens to be."""
    if not (centred and span_fits):
        return None
    best: tuple[float, Mistake] | None = None
    for mistake in mistakes:
        if mistake.value <= 0 or measured <= 0:
            continue
        distance = abs(math.log(measured / mistake.value))
        if distance <= math.log1p(rel_tol) and (best is None or distance < best[0]):
            best = (distance, mistake)
    return best[1] if best else None


# Initialisation scales: (key, formula, what it is). Values are computed by `init_scales`.
SCALES: list[tuple[str, str, str]] = [
    ("xavier_normal", "sqrt(2/(fan_in+fan_out))", "Xavier/Glorot's normal std"),
    ("xavier_uniform", "sqrt(6/(fan_in+fan_out))", "Xavier/Glorot's uniform bound"),
    ("he_normal", "sqrt(2/fan_in)", "He's normal std (for ReLU)"),
    ("he_uniform", "sqrt(6/fan_in)", "He's uniform bound (for ReLU)"),
    ("lecun_normal", "sqrt(1/fan_in)", "LeCun's std (fan_in only; tutorials often mislabel it "
                                       "as Xavier)"),
    ("lecun_uniform", "sqrt(3/fan_in)", "LeCun's uniform bound"),
    ("he_fan_out", "sqrt(2/fan_out)", "He's std with fan_out where fan_in belongs"),
    ("he_uniform_fan_out", "sqrt(6/fan_out)", "He's uniform bound with fan_out where fan_in "
                                              "belongs"),
    ("lecun_fan_out", "sqrt(1/fan_out)", "a std from fan_out alone"),
    ("xavier_no_two", "sqrt(1/(fan_in+fan_out))", "Xavier's std with the 2 missing"),
    ("xavier_variance", "2/(fan_in+fan_out)", "Xavier's variance used as the std (take the "
                                              "square root)"),
    ("xavier_uniform_variance", "6/(fan_in+fan_out)", "the uniform bound's square, without "
                                                      "the square root"),
    ("he_variance", "2/fan_in", "He's variance used as the std (take the square root)"),
    ("he_uniform_variance", "6/fan_in", "He's uniform bound without the square root"),
    ("lecun_variance", "1/fan_in", "LeCun's variance used as the std"),
    ("unit", "1", "no scaling at all (a standard normal or U(-1, 1))"),
    ("small", "0.01", "the fixed small constant 0.01 of the lectures"),
]


def init_scales(fan_in: int, fan_out: int) -> dict[str, float]:
    fi, fo = float(fan_in), float(fan_out)
    return {
        "xavier_normal": math.sqrt(2 / (fi + fo)),
        "xavier_uniform": math.sqrt(6 / (fi + fo)),
        "he_normal": math.sqrt(2 / fi),
        "he_uniform": math.sqrt(6 / fi),
        "lecun_normal": math.sqrt(1 / fi),
        "lecun_uniform": math.sqrt(3 / fi),
        "he_fan_out": math.sqrt(2 / fo),
        "he_uniform_fan_out": math.sqrt(6 / fo),
        "lecun_fan_out": math.sqrt(1 / fo),
        "xavier_no_two": math.sqrt(1 / (fi + fo)),
        "xavier_variance": 2 / (fi + fo),
        "xavier_uniform_variance": 6 / (fi + fo),
        "he_variance": 2 / fi,
        "he_uniform_variance": 6 / fi,
        "lecun_variance": 1 / fi,
        "unit": 1.0,
        "small": 0.01,
    }


def scale_mistakes(fan_in: int, fan_out: int, gain: float = 1.0,
                   correct: str = "xavier_normal") -> list[Mistake]:
    """Every catalogued scale other than `correct`, times `gain`; plus the correct formula with
    `gain` missing or squared when `gain != 1`."""
    values = init_scales(fan_in, fan_out)
    words = {key: (formula, what) for key, formula, what in SCALES}
    right_formula, right_what = words[correct]
    g = f"{gain:g}*" if gain != 1 else ""
    out = [
        Mistake(f"{g}{formula}", gain * values[key], f"that is {what}, not {right_what}")
        for key, formula, what in SCALES
        if key != correct and key not in ("unit", "small")
    ]
    out += [
        Mistake(formula, values[key], f"that is {what}, not {right_what} {g}{right_formula}")
        for key, formula, what in SCALES
        if key in ("unit", "small") and key != correct
    ]
    if gain != 1:
        out += [
            Mistake(right_formula, values[correct],
                    "the right formula but without `gain`: multiply by gain"),
            Mistake(f"{gain * gain:g}*{right_formula}", gain * gain * values[correct],
                    "gain applied twice: gain multiplies the std once"),
            Mistake(f"sqrt({gain:g})*{right_formula}", math.sqrt(gain) * values[correct],
                    "gain applied to the variance: gain multiplies the std"),
        ]
    return out
