"""The learner's progress in `.grader/progress.json`: per exercise, the hash of the file that was
last checked, its result, and how many hints were shown. Written atomically; a damaged file is set
aside and rebuilt, never a traceback."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.deck.card import Card
from grader.deck.project import Project
from grader.files import atomic_write, sha256
from grader.results import ExerciseResult, format_points

VERSION = 1


@dataclass
class State:
    """What `grader list` shows for one exercise."""

    key: str  # done, failing, not_started, unchecked, missing
    score: float | None = None
    max_score: float | None = None

    @property
    def done(self) -> bool:
        return self.key == "done"

    @property
    def label(self) -> str:
        return {"done": "✓ done", "failing": "✗ failing", "not_started": "○ not started",
                "unchecked": "• changed, not checked", "missing": "? no file"}[self.key]

    @property
    def style(self) -> str:
        return {"done": "green", "failing": "red", "not_started": "yellow",
                "unchecked": "cyan", "missing": "magenta"}[self.key]

    def points_text(self, card: Card) -> str:
        total = self.max_score if self.max_score is not None else card.points
        if total is None:
            return "-"
        score = self.score or 0.0
        return f"{format_points(score)}/{format_points(total)}"


class Progress:
    def __init__(self, project: Project, data: dict[str, Any]):
        self.project = project
        self.path = project.state_dir / "progress.json"
        self.data = data

    @classmethod
    def load(cls, project: Project) -> Progress:
        path = project.state_dir / "progress.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("version") != VERSION \
                    or not isinstance(data.get("exercises"), dict):
                raise ValueError("not a progress file")
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError):
            # Keep the damaged file for inspection and start afresh; results are re-derived.
            try:
                path.replace(path.with_suffix(f".damaged-{int(time.time())}.json"))
            except OSError:
                pass
            data = {"version": VERSION, "exercises": {}}
            progress = cls(project, data)
            progress.save()
            return progress
        data.setdefault("version", VERSION)
        data.setdefault("exercises", {})
        return cls(project, data)

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.data, indent=2, sort_keys=True) + "\n")

    def entry(self, card: Card) -> dict[str, Any]:
        entries = self.data["exercises"]
        value = entries.get(card.number)
        if not isinstance(value, dict):
            value = entries[card.number] = {}
        return value

    def state(self, card: Card) -> State:
        from grader.deck.build import exercise_text

        path = self.project.exercise_file(card)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return State("missing")
        entry = self.entry(card)
        if entry.get("hash") == sha256(text):
            return State(str(entry.get("state", "unchecked")), entry.get("score"),
                         entry.get("max_score"))
        if text == exercise_text(card, path.suffix == ".ipynb"):
            return State("not_started")
        return State("unchecked")

    def record(self, results: list[ExerciseResult]) -> None:
        """Remember each result against the hash of the file that was checked."""
        by_number = {c.number: c for c in self.project.cards}
        for result in results:
            card = by_number.get(result.number)
            if card is None or not result.file:
                continue
            try:
                digest = sha256(Path(result.file).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
            state = "done" if result.passed else "not_started" if result.not_started \
                else "failing"
            self.entry(card).update(hash=digest, state=state, score=result.score,
                                    max_score=result.max_score, checked=int(time.time()))
        self.save()

    def hints_shown(self, card: Card) -> int:
        return int(self.entry(card).get("hints_shown", 0) or 0)

    def set_hints_shown(self, card: Card, count: int) -> None:
        self.entry(card)["hints_shown"] = count
        self.save()



def reset_exercise(project: Project, card: Card) -> Path | None:
    """Put the stub back, after saving the learner's file under `.grader/backups/`."""
    from grader.deck.build import exercise_text

    path = project.exercise_file(card)
    stub = exercise_text(card, path.suffix == ".ipynb")
    backup = None
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current is not None and current != stub:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        backup = project.state_dir / "backups" / f"{path.stem}.{stamp}{path.suffix}"
        counter = 1
        while backup.exists():
            backup = backup.with_name(f"{path.stem}.{stamp}-{counter}{path.suffix}")
            counter += 1
        atomic_write(backup, current)
    atomic_write(path, stub)
    return backup
