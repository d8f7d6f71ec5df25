"""Results as plain data: what every report format (rich, JSON, JUnit, Gradescope...) renders."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

PASSED, FAILED, NOT_STARTED, ERROR, SKIPPED = "passed", "failed", "not_started", "error", "skipped"
# Points are whole hundredths everywhere: a check's share is apportioned in hundredths (largest
# remainder first) so that the shares add up to the card's points, and every sum is rounded again.
POINT_DECIMALS = 2
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")  # Gradescope's values
# How a learner problem (CheckResult.kind) ended a check: these are crashes, not wrong answers.
CRASH_KINDS = frozenset({"timeout", "memory", "crash", "exit", "output", "too_big", "garbled"})
NO_FILE = "no_file"  # the kind of every check of an exercise that had no file
# No file graded because a submission folder held two candidates, or one that is not a regular
# file of a bounded size (grader.instructor.submissions); "file": the sandbox would not copy it.
TWO_CANDIDATES, REFUSED_FILE = "two_candidates", "refused_file"
# No usable file: none at all, or one the grader refused to read (a symlink, too large...).
FILE_KINDS = frozenset({NO_FILE, TWO_CANDIDATES, REFUSED_FILE, "file"})
FILE_STATUSES = (NO_FILE, TWO_CANDIDATES, REFUSED_FILE)  # ExerciseResult.status: no file graded
# Statuses that say the code never ran properly: the summary's and report's "needs attention".
PROBLEM_STATUSES = (*FILE_STATUSES, "import_error", "timeout", "crash")


def format_points(value: float) -> str:
    """`3.33`, `10`: points as every view shows them."""
    return f"{round_points(value):g}"


def round_points(value: float) -> float:
    """`value` to POINT_DECIMALS places (and never `-0.0`)."""
    return round(value, POINT_DECIMALS) + 0.0


def total_points(values: Iterable[float]) -> float:
    """A sum of points, rounded: 3.34 + 3.33 + 3.33 is 10, not 10.000000000000002."""
    return round_points(sum(values))


def apportion(total: float, weights: list[float]) -> list[float]:
    """`total` split in proportion to `weights`, in whole hundredths that add up to `total`
    (rounded): the largest remainders get the spare hundredths, ties go to the earlier."""
    unit = 10 ** POINT_DECIMALS
    cents = round(total * unit)
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0.0] * len(weights)
    exact = [cents * w / whole for w in weights]
    shares = [int(x) for x in exact]
    spare = cents - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:spare]:
        shares[i] += 1
    return [s / unit for s in shares]


@dataclass
class Figure:
    """A bar chart a check attached to its result."""

    title: str
    labels: list[str]
    values: list[float]

    def bar(self, value: float, width: int) -> str:
        """`value` as block characters, scaled so that the largest finite value fills `width`.
        A value that is not finite (a learner's nan or inf) gets no bar: its number says it."""
        if not math.isfinite(value):
            return ""
        top = max((abs(v) for v in self.values if math.isfinite(v)), default=0.0) or 1.0
        filled = abs(value) / top * width
        return "█" * int(filled) + ("▌" if filled - int(filled) >= 0.5 else "")


@dataclass
class Measurement:
    """One statistical expectation a check tested: what `grader verify` reads to report margins
    and power. `deviation / tolerance` above 1 is a rejection; `sd` is the statistic's standard
    deviation under the right answer; `alternatives` are (label, value of the statistic) for the
    mistakes the expectation is meant to catch."""

    what: str
    kind: str  # "mean", "std", "fraction" (all approximately normal) or "cdf" (a DKW distance)
    n: int
    expected: float
    statistic: float
    tolerance: float
    sd: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)

    @property
    def deviation(self) -> float:
        return abs(self.statistic - self.expected)

    @property
    def ratio(self) -> float:
        """How many tolerances the statistic is away from the expected value."""
        if self.tolerance > 0:
            return self.deviation / self.tolerance
        return 0.0 if self.deviation == 0 else math.inf

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.what


