"""`grader verify`: the deck's own CI. Every reference solution and every right variant passes
every trial seed, every untouched stub fails, and every known mistake is rejected, with feedback
that names it, at each of several seeds. With `power`, every statistical expectation is weighed
against the nearest mistake it is meant to catch."""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from grader.checkapi.measure import miss_probability, statistic_sd
from grader.checkapi.plugin import DEFAULT_SEED, Run
from grader.checkapi.runner import run_checks
from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.results import ERROR, CheckResult, ExerciseResult, Measurement

MISTAKE_SEEDS = 5  # seeds per known mistake (at most `trials`)
POWER_SEEDS = 3  # seeds per known mistake at least, with power: one cannot tell it steady
POWER_LIMIT = 1e-6  # the largest miss probability --power accepts


@dataclass
class Edit:
    """A known mistake (`expect` set) or a right variant (`expect` empty): the reference
    solution with some text replaced."""

    name: str
    source: str
    expect: str = ""


@dataclass
class MistakeOutcome:
    mistake: Edit
    seeds: int = 0
    rejected: int = 0
    named: int = 0
    margin: float = math.inf  # the smallest, over seeds, of how far the rejection was
    messages: str = ""  # the feedback of a seed where it was not rejected or not named

    @property
    def ok(self) -> bool:
        return self.rejected == self.named == self.seeds


@dataclass
class VariantOutcome:
    variant: Edit
    passed: int = 0
    failed: list[ExerciseResult] = field(default_factory=list)


@dataclass
class PowerRow:
    """One statistical expectation against the mistake most likely to slip through it."""

    check: str
    measurement: Measurement
    nearest: str = ""  # "" when no known mistake concerns this expectation
    value: float = math.nan  # the statistic's value under that mistake
    miss: float = 0.0  # the probability that the expectation passes that mistake

    @property
    def flagged(self) -> bool:
        return self.miss > POWER_LIMIT


