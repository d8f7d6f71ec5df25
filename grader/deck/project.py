"""Where a deck lives: the project root, its folders, and its cards in order."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from grader.deck.card import Card, load_card, parse_card_name
from grader.errors import GraderError

PACKAGE_CHECKS = Path(__file__).resolve().parents[1] / "checks"
SHIPPED_ROOT = Path(__file__).resolve().parents[2]  # the repository this package lives in
MANIFEST = ".manifest.json"  # in exercises/: what the last build wrote there (see deck/build.py)


@dataclass
class Project:
    """A deck: `cards/` in, `exercises/` and `solutions/` out, hidden checks, `.grader/` state."""

    root: Path
    checks_override: Path | None = None

    @property
    def cards_dir(self) -> Path:
        return self.root / "cards"

    @property
    def exercises_dir(self) -> Path:
        return self.root / "exercises"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions"

    @property
    def state_dir(self) -> Path:
        return self.root / ".grader"

    @property
    def checks_dir(self) -> Path:
        if self.checks_override is not None:
            return self.checks_override
        local = self.root / "checks"
        return local if local.is_dir() else PACKAGE_CHECKS

    @cached_property
    def cards(self) -> list[Card]:
        """Every card, by number. Any broken card or duplicate number is an error."""
        if not self.cards_dir.is_dir():
            raise GraderError(f"no cards/ folder in {self.root}: run grader inside a deck")
        seen: dict[str, Path] = {}
        cards: list[Card] = []
        for path in sorted(self.cards_dir.glob("*.md")):
            number, _ = parse_card_name(path)
            if number in seen:
                raise GraderError(
                    f"exercise number {number} is also used by {seen[number].name}: "
                    "give one of them another number",
                    path,
                )
            seen[number] = path
            cards.append(load_card(path))
        return sorted(cards, key=lambda c: c.number)

    def card(self, name: str) -> Card:
        """The card a learner names as `3`, `03` or `xavier`. A number reads only its own card,
        so one broken card does not stop work on the others."""
        if name.strip().isdigit() and "cards" not in self.__dict__:
            matches = sorted(self.cards_dir.glob(f"{int(name):02d}-*.md"))
            if len(matches) == 1:
                return load_card(matches[0])
        for card in self.cards:
            if card.matches(name):
                return card
        known = ", ".join(f"{c.number} ({c.slug})" for c in self.cards) or "none"
        raise GraderError(f"no exercise called {name!r}; the deck has: {known}")

    @property
    def manifest_file(self) -> Path:
        return self.exercises_dir / MANIFEST

    @property
    def notebooks(self) -> bool:
        """Are the learner's exercise files notebooks? Yes when the last `grader build` wrote
        notebooks (`--notebooks`): the manifest then names `.ipynb` files."""
        try:
            names = json.loads(self.manifest_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(names, dict) and any(str(n).endswith(".ipynb") for n in names)

    def exercise_file(self, card: Card, notebook: bool | None = None) -> Path:
        """The learner's file: `exercises/03_xavier.py`, or `.ipynb` in a notebook deck (or
        as `notebook` says)."""
        notebook = self.notebooks if notebook is None else notebook
        return self.exercises_dir / f"{card.module}{'.ipynb' if notebook else '.py'}"

    def solution_file(self, card: Card) -> Path:
        return self.solutions_dir / f"{card.module}.py"

    @property
    def own_checks_dir(self) -> Path:
        """Where new checks for this deck belong: never inside an installed package, unless this
        deck is the one the package ships with."""
        if self.checks_dir == PACKAGE_CHECKS and self.root != SHIPPED_ROOT:
            return self.root / "checks"
        return self.checks_dir

    def checks_file(self, card: Card) -> Path:
        return self.checks_dir / f"test_{card.module}.py"

    def mistakes_file(self, card: Card) -> Path:
        return self.checks_dir / "mistakes" / f"{card.module}.yaml"


def find_project(start: Path | None = None, checks: Path | None = None) -> Project:
    """The deck to work on: `$GRADER_ROOT`, else the nearest folder upwards holding `cards/`,
    else the deck this package ships with."""
    env = os.environ.get("GRADER_ROOT")
    if env:
        return Project(Path(env).resolve(), checks)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cards").is_dir():
            return Project(folder, checks)
    if (SHIPPED_ROOT / "cards").is_dir():
        return Project(SHIPPED_ROOT, checks)
    raise GraderError(
        f"no deck here: {here} has no cards/ folder above it. Run grader inside a deck "
        "or set GRADER_ROOT"
    )
