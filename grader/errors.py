"""The grader's own errors: one exception type that knows where the problem is."""

from __future__ import annotations

from pathlib import Path


class GraderError(Exception):
    """A usage or setup problem the user can fix: reported as `file:line: message`, exit code 2."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message
