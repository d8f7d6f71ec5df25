"""Root causes: failed checks that fail for the same reason (the same exception at the same line,
the same shape mistake, the same named mistake, the same endless loop) are one cause, reported
once. Causes are ordered so the likeliest root comes first: the learner's exceptions and
timeouts, then wrong types and shapes, then wrong values. Passed, not-started and skipped checks
have no cause and are never grouped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grader.results import ERROR, FAILED, CheckResult

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SHAPE = re.compile(r"has shape \(([^)]*)\); expected \(([^)]*)\)")
MISTAKE = re.compile(r"It matches .*? = \S+: (.+)", re.S)
CALL = re.compile(r"(\w+)\(")
SKIPPED = re.compile(r"skipped: `(\w+)` did not finish")
RUNTIME = ("stopped after", "memory limit", "sys.exit", "exit code", "defines no `",
           "killed", "segmentation fault", "stopped by signal", "MB of output")
SHAPE_OR_TYPE = ("has shape", "has dtype", "expected a numpy array", "expected a number",
                 "expected plain data", "returned a `")


@dataclass
class Cause:
    """Failed checks with one reason: the first is shown in full, the rest are counted."""

    key: str
    rank: int
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def first(self) -> CheckResult:
        return self.checks[0]

    @property
    def others(self) -> list[CheckResult]:
        return self.checks[1:]


def group_causes(checks: list[CheckResult]) -> list[Cause]:
    """The failed checks grouped by cause, the likeliest root cause first (then the cause that
    fails most checks, then check order)."""
    causes: dict[str, Cause] = {}
    order: list[Cause] = []
    for check in checks:
        if check.status not in (FAILED, ERROR):
            continue
        key = cause_key(check)
        if key is None:
            order.append(Cause(f"#{len(order)}", _rank(check), [check]))
            continue
        if key not in causes:
            causes[key] = Cause(key, _rank(check))
            order.append(causes[key])
        causes[key].checks.append(check)
    position = {id(c): i for i, c in enumerate(order)}
    return sorted(order, key=lambda c: (c.rank, -len(c.checks), position[id(c)]))


def cause_key(check: CheckResult) -> str | None:
    """What makes two failures "the same reason"; None for a failure that stands alone."""
    message = check.message.strip()
    error = check.learner_error or {}
    if check.status == ERROR and error:
        frames = error.get("frames") or []
        where = f"{frames[-1].get('file')}:{frames[-1].get('line')}" if frames else ""
        return f"raised:{error.get('type')}:{_plain(str(error.get('message', '')))}:{where}"
    if not message:
        return None
    skipped = SKIPPED.match(message)
    if skipped:
        return f"timeout:{skipped.group(1)}"
    call = CALL.match(message)
    if call and "stopped after" in message.split("\n", 1)[0]:
        return f"timeout:{call.group(1)}"
    shape = SHAPE.search(message)
    if shape:
        relation = _shape_relation(shape.group(1), shape.group(2))
        if relation:
            return f"shape:{relation}"
    mistake = MISTAKE.search(message)
    if mistake:
        return f"mistake:{_plain(mistake.group(1))}"
    return "text:" + _plain(_without_call(message))


def _rank(check: CheckResult) -> int:
    message = check.message
    if check.status == ERROR and check.learner_error:
        return 0
    if SKIPPED.match(message) or any(word in message for word in RUNTIME):
        return 1
    if any(word in message for word in SHAPE_OR_TYPE):
        return 2
    return 3


def _shape_relation(got: str, expected: str) -> str:
    """A name for how two shapes differ, when it is a known mistake."""
    g = tuple(x.strip() for x in got.split(",") if x.strip())
    e = tuple(x.strip() for x in expected.split(",") if x.strip())
    if len(g) == 2 and g == e[::-1] and g != e:
        return "transposed"
    if len(g) != len(e) and [x for x in g if x != "1"] == [x for x in e if x != "1"]:
        return "axis of size 1"  # keepdims missing, or an axis too many
    return ""


def _without_call(message: str) -> str:
    """`f(3, 4, rng) returned …` → `f(…) returned …`: the same failure for other arguments."""
    call = CALL.match(message)
    if not call:
        return message
    depth = 0
    for i in range(call.end() - 1, len(message)):
        depth += {"(": 1, ")": -1}.get(message[i], 0)
        if depth == 0:
            return f"{call.group(1)}(…){message[i + 1:]}"
    return message


def _plain(text: str) -> str:
    """Numbers blanked: the same message measured on other sizes is the same reason."""
    return NUMBER.sub("#", text.split("\n", 1)[0]).strip()
