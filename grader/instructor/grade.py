"""`grader grade`: grade a class of submissions in isolation and in parallel.

Each of `--jobs` processes runs one pytest session (every checks module collected once) and
takes the next student whenever it is free; a student is graded on every exercise in turn, each
exercise in a worker process of its own. Every student's full feedback is written, signed, to
`OUT/<key>.json` as soon as they are graded, so an interrupted run resumes where it stopped: a
report is reused only if the grader signed it, for this student, this submission (content hash)
and these checks; anything else is re-graded and named. `--shard K/N` takes a stable slice of
the class (grader.instructor.merge joins the shards). See docs/grading.md.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
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
from grader.results import ExerciseResult, exercise_from_dict

# What a grading process is given: the deck's root, a private checks folder or None, each
# student's file (or None, with the problem's kind and message) per exercise, and the seed.
Plans = dict[str, dict[str, tuple[str | None, str, str]]]


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


def grade_students(root: str, checks: str | None, plans: Plans, seed: int,
                   keys: Iterable[str], done: Callable[[str, list[dict]], None]) -> None:
    """Grade the students `keys` gives (taken one at a time, whenever the last one is done) on
    every exercise, in one pytest session; hand each one's results (plain dicts) to `done` as
    soon as they are graded."""
    from grader.checkapi.runner import run_cards

    project = Project(Path(root), Path(checks) if checks else None)
    cards = [(card, project.checks_file(card)) for card in project.cards]
    if not cards:  # a deck without cards: every student's report lists no exercise
        for key in keys:
            done(key, [])
        return

    def runs() -> Iterator[Run]:
        for key in keys:
            for card, checks_file in cards:
                path, kind, missing = plans[key][card.number]
                yield Run(Path(path) if path else None, seed=seed, label=key, missing=missing,
                          missing_kind=kind, checks=checks_file, owner=key)

    graded: list[dict] = []

    def finish(run: Run, result: ExerciseResult) -> None:
        graded.append(result.to_dict())
        if len(graded) == len(cards):
            done(run.label, graded.copy())
            graded.clear()

    run_cards(cards, runs(), finish)


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

    def graded(student: Student, exercises: list[dict]) -> None:
        submission = found[student.key]
        report = _graded_report(student, submission, graded_with, exercises)
        run.reports[student.name] = report
        text = signed_report(student, submission, graded_with, report.results, key)
        write_or_note(run, student.name, lambda: write_student_outputs(
            out, student.key, student.name, report.results, formats or [], text))
        if progress:
            progress(len(run.reports), len(students))

    _grade(project, todo, found, jobs, seed, graded)
    # The class's files list students in the roster's order, whatever order they were graded in
    # (processes finish in any order) and whether a report was reused or graded now.
    run.reports = {s.name: run.reports[s.name] for s in students if s.name in run.reports}
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
           seed: int, graded: Callable[[Student, list[dict]], None]) -> None:
    """Grade `students` in `jobs` processes; hand each one's results to `graded` as they come."""
    by_key = {s.key: s for s in students}
    plans = {s.key: {n: (str(found[s.key].files[n].path) if n in found[s.key].files else None,
                         *found[s.key].problem(n)) for n in (c.number for c in project.cards)}
             for s in students}
    checks = str(project.checks_override) if project.checks_override else None
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(plans) <= 1:
        grade_students(str(project.root), checks, plans, seed, list(plans),
                       lambda key, exercises: graded(by_key[key], exercises))
        return
    for key, exercises in _in_processes(str(project.root), checks, plans, seed, jobs):
        graded(by_key[key], exercises)


def _in_processes(root: str, checks: str | None, plans: Plans, seed: int, jobs: int
                  ) -> Iterator[tuple[str, list[dict]]]:
    """`grade_students` in `jobs` forked processes that share one queue of students (each
    takes the next when it is free); each student's results as soon as they come."""
    context = get_context("fork")
    taken = context.Value("i", 0)  # how many students the processes have taken
    keys = list(plans)
    readers: dict[Connection, BaseProcess] = {}
    try:
        for _ in range(min(jobs, len(keys))):
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_serve, args=(root, checks, plans, seed, keys,
                                                           taken, writer))
            process.start()
            writer.close()
            readers[reader] = process
        failure: BaseException | None = None
        while readers:
            for reader in wait(list(readers)):
                try:
                    message = reader.recv()
                except EOFError:  # the process is done (or died: its exit code says)
                    process = readers.pop(reader)
                    process.join()
                    if process.exitcode and failure is None:
                        failure = GraderError(f"a grading process ended with exit code "
                                              f"{process.exitcode}; run again to grade the "
                                              "students it had not finished")
                    continue
                if isinstance(message, BaseException):
                    failure = failure or message
                    with taken.get_lock():  # the others finish their student and stop
                        taken.value = len(keys)
                else:
                    yield message
        if failure is not None:
            raise failure
    finally:
        for process in readers.values():
            process.terminate()
            process.join()


def _serve(root: str, checks: str | None, plans: Plans, seed: int, keys: list[str],
           taken: Synchronized, results: Connection) -> None:
    """A grading process: students from the shared queue, each one's results sent back as soon
    as they are graded; an error is sent back to be raised in the grader."""
    def queue() -> Iterator[str]:
        while True:
            with taken.get_lock():
                index = taken.value
                taken.value += 1
            if index >= len(keys):
                return
            yield keys[index]

    try:
        grade_students(root, checks, plans, seed, queue(),
                       lambda key, exercises: results.send((key, exercises)))
    except BaseException as error:  # every error is the grader's to report, in the grader
        results.send(error)
    finally:
        results.close()


def _within(path: Path, folder: Path) -> bool:
    inner, outer = path.resolve(), folder.resolve()
    return inner == outer or outer in inner.parents


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
