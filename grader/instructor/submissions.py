"""Find a learner's files in a submission folder, by one documented rule (docs/grading.md):

- a candidate for exercise NN is a file at any depth whose name is `NN` + an accepted suffix, or
  `NN` then `_`, `-` or `.` then anything + an accepted suffix (`03.py`, `03_xavier.py`,
  `03-mine.py`); folders starting with `.` (reported) and `__pycache__` are not searched;
- candidates in a folder named `exercises` win over the others; two candidates left for one
  exercise are a problem (none is graded), never a silent choice;
- the file must be a regular file of at most MAX_FILE_BYTES (a notebook MAX_NOTEBOOK): a
  symlink (never followed), a special file, a larger or unreadable file is a problem, not a
  silent skip.

What was picked, what was ignored and why are kept for the student's report.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from grader.deck.card import Card
from grader.errors import GraderError
from grader.files import read_regular, sha256
from grader.instructor.names import readable
from grader.notebooks.source import MAX_NOTEBOOK
from grader.results import NO_FILE, REFUSED_FILE, TWO_CANDIDATES

SUFFIXES = (".py", ".ipynb")  # the learner file types graded: scripts, Jupyter notebooks
STEM = re.compile(r"^(\d{2})(?:[_\-.].*)?$", re.DOTALL)
PREFERRED = "exercises"
MAX_FILE_BYTES = 1024 * 1024
MAX_ENTRIES = 10_000  # entries looked at per student, so a huge tree cannot stall the batch
MAX_DEPTH = 8
SHOWN_IGNORED = 50


@dataclass
class Picked:
    path: Path
    shown: str  # relative to the submission folder, readable (see names.readable)
    data: bytes

    @property
    def sha256(self) -> str:
        return sha256(self.data)


@dataclass
class Submission:
    files: dict[str, Picked] = field(default_factory=dict)
    problems: dict[str, tuple[str, str]] = field(default_factory=dict)  # number: (kind, why)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, why), problems aside

    def problem(self, number: str) -> tuple[str, str]:
        """Why no file is graded for exercise `number`: its kind (NO_FILE, TWO_CANDIDATES or
        REFUSED_FILE) and what every check says."""
        return self.problems.get(number, (NO_FILE, "no file"))

    def to_dict(self) -> dict:
        """What the student's report keeps: picked files with their SHA-256, problems, ignored."""
        ignored = [{"path": p, "why": w} for p, w in self.ignored[:SHOWN_IGNORED]]
        if len(self.ignored) > SHOWN_IGNORED:
            ignored.append({"path": "…", "why": f"{len(self.ignored) - SHOWN_IGNORED} more"})
        return {
            "picked": {n: {"path": p.shown, "sha256": p.sha256}
                       for n, p in sorted(self.files.items())},
            "problems": {n: {"kind": k, "why": w} for n, (k, w) in sorted(self.problems.items())},
            "ignored": ignored,
        }

    @property
    def digest(self) -> str:
        """One hash of everything that decides the grade: picked files' bytes and problems."""
        doc = self.to_dict()
        return sha256(json.dumps([doc["picked"], doc["problems"]], sort_keys=True))


@dataclass
class _Candidate:
    path: Path
    parts: tuple[str, ...]  # relative path, folder by folder
    shown: str


def _shown(parts: tuple[str, ...]) -> str:
    return "/".join(readable(os.fsencode(p)) for p in parts)


def exercise_number(name: str) -> str | None:
    """`"03"` for `03_xavier.py`; None for a name the rule does not take."""
    stem = next((name[: -len(s)] for s in SUFFIXES if name.endswith(s)), None)
    match = STEM.match(stem) if stem is not None else None
    return match[1] if match else None


