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
from grader.sandbox.supervisor import Limits, Worker


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
    """Grade each card's learner file, all in one pytest session; the first one's worker starts
    before the session does (or is handed in as `early`, already starting), each next one while
    the checks of the one before run. The learner's own files (no `submission`, not the
    solutions) get only the checks visible to them; the rest are counted in `withheld`."""
    from grader.checkapi.runner import run_cards

    files = [learner_file(project, c, submission, solution, len(cards)) for c in cards]
    runs = [Run(path, seed=seed, worker=early if index == 0 else None,
                missing=missing or "no file", missing_kind=kind, checks=project.checks_file(card),
                owner="learner")
            for index, (card, (path, (kind, missing))) in enumerate(zip(cards, files,
                                                                          strict=True))]
    results: list[ExerciseResult] = []
    run_cards([(card, project.checks_file(card)) for card in cards], runs,
              lambda _, result: results.append(result), limits,
              visible_only=submission is None and not solution, forked=len(cards) > 1,
              spare=False)  # one owner: the first worker serves every file
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
