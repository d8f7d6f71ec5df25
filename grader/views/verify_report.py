"""`grader verify`'s report: build freshness, then per card the solution trials, the stub and the
known mistakes, as a rich table with details for anything that does not hold."""

from __future__ import annotations

import time

from rich.table import Table
from rich.text import Text

from grader.deck.build import stale
from grader.deck.card import Card
from grader.deck.project import Project
from grader.instructor.verify import CardVerdict, verify_card
from grader.views.console import out


def run_verify(project: Project, cards: list[Card], trials: int, whole_deck: bool) -> int:
    console = out()
    started = time.perf_counter()
    stale_files = stale(project, None if whole_deck else cards)
    ok = not stale_files
    for path in stale_files:
        console.print(Text(f"✗ stale: {path.relative_to(project.root)} (run `grader build`)",
                           style="red"))
    table = Table(title=f"grader verify · {trials} trials per solution", title_justify="left")
    for column in ("#", "exercise", "solution trials", "stub fails", "mistakes rejected", "s"):
        table.add_column(column)
    verdicts: list[CardVerdict] = []
    for card in cards:
        t0 = time.perf_counter()
        with console.status(f"verifying {card.number} {card.slug}…"):
            verdict = verify_card(project, card, trials)
        verdicts.append(verdict)
        ok = ok and verdict.ok
        caught = sum(m.rejected and m.named for m in verdict.mistakes)
        table.add_row(
            card.number, card.slug,
            _cell(f"{verdict.trials_passed}/{trials}", verdict.trials_passed == trials),
            _cell("yes" if verdict.stub_fails else "NO", verdict.stub_fails),
            _cell(f"{caught}/{len(verdict.mistakes)}", caught == len(verdict.mistakes)),
            f"{time.perf_counter() - t0:.1f}",
        )
    console.print(table)
    for verdict in verdicts:
        _details(verdict)
    passed_trials = sum(v.trials_passed for v in verdicts)
    mistakes = sum(len(v.mistakes) for v in verdicts)
    caught = sum(m.rejected and m.named for v in verdicts for m in v.mistakes)
    console.print(Text(
        f"{'OK' if ok else 'FAILED'}: {passed_trials}/{trials * len(verdicts)} solution trials "
        f"passed, {sum(v.stub_fails for v in verdicts)}/{len(verdicts)} stubs fail, "
        f"{caught}/{mistakes} mistakes rejected and named "
        f"({time.perf_counter() - started:.1f} s)", style="bold green" if ok else "bold red"))
    return 0 if ok else 1


def _cell(text: str, good: bool) -> Text:
    return Text(text, style="green" if good else "bold red")


def _details(verdict: CardVerdict) -> None:
    console = out()
    head = f"{verdict.card.number} {verdict.card.slug}"
    for problem in verdict.problems:
        console.print(Text(f"✗ {head}: {problem}", style="red"))
    for result in verdict.failed_trials[:3]:
        for check in result.checks:
            if not check.passed:
                console.print(Text(f"✗ {head}: the reference solution failed "
                                   f"'{check.title}': {check.message}", style="red"))
    if not verdict.stub_fails:
        console.print(Text(f"✗ {head}: the untouched stub passes every check", style="red"))
    for m in verdict.mistakes:
        if not m.rejected:
            console.print(Text(f"✗ {head}: mistake '{m.mistake.name}' passes every check",
                               style="red"))
        elif not m.named:
            console.print(Text(f"✗ {head}: mistake '{m.mistake.name}' is rejected, but no "
                               f"message says '{m.mistake.expect}'. Messages:\n"
                               f"{m.messages}", style="red"))
