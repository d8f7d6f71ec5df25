"""The learner's code as the grader hands it to a worker: read once, safely, by the grader.

A worker never opens the learner's file where it lies (it cannot: Landlock gives it nothing of
the exercises, the submissions or their folders). The grader reads the file without following
a symlink, refuses anything but a regular file of a bounded size, and copies the bytes into the
worker's read-only `src/` folder (see `Worker.place`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

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
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise SourceProblem(f"{path.name} is a symbolic link: submit the file itself") \
                from None
        raise SourceProblem(f"{path.name} could not be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SourceProblem(f"{path.name} is not a regular file")
        if info.st_size > limit:
            raise SourceProblem(f"{path.name} is {info.st_size // 1024} KiB: larger than the "
                                f"{limit // 1024} KiB a submitted file may have")
        with os.fdopen(fd, "rb", closefd=False) as f:
            code = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(code) > limit:
        raise SourceProblem(f"{path.name} grew past {limit // 1024} KiB while it was read")
    return Source(code, path.name)