@dataclass
class CardVerdict:
    card: Card
    trials: int
    trials_passed: int = 0
    failed_trials: list[ExerciseResult] = field(default_factory=list)
    stub_fails: bool = False
    variants: list[VariantOutcome] = field(default_factory=list)
    mistakes: list[MistakeOutcome] = field(default_factory=list)
    power: list[PowerRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (not self.problems and self.trials_passed == self.trials and self.stub_fails
                and all(v.passed == self.trials for v in self.variants)
                and all(m.ok for m in self.mistakes)
                and not any(row.flagged for row in self.power))


def variants_file(project: Project, card: Card) -> Path:
    return project.checks_dir / "variants" / f"{card.module}.yaml"


def load_edits(path: Path, card: Card, mistakes: bool) -> list[Edit]:
    """The entries of a known-mistakes file (`name`, `expect`, `replace`) or of a right-variants
    file (`name`, `replace`), applied to the card's solution. An edit that does not apply is an
    error naming the file and the entry."""
    if not path.is_file():
        return []
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise GraderError(f"invalid YAML: {getattr(exc, 'problem', exc)}", path,
                          mark.line + 1 if mark else None) from None
    noun = "mistake" if mistakes else "variant"
    keys = {"name", "expect", "replace"} if mistakes else {"name", "replace"}
    if not isinstance(entries, list):
        raise GraderError(f"expected a list of {noun}s", path)
    edits = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not keys <= entry.keys() or not isinstance(
                entry["replace"], list) or not entry["replace"]:
            raise GraderError(f"{noun} {i} needs {', '.join(f'`{k}`' for k in sorted(keys))} "
                              "(a list of {old, new})", path)
        source = card.solution
        for edit in entry["replace"]:
            if not isinstance(edit, dict) or not {"old", "new"} <= edit.keys():
                raise GraderError(f"{noun} {entry['name']!r}: every replace needs `old` and "
                                  "`new`", path)
            old, new = str(edit["old"]), str(edit["new"])
            count = source.count(old)
            if count != 1:
                raise GraderError(f"{noun} {entry['name']!r}: `{old}` occurs {count} times in "
                                  f"the solution of {card.path.name}; it must occur once", path)
            source = source.replace(old, new)
        edits.append(Edit(str(entry["name"]), source, str(entry.get("expect", ""))))
    return edits


def verify_card(project: Project, card: Card, trials: int, seed: int = DEFAULT_SEED,
                workdir: Path | None = None, mistake_seeds: int = MISTAKE_SEEDS,
                power: bool = False) -> CardVerdict:
    verdict = CardVerdict(card, trials)
    mistakes = load_edits(project.mistakes_file(card), card, mistakes=True)
    variants = load_edits(variants_file(project, card), card, mistakes=False)
    verdict.variants = [VariantOutcome(v) for v in variants]
    verdict.mistakes = [MistakeOutcome(m) for m in mistakes]
    k = max(1, min(trials, mistake_seeds))
    if power:  # a mistake's statistic is weighed only if steady across seeds (`_steady`)
        k = max(k, POWER_SEEDS)
    with tempfile.TemporaryDirectory(prefix="grader-verify-", dir=workdir) as tmp:
        folder = Path(tmp)
        files = {"solution": card.solution, "stub": card.stub}
        files.update({f"variant{i}": v.source for i, v in enumerate(variants)})
        files.update({f"mistake{i}": m.source for i, m in enumerate(mistakes)})
        paths = {}
        for key, text in files.items():
            (folder / key).mkdir()
            paths[key] = folder / key / f"{card.module}.py"
            paths[key].write_text(text, encoding="utf-8")
        # Runs of one file are consecutive, so that its trials share one worker.
        runs = [Run(paths["solution"], seed=seed + t, label="solution") for t in range(trials)]
        runs.append(Run(paths["stub"], seed=seed, label="stub"))
        for i in range(len(variants)):
            runs += [Run(paths[f"variant{i}"], seed=seed + t, label=f"variant{i}")
                     for t in range(trials)]
        for i in range(len(mistakes)):
            runs += [Run(paths[f"mistake{i}"], seed=seed + t, label=f"mistake{i}")
                     for t in range(k)]
        results = run_checks(card, project.checks_file(card), runs)
    mistake_runs: dict[int, list[ExerciseResult]] = defaultdict(list)
    for run, result in zip(runs, results, strict=True):
        for check in result.checks:
            if check.status == ERROR and "bug in the checks" in check.message:
                verdict.problems.append(f"{run.label} (seed {run.seed}): {check.title}: "
                                        f"{check.message}")
        if run.label == "solution":
            if result.passed:
                verdict.trials_passed += 1
            else:
                verdict.failed_trials.append(result)
        elif run.label == "stub":
            verdict.stub_fails = not result.passed
        elif run.label.startswith("variant"):
            outcome = verdict.variants[int(run.label.removeprefix("variant"))]
            if result.passed:
                outcome.passed += 1
            else:
                outcome.failed.append(result)
        else:
            index = int(run.label.removeprefix("mistake"))
            _score_mistake(verdict.mistakes[index], result)
            mistake_runs[index].append(result)
    if power:
        reference = next(r for run, r in zip(runs, results, strict=True)
                         if run.label == "solution")
        verdict.power = power_rows(reference, {verdict.mistakes[i].mistake.name: found
                                               for i, found in mistake_runs.items()})
    return verdict


def _score_mistake(outcome: MistakeOutcome, result: ExerciseResult) -> None:
    outcome.seeds += 1
    failed = [c for c in result.checks if not c.passed]
    text = "\n".join(c.message for c in failed)
    rejected = not result.passed
    named = rejected and outcome.mistake.expect.lower() in text.lower()
    outcome.rejected += rejected
    outcome.named += named
    outcome.margin = min(outcome.margin, max((_rejection_margin(c) for c in failed),
                                             default=0.0))
    if not named and not outcome.messages:
        outcome.messages = text or "(every check passed)"


def _rejection_margin(check: CheckResult) -> float:
    """How many tolerances the failing statistic was away: the last expectation a failed check
    recorded is the one that failed it, if it failed at all; otherwise the rejection was exact."""
    if check.measurements and check.measurements[-1].ratio > 1:
        return check.measurements[-1].ratio
    return math.inf


def _keyed(result: ExerciseResult) -> dict[tuple[Any, ...], tuple[str, Measurement]]:
    """Every measurement of a run by (check, kind, what, occurrence), to pair runs up."""
    out: dict[tuple[Any, ...], tuple[str, Measurement]] = {}
    for check in result.checks:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        for m in check.measurements:
            seen[m.key] += 1
            out[(check.name, *m.key, seen[m.key])] = (check.title, m)
    return out


def _steady(ms: list[Measurement]) -> bool:
    """The statistic of a mistake varies across seeds about as its model says (within 4 times
    the modelled std): a systematic shift, which the miss probability describes, rather than a
    noisy one that fails this expectation by chance (a repeated row makes a std noisier, not
    wrong) and that other checks are there to catch."""
    if len(ms) < 2:
        return True
    values = [m.statistic for m in ms]
    mean = sum(values) / len(values)
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return spread <= 4 * statistic_sd(ms[0], mean)


def power_rows(reference: ExerciseResult, mistakes: dict[str, list[ExerciseResult]]
               ) -> list[PowerRow]:
    """For each expectation the reference run made: the mistakes it is meant to catch (those its
    check names, and the known mistakes it rejected at every seed with a steady statistic, at
    its mean), and the one it is most likely to miss."""
    observed: dict[tuple[Any, ...], list[tuple[str, float]]] = defaultdict(list)
    for name, results in mistakes.items():
        found: dict[tuple[Any, ...], list[Measurement]] = defaultdict(list)
        for result in results:
            for key, (_, m) in _keyed(result).items():
                found[key].append(m)
        for key, ms in found.items():
            if len(ms) == len(results) and all(m.ratio > 1 for m in ms) and _steady(ms):
                observed[key].append((name, sum(m.statistic for m in ms) / len(ms)))
    rows = []
    for key, (title, m) in _keyed(reference).items():
        row = PowerRow(title, m)
        candidates = [*m.alternatives, *observed.get(key, [])]
        if candidates:
            # the likeliest to slip through; where all are (practically) impossible, the closest
            label, value = max(candidates, key=lambda c: (miss_probability(m, c[1]),
                                                          -abs(c[1] - m.expected)))
            row.nearest, row.value, row.miss = label, value, miss_probability(m, value)
        rows.append(row)
    return rows
