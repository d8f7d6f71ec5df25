"""Parse time of a 5 MB note holding 100,000 callouts, and how it scales with the note's size.

The note cycles through card shapes seen in vaults (a question and its sibling answer, a nested
hint, a list, a fenced block, a table, `$$` math, a card inside a list item) until it holds
100,000 callouts, which fill 5 MB. The full note and a quarter of it are each parsed `--runs`
times in this one process (one core); medians of wall and CPU time are kept. Target: under 5 s for
the full note, and time linear in size (full / (4 x quarter) near 1).
Run: `python benchmarks/parse_large_note.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.deck.note import parse_note

CALLOUTS = 100_000
SIZE = 5 * 1024 * 1024
# Card shapes seen in vaults, cycled: most are a question and its sibling answer (as in the seed
# note); some nest a hint, hold a list, code, a table or `$$` math, or sit in a list item.
SHAPES = [
    ">[!question] Q{n}: zero init?\n\n>[!success] solution\n>Units stay identical.\n\n",
    "> [!question] Q{n}: fan-in?\n> Keep the variance.\n\n> [!success]- A\n> Scale by 1/n.\n\n",
    "> [!faq] Q{n}\n> > [!hint]- Sum\n> > Variances add.\n\n"
    "> [!check] A\n> ```py\n> w = r(n)\n> ```\n\n",
    "> [!question] Q{n}: which?\n> - LeCun\n> - He\n\n"
    "> [!success] A\n> | a | b |\n> | - | - |\n> | 1 | 2 |\n\n",
    "> [!question] Q{n}: var?\n> $$\n> n v^2\n> $$\n\n> [!done] A\n> One.\n\n",
    "- card {n}\n  > [!question] In a list\n  > Why?\n\n  > [!success] A\n  > Because.\n\n",
]
PER_SHAPE = 2  # callouts in each shape, outside nested hints
HINTS = 1  # nested hints per cycle of shapes


def make_note(callouts: int = CALLOUTS, size: int = SIZE) -> str:
    """`callouts` callouts in vault-like shapes, padded with prose to about `size` characters."""
    parts = ["---\ntitle: Large note\ntags: [benchmark]\n---\n\n"]
    per_cycle = PER_SHAPE * len(SHAPES) + HINTS
    cycles, rest = divmod(callouts, per_cycle)
    for n in range(cycles):
        parts += [shape.format(n=n) for shape in SHAPES]
    parts += [SHAPES[0].format(n=cycles)] * (rest // PER_SHAPE)
    text = "".join(parts)
    line = "Plain prose between the cards, as long notes have: weights, biases, gradients.\n\n"
    return text + line * max(0, (size - len(text)) // len(line))


def median_parse(text: str, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `parse_note(text)` over `runs` runs."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        parse_note(text)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    full = make_note()
    quarter = make_note(CALLOUTS // 4, SIZE // 4)
    note = parse_note(full)
    assert len(note.callouts) == CALLOUTS, len(note.callouts)
    assert all(answer is not None for _, answer in note.qa), "every question has its answer"
    load = os.getloadavg()[0]
    quarter_wall, quarter_cpu = median_parse(quarter, args.runs)
    full_wall, full_cpu = median_parse(full, args.runs)
    print(f"note: {len(full.encode()) / 2**20:.2f} MiB, {len(note.callouts)} callouts, "
          f"{len(note.qa)} pairs; load average before: {load:.2f}")
    print(f"parse, median of {args.runs}: {full_wall:.2f} s wall, {full_cpu:.2f} s CPU "
          f"(target under 5 s); a quarter of the note: {quarter_wall:.2f} s wall, "
          f"{quarter_cpu:.2f} s CPU")
    print(f"scaling: full / (4 x quarter) = {full_cpu / (4 * quarter_cpu):.2f} CPU, "
          f"{full_wall / (4 * quarter_wall):.2f} wall (1.00 is linear)")


if __name__ == "__main__":
    main()
