"""Results as plain data: what every report format (rich, JSON, JUnit, Gradescope...) renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASSED, FAILED, NOT_STARTED, ERROR, SKIPPED = "passed", "failed", "not_started", "error", "skipped"
POINT_DECIMALS = 2  # the one precision points are shown in, in every view and report


def format_points(value: float) -> str:
    """`3.33`, `10`: points as every view shows them."""
    return f"{round(value, POINT_DECIMALS) + 0.0:g}"


@dataclass
class Figure:
    """A bar chart a check attached to its result."""

    title: str
    labels: list[str]
    values: list[float]


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

    @property
    def passed(self) -> bool:
        return self.status == PASSED


@dataclass
class ExerciseResult:
    number: str
    slug: str
    title: str
    file: str
    checks: list[CheckResult] = field(default_factory=list)
    load_output: str = ""
    problem: str = ""  # a reason the exercise could not be graded at all ("no file")
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and not self.problem and all(c.passed for c in self.checks)

    @property
    def not_started(self) -> bool:
        return bool(self.checks) and all(c.status in (NOT_STARTED, SKIPPED) for c in self.checks)

    def scale(self, total: float | None) -> None:
        """Give each check its share of the exercise's points (the card's `points`, if set)."""
        weights = sum(c.weight for c in self.checks) or 1.0
        factor = (total / weights) if total else 1.0
        for c in self.checks:
            c.max_points = c.weight * factor  # full precision: totals round to the card's points
            c.points = c.max_points if c.passed else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(score=self.score, max_score=self.max_score, passed=self.passed)
        for check in data["checks"]:
            check.pop("weight", None)
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
        seconds=data.get("seconds", 0.0),
    )