@dataclass
class CheckResult:
    name: str
    title: str
    status: str
    weight: float = 1.0
    points: float = 0.0
    max_points: float = 1.0
    message: str = ""
    learner_error: dict[str, Any] | None = None  # type, message, frames of the learner's exception
    output: str = ""
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0
    visibility: str = "visible"  # who sees it: one of VISIBILITIES (@pytest.mark.visibility)
    kind: str = ""  # what ended it on the learner's side: "timeout", "crash"..., "file", NO_FILE
    measurements: list[Measurement] = field(default_factory=list)  # for verify; not reported

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def crashed(self) -> bool:
        """The learner's code raised, crashed or ran out of time or memory, or the check broke:
        not a wrong answer, an error."""
        return self.status == ERROR or self.kind in CRASH_KINDS


@dataclass
class ExerciseResult:
    number: str
    slug: str
    title: str
    file: str
    checks: list[CheckResult] = field(default_factory=list)
    load_output: str = ""
    problem: str = ""  # a reason the exercise could not be graded at all ("no file")
    notes: list[str] = field(default_factory=list)  # what the grader did to the file first
    seconds: float = 0.0
    withheld: int = 0  # checks the instructor runs that this (learner's) run left out

    @property
    def notes_line(self) -> str:
        """The notes as the one line every view shows ("" when there are none)."""
        return " · ".join(self.notes)

    @property
    def score(self) -> float:
        return total_points(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return total_points(c.max_points for c in self.checks)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not self.problem and all(c.passed for c in self.checks)

    @property
    def not_started(self) -> bool:
        return bool(self.checks) and all(c.status in (NOT_STARTED, SKIPPED) for c in self.checks)

    @property
    def status(self) -> str:
        """One word for the gradebook: passed, no_file, two_candidates, refused_file,
        import_error, not_started, timeout, crash, partial or failed (the first that applies)."""
        if self.passed:
            return "passed"
        if self.problem:
            kinds = {c.kind for c in self.checks} & FILE_KINDS
            if kinds:
                kind = kinds.pop()
                return REFUSED_FILE if kind == "file" else kind
            return NO_FILE if not self.file else "import_error"
        if self.not_started:
            return "not_started"
        kinds = {c.kind for c in self.checks}
        if "timeout" in kinds:
            return "timeout"
        if any(c.crashed for c in self.checks):
            return "crash"
        return "partial" if self.score > 0 else "failed"

    def scale(self, total: float | None) -> None:
        """Give each check its share of the exercise's points (the card's `points`, if set; else
        its weight), in hundredths that add up to the total."""
        weights = [c.weight for c in self.checks]
        shares = apportion(total if total else sum(weights), weights)
        for c, share in zip(self.checks, shares, strict=True):
            c.max_points = share
            c.points = share if c.passed else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data, as reports store it: fields in order, then the derived ones; a check's
        weight and measurements left out (they are the grader's, and verify's)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["checks"] = [_check_dict(c) for c in self.checks]
        data["notes"] = list(self.notes)
        data.update(score=self.score, max_score=self.max_score, passed=self.passed,
                    status=self.status)
        return data


def _check_dict(check: CheckResult) -> dict[str, Any]:
    """`asdict(check)` without the fields reports leave out, and without asdict's walk through
    every measurement (the costly part of it, for data thrown away)."""
    data = {f.name: getattr(check, f.name) for f in fields(check)
            if f.name not in ("weight", "measurements")}
    data["figures"] = [asdict(figure) for figure in check.figures]
    data["learner_error"] = copy.deepcopy(check.learner_error)
    return data


def exercise_from_dict(data: dict[str, Any]) -> ExerciseResult:
    """The inverse of `ExerciseResult.to_dict` (for merging saved reports)."""
    checks = []
    for c in data.get("checks", []):
        c = dict(c)
        c["figures"] = [Figure(**f) for f in c.get("figures", [])]
        c["weight"] = c.get("max_points", 1.0)
        checks.append(CheckResult(**c))
    return ExerciseResult(
        number=data["number"], slug=data["slug"], title=data["title"], file=data["file"],
        checks=checks, load_output=data.get("load_output", ""), problem=data.get("problem", ""),
        notes=[str(n) for n in data.get("notes", [])],
        seconds=data.get("seconds", 0.0), withheld=data.get("withheld", 0),
    )
