"""Class statistics from graded results: what the terminal summary and the HTML report show."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from grader.results import PROBLEM_STATUSES, ExerciseResult, total_points

# How checks name a diagnosed mistake (grader.checkapi.diagnose.Mistake.describe and the checks
# that word their own): "It matches sqrt(1/fan_in) = 0.0913: that is LeCun's std (...), not ...".
_MISTAKE = re.compile(r"It matches (?P<label>.+?)(?: = [^:\n]+)?: (?P<why>.*)")
NEEDS_ATTENTION = 0.5  # a student under this share of the points, or with a crash, is flagged


def named_mistake(message: str) -> str:
    """`sqrt(1/fan_in): that is LeCun's std (...), not ...` when the message names a known
    mistake, else "": the explanation runs to the first full stop or semicolon outside
    parentheses."""
    found = _MISTAKE.search(message)
    if not found:
        return ""
    why, depth = found["why"], 0
    for index, char in enumerate(why):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth <= 0 and (char == ";" or (char == "." and why[index + 1:index + 2] in " ")):
            why = why[:index]
            break
    return f"{found['label']}: {why.strip()}"


def student_total(results: list[ExerciseResult]) -> tuple[float, float]:
    """(points, max points) over a student's exercises."""
    return (total_points(r.score for r in results), total_points(r.max_score for r in results))


def most_failed(graded: dict[str, list[ExerciseResult]], top: int = 10
                ) -> list[tuple[str, int]]:
    """The checks most students failed: ("03 · title", students)."""
    counts: Counter[str] = Counter()
    for results in graded.values():
        for result in results:
            for check in result.checks:
                if not check.passed:
                    counts[f"{result.number} · {check.title}"] += 1
    return _most_common(counts, top)


def common_mistakes(graded: dict[str, list[ExerciseResult]], top: int = 10
                    ) -> list[tuple[str, int]]:
    """The named mistakes most students made: ("03 · mistake", students)."""
    counts: Counter[str] = Counter()
    for results in graded.values():
        seen = {f"{r.number} · {named_mistake(c.message)}" for r in results for c in r.checks
                if not c.passed and named_mistake(c.message)}
        counts.update(seen)
    return _most_common(counts, top)


def _most_common(counts: Counter[str], top: int) -> list[tuple[str, int]]:
    """The `top` largest counts, ties in the order of their keys: the same class gives the same
    report whatever order its students were graded in."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


@dataclass
class ExerciseStats:
    number: str
    title: str
    students: int
    passed: int
    mean: float
    max_score: float
    statuses: Counter[str]


def exercise_stats(graded: dict[str, list[ExerciseResult]]) -> list[ExerciseStats]:
    """Per exercise, in number order: how many passed, the mean points, each status's count."""
    rows: dict[str, list[ExerciseResult]] = {}
    for results in graded.values():
        for result in results:
            rows.setdefault(result.number, []).append(result)
    return [ExerciseStats(number, rs[0].title, len(rs), sum(r.passed for r in rs),
                          sum(r.score for r in rs) / len(rs), max(r.max_score for r in rs),
                          Counter(r.status for r in rs))
            for number, rs in sorted(rows.items())]


def check_pass_rates(graded: dict[str, list[ExerciseResult]]
                     ) -> list[tuple[str, str, int, int]]:
    """Per check, in deck order: (exercise number, check title, passed, students)."""
    rates: dict[tuple[str, str], list[int]] = {}
    for results in graded.values():
        for result in results:
            for check in result.checks:
                entry = rates.setdefault((result.number, check.title), [0, 0])
                entry[0] += check.passed
                entry[1] += 1
    return [(n, title, p, t) for (n, title), (p, t) in sorted(rates.items(),
                                                              key=lambda kv: kv[0][0])]


def needing_attention(graded: dict[str, list[ExerciseResult]]) -> list[tuple[str, float, str]]:
    """Students under NEEDS_ATTENTION of the points, or whose code crashed, timed out or was
    missing: (student, share of points, why), lowest share first."""
    flagged = []
    for student, results in graded.items():
        score, top = student_total(results)
        share = score / top if top else 0.0
        why = sorted({f"{r.number} {r.status}" for r in results
                      if r.status in PROBLEM_STATUSES})
        if share < NEEDS_ATTENTION or why:
            flagged.append((student, share, ", ".join(why) or "low score"))
    return sorted(flagged, key=lambda row: (row[1], row[0]))
