"""`grader grade`: grade a class of submissions in isolation and in parallel.

Students are graded in batches; each batch runs one pytest session per exercise (checks collected
once) with one worker process per student, and batches run in parallel processes. Every student's
full feedback is written, signed, to `OUT/<key>.json` as soon as their batch is done, so an
interrupted run resumes where it stopped: a report is reused only if the grader signed it, for
this student, this submission (content hash) and these checks; anything else is re-graded and
named. `--shard K/N` takes a stable slice of the class (grader.instructor.merge joins the
shards). See docs/grading.md.
"""

from __future__ import annotations

import hashlib
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
from grader.files import write_all
from grader.instructor import integrity
from grader.instructor.class_outputs import (
    STUDENT_FILES,
    format_files,
    write_class_outputs,
    write_student_outputs,
)
from grader.instructor.classrun import FORMAT_SUFFIXES, ClassResult, Note, write_or_note
from grader.instructor.names import Student, roster
from grader.instructor.student_report import (
    Refused,
    StudentReport,
    read_report,
    signed_report,
)
from grader.instructor.submissions import Submission, discover
from grader.results import exercise_from_dict

BATCH = 8


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

    def owns(self, folder_name: bytes) -> bool:
        digest = int(hashlib.sha256(folder_name).hexdigest(), 16)
        return digest % self.count == self.index - 1


def grade_batch(root: str, checks: str | None,
                plans: dict[str, dict[str, tuple[str | None, str, str]]], seed: int
                ) -> dict[str, list[dict]]:
    """Grade some students on every exercise (runs in a pool process); `plans` gives each
    student's file per exercise, or None with the problem's kind and message. Plain dicts come
    back."""
    from grader.checkapi.runner import run_checks

    project = Project(Path(root), Path(checks) if checks else None)
    graded: dict[str, list[dict]] = {key: [] for key in plans}
    for card in project.cards:
        runs = []
        for key, plan in plans.items():
            path, kind, missing = plan[card.number]
            runs.append(Run(Path(path) if path else None, seed=seed, label=key,
                            missing=missing, missing_kind=kind))
        for run, result in zip(runs, run_checks(card, project.checks_file(card), runs),
                               strict=True):
            graded[run.label].append(result.to_dict())
    return graded


