"""`grader grade` and `grader merge`: grade a class of submissions in isolation and in parallel.

Students are graded in batches; each batch runs one pytest session per exercise (checks collected
once) with one worker process per student, and batches run in parallel processes. Every student's
full feedback is written to `OUT/<student>.json` as soon as their batch is done, so an interrupted
run resumes where it stopped. `--shard K/N` takes a stable slice of the class; `grader merge` joins
shard outputs into one gradebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from grader.checkapi.plugin import DEFAULT_SEED, Run
from grader.deck.project import Project
from grader.errors import GraderError
from grader.files import atomic_write
from grader.instructor.class_outputs import (
    graded_students,
    write_class_outputs,
    write_student_outputs,
)
from grader.instructor.submissions import files_by_number
from grader.results import exercise_from_dict

BATCH = 8
RESERVED = {"gradebook"}


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str | None) -> Shard:
        if not text:
            return cls(1, 1)
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise GraderError(f"--shard takes K/N, e.g. 2/4, not {text!r}") from None
        if not 1 <= k <= n:
            raise GraderError(f"--shard {text}: K must be between 1 and N")
        return cls(k, n)

    def owns(self, student: str) -> bool:
        digest = int(hashlib.sha256(student.encode("utf-8")).hexdigest(), 16)
        return digest % self.count == self.index - 1


def students_in(submissions: Path) -> list[str]:
    if not submissions.is_dir():
        raise GraderError("not a folder of submissions (one folder per student)", submissions)
    names = sorted(p.name for p in submissions.iterdir()
                   if p.is_dir() and not p.name.startswith("."))
    clash = RESERVED.intersection(names)
    if clash:
        raise GraderError(f"a student folder may not be called {sorted(clash)[0]!r}", submissions)
    return names


def grade_batch(root: str, checks: str | None, submissions: str, students: list[str],
                seed: int) -> dict[str, list[dict]]:
    """Grade some students on every exercise (runs in a pool process). Plain dicts come back."""
    from grader.checkapi.runner import run_checks

    project = Project(Path(root), Path(checks) if checks else None)
    folders = {s: files_by_number(Path(submissions) / s) for s in students}
    graded: dict[str, list[dict]] = {s: [] for s in students}
    for card in project.cards:
        runs = [Run(folders[s].get(card.number), seed=seed, label=s) for s in students]
        for run, result in zip(runs, run_checks(card, project.checks_file(card), runs),
                               strict=True):
            graded[run.label].append(result.to_dict())
    return graded


def _batches(students: list[str], jobs: int) -> list[list[str]]:
    size = max(1, min(BATCH, -(-len(students) // max(jobs, 1))))
    return [students[i:i + size] for i in range(0, len(students), size)]


def grade_class(project: Project, submissions: Path, out: Path, jobs: int = 0,
                shard: Shard | None = None, force: bool = False, seed: int = DEFAULT_SEED,
                formats: list[str] | None = None,
                progress: Callable[[int, int], None] | None = None) -> dict[str, list]:
    """Grade every student of this shard who is not graded yet; return everyone's results."""
    started = time.perf_counter()
    shard = shard or Shard(1, 1)
    students = [s for s in students_in(submissions) if shard.owns(s)]
    out.mkdir(parents=True, exist_ok=True)
    todo = [s for s in students if force or not (out / f"{s}.json").is_file()]
    jobs = jobs or os.cpu_count() or 1
    for card in project.cards:  # fail early, before any student is graded
        if not project.checks_file(card).is_file():
            raise GraderError(f"no checks for exercise {card.number}",
                              project.checks_file(card))
    done = len(students) - len(todo)
    if progress:
        progress(done, len(students))
    checks = str(project.checks_override) if project.checks_override else None
    args = (str(project.root), checks, str(submissions.resolve()))
    for graded in _run_batches(_batches(todo, jobs), jobs, args, seed):
        for student, exercises in graded.items():
            results = [exercise_from_dict(e) for e in exercises]
            write_student_outputs(out, student, results, formats or [])
            done += 1
        if progress:
            progress(done, len(students))
    everyone = load_graded(out, students)
    write_class_outputs(out, everyone, formats or [], time.perf_counter() - started)
    return everyone


def _run_batches(batches: list[list[str]], jobs: int, args: tuple, seed: int
                 ) -> Iterator[dict[str, list[dict]]]:
    if jobs <= 1 or len(batches) <= 1:
        for batch in batches:
            yield grade_batch(*args, batch, seed)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        pending = {pool.submit(grade_batch, *args, batch, seed) for batch in batches}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()


def load_graded(out: Path, students: list[str] | None = None) -> dict[str, list]:
    names = students if students is not None else [
        s for s in graded_students(out) if s not in RESERVED]
    graded: dict[str, list] = {}
    for name in names:
        path = out / f"{name}.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            graded[name] = [exercise_from_dict(e) for e in doc["exercises"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GraderError(f"cannot read a graded student's report: {exc}", path) from None
    return graded


def merge(project: Project, dirs: list[Path], out: Path) -> dict[str, list]:
    """Join the student reports of several shard outputs into one gradebook in `out`."""
    graded: dict[str, list] = {}
    out.mkdir(parents=True, exist_ok=True)
    for folder in dirs:
        if not folder.is_dir():
            raise GraderError("not a folder written by `grader grade`", folder)
        for name, results in load_graded(folder).items():
            if name in graded:
                raise GraderError(f"student {name!r} appears in two shard outputs", folder)
            graded[name] = results
            if folder.resolve() != out.resolve():
                atomic_write(out / f"{name}.json", (folder / f"{name}.json").read_text())
    write_class_outputs(out, graded, [])
    return graded

