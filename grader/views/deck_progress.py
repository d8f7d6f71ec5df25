"""How far through the deck the learner is: one bar, shared by `grader list` and `grader watch`."""

from __future__ import annotations

from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text


def progress_bar(done: int, total: int) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_row(ProgressBar(total=max(total, 1), completed=done, width=40),
                 Text(f"{done}/{total} exercises done"))
    return grid