def _batches(keys: list[str], jobs: int) -> list[list[str]]:
    size = max(1, min(BATCH, -(-len(keys) // max(jobs, 1))))
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def grade_class(project: Project, submissions: Path, out: Path, jobs: int = 0,
                shard: Shard | None = None, force: bool = False, seed: int = DEFAULT_SEED,
                formats: list[str] | None = None, key_file: Path | None = None,
                progress: Callable[[int, int], None] | None = None) -> ClassResult:
    """Grade every student of this shard whose signed report is missing or out of date; write
    the gradebook and the requested formats; return everyone's reports and the notes."""
    started = time.perf_counter()
    shard = shard or Shard(1, 1)
    _check_setup(project, submissions, out, key_file)
    klass = roster(submissions, FORMAT_SUFFIXES)
    run = ClassResult(notes=[Note(name, "skipped", why) for name, why in klass.skipped])
    students = [s for s in klass.students if shard.owns(s.raw)]
    out.mkdir(parents=True, exist_ok=True)
    key = integrity.load_key(integrity.key_path(out, key_file), create=True)
    graded_with = integrity.fingerprint(project, seed)
    numbers = {card.number for card in project.cards}
    found = {s.key: discover(s.folder, numbers) for s in students}
    todo: list[Student] = []
    for student in students:
        _file_notes(run, student, found[student.key])
        reused = None if force else _reusable(run, out, student, key, found[student.key],
                                               graded_with)
        if reused is None:
            todo.append(student)
        else:
            run.reports[student.name] = reused
    if progress:
        progress(len(run.reports), len(students))
    for student, exercises in _grade(project, todo, found, jobs, seed):
        submission = found[student.key]
        report = _graded_report(student, submission, graded_with, exercises)
        run.reports[student.name] = report
        text = signed_report(student, submission, graded_with, report.results, key)
        write_or_note(run, student.name, lambda s=student, r=report, t=text: write_student_outputs(
            out, s.key, s.name, r.results, formats or [], t))
        if progress:
            progress(len(run.reports), len(students))
    _write_missing_formats(run, out, [s for s in students if s not in todo], formats or [])
    _name_stale(run, out, klass.students, students)
    write_class_outputs(out, run.graded, formats or [], time.perf_counter() - started,
                        keys={s.name: s.key for s in students},
                        guard=lambda name, write: write_or_note(run, name, write))
    return run


def _check_setup(project: Project, submissions: Path, out: Path, key_file: Path | None) -> None:
    """Fail before any student is graded: every card has checks, and neither the reports nor
    the key live where students' files are."""
    for card in project.cards:
        if not project.checks_file(card).is_file():
            raise GraderError(f"no checks for exercise {card.number}",
                              project.checks_file(card))
    for inside, what in ((out, "--out"), (key_file, "--key")):
        if inside is not None and _within(inside, submissions):
            raise GraderError(f"{what} {inside} is inside the submissions folder: a student "
                              "could read or plant it; put it elsewhere", submissions)


def _grade(project: Project, students: list[Student], found: dict[str, Submission], jobs: int,
           seed: int) -> Iterator[tuple[Student, list[dict]]]:
    """Grade `students` in batches, in parallel; yield each one's results as they come."""
    by_key = {s.key: s for s in students}
    plans = {s.key: {n: (str(found[s.key].files[n].path) if n in found[s.key].files else None,
                         *found[s.key].problem(n)) for n in (c.number for c in project.cards)}
             for s in students}
    checks = str(project.checks_override) if project.checks_override else None
    jobs = jobs or os.cpu_count() or 1
    calls = [(str(project.root), checks, {k: plans[k] for k in batch}, seed)
             for batch in _batches(list(plans), jobs)]
    for graded in _run_batches(calls, jobs):
        for key, exercises in graded.items():
            yield by_key[key], exercises


def _within(path: Path, folder: Path) -> bool:
    inner, outer = path.resolve(), folder.resolve()
    return inner == outer or outer in inner.parents


def _run_batches(calls: list[tuple], jobs: int) -> Iterator[dict[str, list[dict]]]:
    if jobs <= 1 or len(calls) <= 1:
        for call in calls:
            yield grade_batch(*call)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        pending = {pool.submit(grade_batch, *call) for call in calls}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()


def _graded_report(student: Student, submission: Submission, graded_with: str,
                   exercises: list[dict]) -> StudentReport:
    results = [exercise_from_dict(e) for e in exercises]
    for result in results:  # the file as the student knows it, not the grader's absolute path
        picked = submission.files.get(result.number)
        result.file = picked.shown if picked else ""
    return StudentReport(student.name, student.key, results, submission.digest, graded_with)


def _reusable(run: ClassResult, out: Path, student: Student, key: bytes,
              submission: Submission, graded_with: str) -> StudentReport | None:
    """The student's report if it can stand for this submission, else None (with a note)."""
    path = out / f"{student.key}.json"
    if not os.path.lexists(path):
        return None
    try:
        report = read_report(path, key)
    except GraderError:
        return None  # not a regular file: writing the new report names the problem
    except Refused as why:
        run.notes.append(Note(student.name, "replaced", f"{path.name} refused ({why}): "
                                                        "re-graded"))
        return None
    if report.name != student.name:
        run.notes.append(Note(student.name, "replaced", f"{path.name} is {report.name!r}'s "
                                                        "report: re-graded"))
    elif report.graded_with != graded_with:
        run.notes.append(Note(student.name, "regraded", "re-graded: the checks, cards or seed "
                                                        "changed since the last run"))
    elif report.digest != submission.digest:
        run.notes.append(Note(student.name, "regraded", "re-graded: the submission changed "
                                                        "since the last run"))
    else:
        return report
    return None


def _file_notes(run: ClassResult, student: Student, submission: Submission) -> None:
    """What the summary says about a submission's files: problems, ignored files, and where the
    picked files were found when not at the top of the folder."""
    for _, why in submission.problems.values():
        run.notes.append(Note(student.name, "file", why))
    deeper = sorted({p.shown.rsplit("/", 1)[0] for p in submission.files.values()
                     if "/" in p.shown})
    if deeper:
        run.notes.append(Note(student.name, "file", "files picked in " + ", ".join(
            f"{d}/" for d in deeper)))
    shown = [f"{path} ({why})" for path, why in submission.ignored[:3]]
    more = len(submission.ignored) - len(shown)
    if shown:
        run.notes.append(Note(student.name, "file", "ignored: " + "; ".join(shown)
                              + (f"; {more} more in the report" if more > 0 else "")))


def _write_missing_formats(run: ClassResult, out: Path, reused: list[Student],
                           formats: list[str]) -> None:
    """For students whose report was reused: each requested per-student format that is missing
    or older than the report (those graded in this run got theirs with their report)."""
    for student in reused:
        report = run.reports[student.name]
        files = {path: text for path, text in format_files(
            out, student.key, student.name, report.results, formats).items()
            if _older(path, out / f"{student.key}.json")}
        if files:
            write_or_note(run, student.name, lambda f=files: write_all(f))


def _older(path: Path, than: Path) -> bool:
    """True if `path` is missing or older than `than`."""
    try:
        return path.lstat().st_mtime_ns < than.lstat().st_mtime_ns
    except FileNotFoundError:
        return True


def _name_stale(run: ClassResult, out: Path, everyone: list[Student], mine: list[Student]
                ) -> None:
    """Outputs in `out` this run did not produce and that no longer match a submission."""
    owner = {s.key: s for s in everyone}
    graded = {s.key for s in mine}
    for path in sorted(out.iterdir()):
        name = path.name
        suffix = next((s for s in (*FORMAT_SUFFIXES, ".json") if name.endswith(s)), None)
        if suffix is None or name.startswith("."):
            continue
        key = name[: -len(suffix)]
        if key not in owner:
            run.notes.append(Note("", "stale", f"{name}: no student folder has this name any "
                                               "more"))
        elif key not in graded:
            run.notes.append(Note(owner[key].name, "stale", f"{name}: this student belongs "
                                                            "to another shard"))
        elif suffix != ".json" and _older(path, out / f"{key}.json"):
            fmt = next(f for f, ext in STUDENT_FILES.items() if name.endswith(f".{ext}"))
            run.notes.append(Note(owner[key].name, "stale", f"{name} is older than the "
                                  f"student's report: add --format {fmt} to rewrite it"))
