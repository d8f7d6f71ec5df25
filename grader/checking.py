"""`grader check`: pick the exercises and the learner's files, run the checks, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.checkapi.plugin import DEFAULT_SEED, Run
from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.instructor.submissions import submission_file
from grader.results import NO_FILE, ExerciseResult, total_points
from grader.sandbox.supervisor import Limits, Worker, shared_zygote


def learner_file(project: Project, card: Card, submission: Path | None, solution: bool,
                 selected: int) -> tuple[Path | None, tuple[str, str]]:
    """The file to check for `card`, and when there is none, why (kind, message)."""
    if solution:
        path = project.solution_file(card)
    elif submission is not None:
        return submission_file(card, submission, selected)
    else:
        path = project.exercise_file(card)
    if not path.is_file():
        raise GraderError(f"{path} does not exist: run `grader build` to create it "
                          f"(or `grader reset {card.number}`)")
    return path, (NO_FILE, "")


def check_cards(project: Project, cards: list[Card], submission: Path | None = None,
                solution: bool = False, seed: int = DEFAULT_SEED,
                limits: Limits | None = None, early: Worker | None = None
                ) -> list[ExerciseResult]:
    """Grade each card's learner file; a worker for the first one starts before pytest loads
    (or is handed in as `early`, already starting). The learner's own files (no `submission`,
    not the solutions) get only the checks visible to them; the rest are counted in `withheld`."""
    from grader.checkapi.runner import run_checks

    limits = limits or Limits()
    files = [learner_file(project, c, submission, solution, len(cards)) for c in cards]
    for card in cards:
        if not project.checks_file(card).is_file():
            raise GraderError(f"no checks for exercise {card.number}: expected "
                              f"{project.checks_file(card)}")
    if early is None and files and files[0][0] is not None:
        early = Worker(limits)
    results = []
    for index, (card, (path, (kind, missing))) in enumerate(zip(cards, files, strict=True)):
        worker = early if index == 0 else None
        if worker is None and path is not None:
            worker = Worker(limits, shared_zygote())  # --all: fork, do not start Python again
        run = Run(path, seed=seed, worker=worker, missing=missing or "no file", missing_kind=kind)
        results += run_checks(card, project.checks_file(card), [run], limits,
                              visible_only=submission is None and not solution)
    return results


def results_doc(results: list[ExerciseResult]) -> dict[str, Any]:
    return {
        "version": 1,
        "score": total_points(r.score for r in results),
        "max_score": total_points(r.max_score for r in results),
        "passed": all(r.passed for r in results),
        "exercises": [r.to_dict() for r in results],
    }


def results_json(results: list[ExerciseResult]) -> str:
    return json.dumps(results_doc(results), indent=2, ensure_ascii=False)
