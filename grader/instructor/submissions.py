"""Find a learner's file for an exercise: in `exercises/`, or in a submission folder where files
are matched by their two-digit prefix."""

from __future__ import annotations

import re
from pathlib import Path

from grader.deck.card import Card
from grader.errors import GraderError

PREFIX = re.compile(r"^(\d{2})(?:[_\-.].*)?\.py$")


def files_by_number(folder: Path) -> dict[str, Path]:
    """`{"03": folder/03_xavier.py, ...}`; the first file by name wins when several match."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        match = PREFIX.match(path.name)
        if match and path.is_file() and match[1] not in found:
            found[match[1]] = path
    return found


def submission_file(card: Card, submission: Path, selected: int) -> Path | None:
    """The file to grade for `card` in `submission` (a file or a folder); None if it has none."""
    if submission.is_file():
        if selected != 1:
            raise GraderError("a single submitted file can only be checked against one exercise: "
                              "name it, e.g. `grader check 03 --submission FILE`", submission)
        return submission
    if submission.is_dir():
        return files_by_number(submission).get(card.number)
    raise GraderError("no such file or folder", submission)
