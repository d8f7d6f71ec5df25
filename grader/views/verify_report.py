"""`grader verify`'s report: build freshness, then per card the solution and right-variant
trials, the stub and the known mistakes (each at several seeds, with the smallest margin of its
rejection), and with `--power` every statistical expectation against its nearest mistake."""

from __future__ import annotations

import math
import time

from rich.table import Table
from rich.text import Text

from grader.deck.build import stale
from grader.deck.card import Card
from grader.deck.project import Project
from grader.instructor.verify import MISTAKE_SEEDS, POWER_LIMIT, CardVerdict, verify_card
from grader.views.console import out


def run_verify(project: Project, cards: list[Card], trials: int, whole_deck: bool,
               mistake_seeds: int = MISTAKE_SEEDS, power: bool = False) -> int:
    console = out()
    started = time.perf_counter()
    stale_files = stale(project, None if whole_deck else cards)
    ok = not stale_files
    for path in stale_files:
        console.print(Text(f"✗ stale: {path.relative_to(project.root)} (run `grader build`)",
                           style="red"))
    seeds = max(1, min(trials, mistake_seeds))
    table = Table(title=f"grader verify · {trials} trials per solution and variant · {seeds} "
                  "seeds per mistake", title_justify="left")
    for column in ("#", "exercise", "solution trials", "variant trials", "stub fails",
                   "mistakes rejected and named", "s"):
        table.add_column(column)
    verdicts: list[CardVerdict] = []
    for card in cards:
        t0 = time.perf_counter()
        with console.status(f"verifying {card.number} {card.slug}…"):
            verdict = verify_card(project, card, trials, mistake_seeds=mistake_seeds,
                                  power=power)
        verdicts.append(verdict)
        ok = ok and verdict.ok
        variant_trials = trials * len(verdict.variants)
        variants_passed = sum(v.passed for v in verdict.variants)
        caught = sum(m.ok for m in verdict.mistakes)
        table.add_row(
            card.number, card.slug,
            _cell(f"{verdict.trials_passed}/{trials}", verdict.trials_passed == trials),
            _cell(f"{variants_passed}/{variant_trials} ({len(verdict.variants)} variants)",
                  variants_passed == variant_trials),
            _cell("yes" if verdict.stub_fails else "NO", verdict.stub_fails),
            _cell(f"{caught}/{len(verdict.mistakes)}", caught == len(verdict.mistakes)),
            f"{time.perf_counter() - t0:.1f}",
        )
    console.print(table)
    console.print(_margins(verdicts, seeds))
    if power:
        console.print(_power(verdicts))
    for verdict in verdicts:
        _details(verdict)
    passed = sum(v.trials_passed + sum(x.passed for x in v.variants) for v in verdicts)
    runs = sum(trials * (1 + len(v.variants)) for v in verdicts)
    mistakes = sum(len(v.mistakes) for v in verdicts)
    caught = sum(m.ok for v in verdicts for m in v.mistakes)
    flagged = sum(row.flagged for v in verdicts for row in v.power)
    power_text = (f", {flagged} expectations with a miss probability above {POWER_LIMIT:g}"
                  if power else "")
    console.print(Text(
        f"{'OK' if ok else 'FAILED'}: {passed}/{runs} solution and variant trials passed, "
        f"{sum(v.stub_fails for v in verdicts)}/{len(verdicts)} stubs fail, "
        f"{caught}/{mistakes} mistakes rejected and named at {seeds} seeds each{power_text} "
        f"({time.perf_counter() - started:.1f} s)", style="bold green" if ok else "bold red"))
    return 0 if ok else 1


def _cell(text: str, good: bool) -> Text:
    return Text(text, style="green" if good else "bold red")


def margin_text(margin: float) -> str:
    """`exact` for a rejection no statistic decided, else `3.2x` the tolerance."""
    return "exact" if math.isinf(margin) else f"{margin:.1f}x"


def _margins(verdicts: list[CardVerdict], seeds: int) -> Table:
    table = Table(title="known mistakes: the smallest margin of rejection over the seeds (the "
                  "statistic's distance from the expected value, in tolerances; exact: no "
                  "statistic decided)", title_justify="left")
    for column in ("#", "mistake", "rejected", "named", "margin"):
        table.add_column(column)
    for verdict in verdicts:
        for m in verdict.mistakes:
            table.add_row(verdict.card.number, m.mistake.name,
                          _cell(f"{m.rejected}/{m.seeds}", m.rejected == m.seeds),
                          _cell(f"{m.named}/{m.seeds}", m.named == m.seeds),
                          _cell(margin_text(m.margin), m.margin > 1))
    return table


def _power(verdicts: list[CardVerdict]) -> Table:
    table = Table(title=f"power: each statistical expectation against its nearest known mistake "
                  f"(a miss probability above {POWER_LIMIT:g} fails)", title_justify="left")
    for column in ("#", "check", "expectation", "n", "expected", "tolerance", "nearest mistake",
                   "its value", "miss"):
        table.add_column(column)
    for verdict in verdicts:
        for row in verdict.power:
            m = row.measurement
            table.add_row(
                verdict.card.number, row.check, f"{m.kind} of {m.what}", str(m.n),
                f"{m.expected:.4g}", f"±{m.tolerance:.3g}", row.nearest or "—",
                "" if math.isnan(row.value) else f"{row.value:.4g}",
                _cell(f"{row.miss:.1e}" if row.nearest else "—", not row.flagged))
    return table


def _details(verdict: CardVerdict) -> None:
    console = out()
    head = f"{verdict.card.number} {verdict.card.slug}"
    for problem in verdict.problems:
        console.print(Text(f"✗ {head}: {problem}", style="red"))
    failures = [("the reference solution", r) for r in verdict.failed_trials[:3]]
    failures += [(f"right variant '{v.variant.name}'", r) for v in verdict.variants
                 for r in v.failed[:3]]
    for who, result in failures:
        for check in result.checks:
            if not check.passed:
                console.print(Text(f"✗ {head}: {who} failed '{check.title}': {check.message}",
                                   style="red"))
    if not verdict.stub_fails:
        console.print(Text(f"✗ {head}: the untouched stub passes every check", style="red"))
    for m in verdict.mistakes:
        if m.rejected < m.seeds:
            console.print(Text(f"✗ {head}: mistake '{m.mistake.name}' passes every check at "
                               f"{m.seeds - m.rejected} of {m.seeds} seeds", style="red"))
        elif m.named < m.seeds:
            console.print(Text(f"✗ {head}: mistake '{m.mistake.name}' is rejected, but at "
                               f"{m.seeds - m.named} of {m.seeds} seeds no message says "
                               f"'{m.mistake.expect}'. Messages:\n{m.messages}", style="red"))
    for row in verdict.power:
        if row.flagged:
            m = row.measurement
            console.print(Text(f"✗ {head}: '{row.check}': the {m.kind} of {m.what} misses "
                               f"'{row.nearest}' with probability {row.miss:.1e} (n = {m.n})",
                               style="red"))
