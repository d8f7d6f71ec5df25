"""One function per `grader` command: read the arguments, call the module that does the work,
print through rich, return the exit code."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from grader.deck.project import Project, find_project
from grader.errors import GraderError
from grader.views.console import err, out

if TYPE_CHECKING:
    from grader.sandbox.supervisor import Worker


def project_of(args: argparse.Namespace) -> Project:
    """The deck the command line names (`--root`, `--checks`), or the one found from here."""
    checks = getattr(args, "checks", None)
    if args.root is not None:
        if not (args.root / "cards").is_dir():
            raise GraderError(f"no cards/ folder in {args.root}")
        return Project(args.root.resolve(), checks.resolve() if checks else None)
    return find_project(checks=checks.resolve() if checks else None)


def _cards(project: Project, names: list[str], every: bool, own_files: bool):
    """The exercises named, every one with --all, or else (for the learner's own files) the
    first one not done yet."""
    if every:
        return project.cards
    if names:
        return [project.card(name) for name in names]
    if own_files:
        from grader.progress import Progress

        progress = Progress.load(project)
        pending = [c for c in project.cards if not progress.state(c).done]
        if pending:
            err().print(f"checking {pending[0].number} {pending[0].slug}, the first exercise "
                        "not done yet", markup=False)
            return pending[:1]
    raise GraderError("name an exercise (e.g. `grader check 03`) or use --all")


def cmd_build(args: argparse.Namespace) -> int:
    from grader.deck.build import build, stale

    project = project_of(args)
    if args.check:
        files = stale(project, notebooks=args.notebooks)
        for path in files:
            out().print(f"stale: {path.relative_to(project.root)}", markup=False)
        if files:
            out().print(f"{len(files)} generated files differ from the cards: run `grader build`")
            return 1
        out().print(f"up to date: {len(project.cards)} cards")
        return 0
    report = build(project, force=args.force, notebooks=args.notebooks)
    for path in report.written:
        out().print(f"wrote {path.relative_to(project.root)}", markup=False)
    for path in report.kept:
        out().print(f"left alone (you changed it): {path.relative_to(project.root)}; "
                    "`grader build --force` overwrites it", markup=False, style="yellow")
    out().print(f"{len(report.written)} written, {len(report.unchanged)} unchanged, "
                f"{len(report.kept)} left alone")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from grader.deck.note import read_note

    note = read_note(args.note)
    if args.format == "json":
        print(json.dumps(note.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        from grader.views.note_tree import note_tree

        out().print(note_tree(note))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from grader.progress import Progress
    from grader.views.deck_progress import progress_bar

    project = project_of(args)
    progress = Progress.load(project)
    changed = [c for c in project.cards if progress.state(c).key == "unchecked"]
    if changed:
        from grader.checking import check_cards

        # Only files edited since their last check are run again; the rest come from the record.
        with err().status(f"checking {len(changed)} changed exercise(s)…"):
            progress.record(check_cards(project, changed))
    table = Table(title="Exercises", title_justify="left")
    for column in ("#", "title", "state", "points"):
        table.add_column(column, justify="right" if column in ("#", "points") else "left")
    shown = 0
    for card in project.cards:
        state = progress.state(card)
        if (args.pending and state.done) or (args.done and not state.done):
            continue
        shown += 1
        table.add_row(card.number, Text(card.title), Text(state.label, style=state.style),
                      state.points_text(card))
    out().print(table)
    done = sum(progress.state(c).done for c in project.cards)
    out().print(progress_bar(done, len(project.cards)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """The question and the hints revealed so far; the answer only for a finished exercise or
    after the learner confirms (`--yes`), so it is never reached by accident."""
    from grader.progress import Progress

    project = project_of(args)
    card = project.card(args.exercise)
    progress = Progress.load(project)
    if args.solution and not args.yes and not progress.state(card).done \
            and not _confirm(f"Exercise {card.number} is not done yet. Show its answer and "
                             "solution anyway? [y/N] "):
        out().print("Nothing shown. Keep going: `grader hint "
                    f"{card.number}` gives the next hint.", markup=False)
        return 1
    shown = min(progress.hints_shown(card), len(card.hints))
    parts = [f"# {card.number} · {card.title}", card.statement()]
    for i, hint in enumerate(card.hints[:shown], 1):
        parts.append(f"### Hint {i} of {len(card.hints)}\n\n{hint}")
    if shown < len(card.hints):
        parts.append(f"*{len(card.hints) - shown} more hint(s): `grader hint {card.number}` "
                     "shows the next one.*")
    if args.solution:
        parts.append(f"### Answer\n\n{card.explanation}")
        parts.append(f"```python\n{card.solution}```")
    _render_markdown("\n\n".join(parts))
    return 0


def _confirm(question: str) -> bool:
    """Ask on the terminal; no answer (end of input) is no."""
    try:
        answer = input(question)
    except EOFError:
        out().print()
        return False
    return answer.strip().lower() in ("y", "yes")


TEMPLATE = '''---
title: {title}
tags: []
points: 2
---

> [!question] {title}
> Write `double(x)`: return `2 * x` for a number or a numpy array `x`.

> [!hint]- A first hint
> Multiplication works on whole numpy arrays.

> [!success]- Answer
> Explain the idea here: this text is shown once the exercise passes.
>
> ```python solution
> import numpy as np
>
>
> def double(x):
>     """Twice x."""
>     # BEGIN SOLUTION
>     return 2 * np.asarray(x)
>     # END SOLUTION
> ```
'''

CHECKS_TEMPLATE = '''"""Hidden checks for exercise {number}: {title}."""

import numpy as np
import pytest

from grader.checkapi.expect import expect_close


@pytest.mark.points(1)
def test_double(learner, rng):
    """double returns twice its input"""
    x = rng.normal(size=5)
    expect_close(learner.double(x), 2 * x, "double(x)")
'''


def cmd_new(args: argparse.Namespace) -> int:
    from grader.deck.card import parse_card_name
    from grader.files import write_all

    project = project_of(args)
    path = project.cards_dir / f"{args.name.removesuffix('.md')}.md"
    number, slug = parse_card_name(path)
    for card in project.cards:
        if card.number == number:
            raise GraderError(f"exercise number {number} is taken by {card.path.name}", path)
    title = slug.replace("-", " ").capitalize()
    checks = project.own_checks_dir / f"test_{number}_{slug.replace('-', '_')}.py"
    files = {path: TEMPLATE.format(title=title)}
    if not checks.exists():
        files[checks] = CHECKS_TEMPLATE.format(number=number, title=title)
    write_all(files)
    for written in files:
        out().print(f"wrote {written}", markup=False)
    out().print("next: edit the card, then `grader build` and `grader verify "
                f"{number}`", markup=False)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from grader.sandbox.supervisor import Worker, shared_zygote

    if args.all or len(args.exercises) > 1:
        # Several exercises: their workers are forked from the zygote, started now so that it
        # imports numpy while the grader reads the deck and loads pytest (a first worker
        # started from scratch as well would be a second Python and numpy start).
        shared_zygote()
        return _check(args, None)
    early = Worker()  # starts importing numpy while the grader reads the deck and loads pytest
    try:
        return _check(args, early)
    finally:
        early.stop()


def _check(args: argparse.Namespace, early: Worker | None) -> int:
    from grader.checkapi.plugin import DEFAULT_SEED
    from grader.checking import check_cards, results_json

    project = project_of(args)
    own_files = args.submission is None and not args.solution
    cards = _cards(project, args.exercises, args.all, own_files)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    results = check_cards(project, cards, args.submission, args.solution, seed, early=early)
    if args.format == "text":
        from grader.views.feedback import exercise_view, summary_line

        for card, result in zip(cards, results, strict=True):
            solution = project.solution_file(card)
            out().print(exercise_view(result, str(solution.relative_to(project.root))
                                      if solution.is_file() else "", bool(card.hints)))
        if len(results) > 1:
            out().print(summary_line(results))
    elif args.format == "json":
        print(results_json(results))
    else:
        from grader.instructor.reports import render

        print(render(args.format, {"": results}, full_report=str(args.full_report or "")))
    if args.full_report is not None:
        from grader.files import atomic_write

        atomic_write(args.full_report, results_json(results) + "\n")
    if not args.solution and args.submission is None:
        from grader.progress import Progress

        Progress.load(project).record(results)
    return 0 if all(r.passed for r in results) else 1


def _render_markdown(text: str) -> None:
    from rich.markdown import Markdown

    out().print(Markdown(text))


def cmd_hint(args: argparse.Namespace) -> int:
    from grader.progress import Progress

    project = project_of(args)
    card = project.card(args.exercise)
    if not card.hints:
        out().print(f"Exercise {card.number} has no hints. The question again:", markup=False)
        _render_markdown(card.question)
        return 0
    progress = Progress.load(project)
    shown = progress.hints_shown(card)
    if args.all:
        upto = len(card.hints)
    elif shown >= len(card.hints):
        out().print(f"All {len(card.hints)} hints shown already (`grader hint {card.number} "
                    "--all` lists them again).", markup=False)
        return 0
    else:
        upto = shown + 1
    first = 0 if args.all else shown
    for index in range(first, upto):
        _render_markdown(f"### Hint {index + 1} of {len(card.hints)}\n\n{card.hints[index]}")
    progress.set_hints_shown(card, max(shown, upto))
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from grader.progress import reset_exercise

    project = project_of(args)
    card = project.card(args.exercise)
    backup = reset_exercise(project, card)
    path = project.exercise_file(card).relative_to(project.root)
    if backup is None:
        out().print(f"{path} is back to its stub.", markup=False)
    else:
        out().print(f"{path} is back to its stub; your version is saved as "
                    f"{backup.relative_to(project.root)}", markup=False)
    return 0


def cmd_next(args: argparse.Namespace) -> int:
    from grader.progress import Progress

    project = project_of(args)
    progress = Progress.load(project)
    for card in project.cards:
        if not progress.state(card).done:
            path = project.exercise_file(card).relative_to(project.root)
            _render_markdown(f"# {card.number} · {card.title}\n\n{card.statement()}\n\n"
                             f"Edit `{path}`, then run `grader check {card.number}` "
                             "(or `grader watch`).")
            return 0
    out().print("Every exercise is done. Well done!")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    import os
    import shlex
    import subprocess

    project = project_of(args)
    card = project.card(args.exercise)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise GraderError("set $VISUAL or $EDITOR to your editor (e.g. `export EDITOR=nano`), "
                          f"or open {project.exercise_file(card)} yourself")
    try:
        return subprocess.call([*shlex.split(editor), str(project.exercise_file(card))])
    except FileNotFoundError:
        raise GraderError(f"cannot start the editor {editor!r}: check $VISUAL/$EDITOR") from None


def cmd_watch(args: argparse.Namespace) -> int:
    from grader.watch import Watch

    project = project_of(args)
    start = project.card(args.exercise) if args.exercise else None
    return Watch(project, manual=args.manual, start=start).run()