def discover(folder: Path, numbers: set[str]) -> Submission:
    """The files of `folder` to grade for each exercise in `numbers`, by the module's rule."""
    found = Submission()
    candidates: dict[str, list[_Candidate]] = {}
    folder = Path(os.path.abspath(folder))  # workers run in a scratch folder
    for path, parts, mode in _walk(folder, found.ignored):
        name, shown = parts[-1], _shown(parts)
        number = exercise_number(name)
        if number is None:
            if stat.S_ISLNK(mode):
                found.ignored.append((shown, "a symbolic link: not followed"))
            elif name.endswith(SUFFIXES):
                found.ignored.append((shown, "its name does not start with an exercise number"))
        elif number not in numbers:
            found.ignored.append((shown, f"the deck has no exercise {number}"))
        else:
            candidates.setdefault(number, []).append(_Candidate(path, parts, shown))
    for number, group in sorted(candidates.items()):
        _pick(found, number, group)
    return found


def _pick(found: Submission, number: str, group: list[_Candidate]) -> None:
    preferred = [c for c in group if len(c.parts) > 1 and c.parts[-2] == PREFERRED]
    pool = preferred or group
    for other in group:
        if other not in pool:
            found.ignored.append((other.shown, f"exercise {number} has a file in an "
                                               f"{PREFERRED}/ folder"))
    if len(pool) > 1:
        names = ", ".join(c.shown for c in pool)
        found.problems[number] = (TWO_CANDIDATES, f"{len(pool)} candidate files for exercise "
                                             f"{number} ({names}): keep only one")
        return
    chosen = pool[0]
    try:
        limit = MAX_NOTEBOOK if chosen.path.suffix == ".ipynb" else MAX_FILE_BYTES
        found.files[number] = Picked(chosen.path, chosen.shown, read_regular(chosen.path, limit))
    except GraderError as error:
        found.problems[number] = (REFUSED_FILE, f"{chosen.shown}: {error.message}")


def _walk(folder: Path, ignored: list[tuple[str, str]]
          ) -> Iterator[tuple[Path, tuple[str, ...], int]]:
    """(path, relative parts, lstat mode) of every entry under `folder` that is not a folder,
    depth first in name order; never follows a symlink, never looks at more than MAX_ENTRIES."""
    seen = 0
    stack: list[tuple[Path, tuple[str, ...]]] = [(folder, ())]
    while stack:
        here, prefix = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(islice(it, MAX_ENTRIES - seen + 1), key=lambda e: e.name)
        except OSError as exc:
            ignored.append((_shown(prefix) or ".", f"cannot be listed ({exc.strerror})"))
            continue
        folders = []
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                ignored.append(("…", f"stopped looking after {MAX_ENTRIES} entries"))
                return
            parts = (*prefix, entry.name)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:  # gone since it was listed
                ignored.append((_shown(parts), f"cannot be examined ({exc.strerror})"))
                continue
            if not stat.S_ISDIR(mode):
                yield Path(entry.path), parts, mode
            elif entry.name.startswith("."):
                ignored.append((_shown(parts) + "/", "a dot-folder: not searched"))
            elif entry.name == "__pycache__":
                continue
            elif len(parts) >= MAX_DEPTH:
                ignored.append((_shown(parts) + "/", f"deeper than {MAX_DEPTH} levels: not "
                                                     "searched"))
            else:
                folders.append((Path(entry.path), parts))
        stack.extend(reversed(folders))


def submission_file(card: Card, submission: Path, selected: int
                    ) -> tuple[Path | None, tuple[str, str]]:
    """The file to grade for `card` in `submission` (a file or a folder), and when there is none,
    why: its kind and what the checks say ("no file", "2 candidate files ...")."""
    if submission.is_file():
        if selected != 1:
            raise GraderError("a single submitted file can only be checked against one exercise: "
                              "name it, e.g. `grader check 03 --submission FILE`", submission)
        return submission, (NO_FILE, "")
    if submission.is_dir():
        found = discover(submission, {card.number})
        picked = found.files.get(card.number)
        return (picked.path if picked else None), found.problem(card.number)
    raise GraderError("no such file or folder", submission)
