"""The instructor's commands: verify the deck, grade a class, merge shards, package for
Gradescope, and check the machine's isolation (`grader doctor`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.commands import project_of
from grader.errors import GraderError
from grader.views.console import err, out


def cmd_verify(args: argparse.Namespace) -> int:
    from grader.views.verify_report import run_verify

    project = project_of(args)
    cards = [project.card(n) for n in args.exercises] if args.exercises else project.cards
    if args.trials < 1 or args.mistake_seeds < 1:
        raise GraderError("--trials and --mistake-seeds must be at least 1")
    return run_verify(project, cards, args.trials, whole_deck=not args.exercises,
                      mistake_seeds=args.mistake_seeds, power=args.power)


def cmd_grade(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from grader.checkapi.plugin import DEFAULT_SEED
    from grader.instructor.grade import Shard, grade_class
    from grader.views.batch_notes import class_run

    project = project_of(args)
    shard = Shard.parse(args.shard)
    with Progress("grading", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err(), transient=True) as bar:
        task = bar.add_task("grading", total=None)
        run = grade_class(
            project, args.submissions, args.out, jobs=args.jobs, shard=shard, force=args.force,
            seed=DEFAULT_SEED if args.seed is None else args.seed, formats=args.format,
            key_file=args.key,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out().print(class_run(run, args.sort, _screenful()))
    out().print(f"wrote {args.out / 'gradebook.csv'}, {args.out / 'report.html'}, "
                f"{len(run.reports)} student reports and their feedback in "
                f"{args.out / 'feedback'}", markup=False)
    return 1 if run.failed else 0


def _screenful() -> int:
    """How many student rows the summary shows: a terminal's height, at least 20."""
    return max(20, out().size.height - 5)


def cmd_merge(args: argparse.Namespace) -> int:
    from grader.instructor.merge import merge
    from grader.views.batch_notes import class_run

    run = merge(args.dirs, args.out, key_file=args.key)
    out().print(class_run(run, args.sort, _screenful()))
    out().print(f"wrote {args.out / 'gradebook.csv'} for {len(run.reports)} students",
                markup=False)
    return 1 if run.failed else 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from grader.sandbox.probe import examine
    from grader.views.doctor import doctor_view

    try:
        root: Path | None = project_of(args).root
    except GraderError:
        root = None  # the doctor also runs outside a deck
    report = examine(root)
    out().print(doctor_view(report))
    return 0 if report.ok else 1


def cmd_gradescope(args: argparse.Namespace) -> int:
    from grader.instructor.gradescope_package import build_package

    project = project_of(args)
    files = build_package(project, args.zip)
    out().print(f"wrote {args.zip}: {len(files)} files; upload it as the autograder of a "
                "Gradescope programming assignment (see docs/formats.md)", markup=False)
    return 0
