"""`grader verify`: the deck's own CI. Every reference solution passes every trial, every untouched
stub fails, and every known mistake is rejected with feedback that names it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grader.checkapi.plugin import DEFAULT_SEED, Run
from grader.checkapi.runner import run_checks
from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.results import ERROR, ExerciseResult


@dataclass
class Mistake:
    name: str
    expect: str
    source: str


@dataclass
class MistakeOutcome:
    mistake: Mistake
    rejected: bool
    named: bool
    messages: str


@dataclass
class CardVerdict:
    card: Card
    trials: int
    trials_passed: int = 0
    failed_trials: list[ExerciseResult] = field(default_factory=list)
    stub_fails: bool = False
    mistakes: list[MistakeOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.problems and self.trials_passed == self.trials and self.stub_fails
                and all(m.rejected and m.named for m in self.mistakes))


def load_mistakes(project: Project, card: Card) -> list[Mistake]:
    path = project.mistakes_file(card)
    if not path.is_file():
        return []
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise GraderError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path,
                          mark.line + 1 if mark else None) from None
    mistakes = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not {"name", "expect", "replace"} <= entry.keys():
            raise GraderError(f"mistake {i} needs `name`, `expect` and `replace`", path)
        source = card.solution
        for edit in entry["replace"]:
            old, new = str(edit["old"]), str(edit["new"])
            count = source.count(old)
            if count != 1:
                raise GraderError(f"mistake {entry['name']!r}: `{old}` occurs {count} times in "
                                  f"the solution of {card.path.name}; it must occur once", path)
            source = source.replace(old, new)
        mistakes.append(Mistake(str(entry["name"]), str(entry["expect"]), source))
    return mistakes


def verify_card(project: Project, card: Card, trials: int, seed: int = DEFAULT_SEED,
                workdir: Path | None = None) -> CardVerdict:
    verdict = CardVerdict(card, trials)
    mistakes = load_mistakes(project, card)
    with tempfile.TemporaryDirectory(prefix="grader-verify-", dir=workdir) as tmp:
        folder = Path(tmp)
        files = {"solution": card.solution, "stub": card.stub}
        files.update({f"mistake{i}": m.source for i, m in enumerate(mistakes)})
        paths = {}
        for key, text in files.items():
            (folder / key).mkdir()
            paths[key] = folder / key / f"{card.module}.py"
            paths[key].write_text(text, encoding="utf-8")
        runs = [Run(paths["solution"], seed=seed + t, label="solution") for t in range(trials)]
        runs.append(Run(paths["stub"], seed=seed, label="stub"))
        runs += [Run(paths[f"mistake{i}"], seed=seed, label=f"mistake{i}")
                 for i in range(len(mistakes))]
        results = run_checks(card, project.checks_file(card), runs)
    for run, result in zip(runs, results, strict=True):
        broken = [c for c in result.checks if c.status == ERROR and "bug in the checks" in
                  c.message]
        for check in broken:
            verdict.problems.append(f"{run.label}: {check.title}: {check.message}")
        if run.label == "solution":
            if result.passed:
                verdict.trials_passed += 1
            else:
                verdict.failed_trials.append(result)
        elif run.label == "stub":
            verdict.stub_fails = not result.passed
        else:
            mistake = mistakes[int(run.label.removeprefix("mistake"))]
            text = "\n".join(c.message for c in result.checks if not c.passed)
            verdict.mistakes.append(MistakeOutcome(
                mistake, rejected=not result.passed,
                named=mistake.expect.lower() in text.lower(), messages=text))
    return verdict
