"""`grader build`: cards in, deterministic exercise stubs and reference solutions out.

An exercise file the learner has changed is never overwritten: `exercises/.manifest.json` records
the hash of what the build last wrote there, and a file whose hash differs is the learner's work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.files import sha256, write_all


def render_exercise(card: Card) -> str:
    """The stub a learner edits: the question as a comment header, then the stub code."""
    header = [
        f"Exercise {card.number} · {card.title}",
        "",
        *card.statement().split("\n"),
        "",
        f"Check your work with `grader check {card.number}`; "
        f"ask for a hint with `grader hint {card.number}`.",
        f"Generated from cards/{card.path.name} by `grader build`. Edit the code below.",
    ]
    return _comment(header) + "\n" + card.stub


def exercise_text(card: Card, notebook: bool) -> str:
    """What the build writes as the learner's file: a notebook, or the commented `.py` stub."""
    if notebook:
        from grader.notebooks.build import render_notebook

        return render_notebook(card)
    return render_exercise(card)


def render_solution(card: Card) -> str:
    header = [
        f"Reference solution for exercise {card.number} · {card.title}",
        f"Generated from cards/{card.path.name} by `grader build`: edit the card, not this file.",
    ]
    return _comment(header) + "\n" + card.solution


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


@dataclass
class BuildPlan:
    """What the cards produce, keyed by target path."""

    exercises: dict[Path, str]
    solutions: dict[Path, str]

    def manifest_text(self) -> str:
        hashes = {path.name: sha256(text) for path, text in sorted(self.exercises.items())}
        return json.dumps(hashes, indent=2, sort_keys=True) + "\n"


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # learner's work, left alone


def plan(project: Project, cards: list[Card] | None = None, notebooks: bool | None = None
         ) -> BuildPlan:
    """What the cards produce; exercises as notebooks when `notebooks` (by default: as the last
    build wrote them)."""
    notebooks = project.notebooks if notebooks is None else notebooks
    if cards is None:
        cards = project.cards  # parses every card: any error aborts before anything is written
    if not cards:
        raise GraderError("the deck has no cards: add cards/NN-slug.md (see `grader new`)",
                          project.cards_dir)
    return BuildPlan(
        exercises={project.exercise_file(c, notebooks): exercise_text(c, notebooks)
                   for c in cards},
        solutions={project.solution_file(c): render_solution(c) for c in cards},
    )


def read_manifest(project: Project) -> dict[str, str]:
    path = project.manifest_file
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def learner_changed(path: Path, manifest: dict[str, str], generated: str) -> bool:
    """True when `path` holds something other than what a build wrote there."""
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError):
        return True
    return current != generated and sha256(current) != manifest.get(path.name)


def build(project: Project, force: bool = False, notebooks: bool | None = None) -> BuildReport:
    target = plan(project, notebooks=notebooks)
    manifest = read_manifest(project)
    report = BuildReport()
    to_write: dict[Path, str] = {}
    new_manifest = json.loads(target.manifest_text())
    for path, text in sorted(target.exercises.items()):
        if _same(path, text):
            report.unchanged.append(path)
        elif not force and learner_changed(path, manifest, text):
            report.kept.append(path)
            new_manifest[path.name] = manifest.get(path.name, "")
        else:
            to_write[path] = text
    for path, text in sorted(target.solutions.items()):
        if _same(path, text):
            report.unchanged.append(path)
        else:
            to_write[path] = text
    manifest_path = project.manifest_file
    manifest_text = json.dumps(new_manifest, indent=2, sort_keys=True) + "\n"
    if not _same(manifest_path, manifest_text):
        to_write[manifest_path] = manifest_text
    write_all(to_write)
    report.written = [p for p in to_write if p != manifest_path]
    return report


def stale(project: Project, cards: list[Card] | None = None, notebooks: bool | None = None
          ) -> list[Path]:
    """Files that differ from what the cards produce (`grader build --check`); with `cards`,
    only theirs (the manifest is then not compared)."""
    target = plan(project, cards, notebooks)
    expected = {**target.exercises, **target.solutions}
    if cards is None:
        expected[project.manifest_file] = target.manifest_text()
    return [path for path, text in sorted(expected.items()) if not _same(path, text)]


def _same(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False
