"""The learner's code as the grader hands it to a worker: read once, safely, by the grader.

A worker never opens the learner's file where it lies (it cannot: Landlock gives it nothing of
the exercises, the submissions or their folders). The grader reads the file without following
a symlink, refuses anything but a regular file of a bounded size, and copies the bytes into the
worker's read-only `src/` folder (see `Worker.place`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError
from grader.files import read_regular

MAX_SOURCE = 1024 * 1024


class SourceProblem(Exception):
    """The learner's file cannot be graded as it is; the message says why, in their terms."""


@dataclass(frozen=True)
class Source:
    """Python code to load, the file name the learner knows it by, and notes on what the
    grader did to it (shown once in the feedback)."""

    code: bytes
    name: str
    notes: tuple[str, ...] = field(default=())


def read_source(path: Path, limit: int = MAX_SOURCE) -> Source:
    """The bytes of the regular file `path` (not a symlink, at most `limit` bytes)."""
    try:
        code = read_regular(path, limit)
    except GraderError as problem:
        raise SourceProblem(f"{path.name}: {problem.message}") from None
    return Source(code, path.name)
