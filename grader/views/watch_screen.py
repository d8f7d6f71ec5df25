"""The screens of `grader watch`, fitted to the terminal's height: the header and the key line
always show, the exercise's verdict and root cause come next, and whatever else is open (hints,
the list, the explanation) gets the rest of the rows, cropped or scrolled rather than pushing the
verdict off the top."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.deck.card import Card
from grader.progress import State
from grader.views.fitting import Cropped, height, literal

MIN_FEEDBACK = 8  # rows the exercise's panel keeps when something else is open


@dataclass
class Picker:
    """The exercise list opened with `l`: a cursor row and the digits typed so far."""

    cursor: int
    typed: str = ""


def header(card: Card, count: int, progress_bar: RenderableType) -> list[RenderableType]:
    return [Text.assemble(("grader watch", "bold"), f" · exercise {card.number} of {count} · ",
                          literal(card.title)), progress_bar]


def checking(card: Card, path: str) -> Text:
    return Text.assemble("checking exercise ", (card.number, "bold"), " · ", literal(path), " …")


def key_line(passed: bool, manual: bool) -> Text:
    """The keys, on one line at 80 columns; the watched file is the panel's subtitle."""
    keys = ["n next", "p previous", "l list", "h hint"] + (["e explanation"] if passed else []) \
        + ["r re-run", "q quit"]
    mode = "   (manual mode: press r after saving)" if manual else ""
    return Text(" · ".join(keys) + mode, style="dim")


def exercise_list(cards: list[Card], states: list[State], current: int, picker: Picker
                  ) -> RenderableType:
    table = Table(title="Exercises", title_justify="left", padding=(0, 1))
    for column in ("#", "title", "state"):
        table.add_column(column)
    for i, (card, state) in enumerate(zip(cards, states, strict=True)):
        marker = "▶" if i == current else " "
        table.add_row(f"{marker} {card.number}", literal(card.title),
                      Text(state.label, style=state.style),
                      style="reverse" if i == picker.cursor else "")
    typed = f"go to: {picker.typed}_   " if picker.typed else ""
    return Group(table, Text(f"{typed}type a number, or ↑/↓ then Enter; l or Esc closes the list",
                             style="cyan"))


def first_paragraph(markdown: str) -> tuple[str, bool]:
    """The explanation's first paragraph of prose, and whether there is more after it."""
    blocks = [b.strip() for b in markdown.strip().split("\n\n") if b.strip()]
    for i, block in enumerate(blocks):
        if not block.startswith(("#", "```", "|", "<")):
            return block, i + 1 < len(blocks)
    return (blocks[0], len(blocks) > 1) if blocks else ("", False)


def why_it_works(explanation: str, full: bool) -> RenderableType:
    text, more = (explanation, False) if full else first_paragraph(explanation)
    title = "Why it works" + ("" if full or not more else " (in short)")
    parts: list[RenderableType] = [Panel(Markdown(text), title=title, title_align="left",
                                         border_style="green")]
    tail = "Press n for the next exercise."
    if more:
        tail += " Press e for the whole explanation."
    elif full:
        tail += " ↑/↓ scroll, e closes."
    parts.append(Text(tail, style="bold green"))
    return Group(*parts)


def hint_panel(text: str, number: int, count: int) -> Panel:
    return Panel(Markdown(text), title=f"Hint {number} of {count}", title_align="left",
                 border_style="cyan")


def fit(console: Console, head: list[RenderableType],
        feedback: Callable[[int | None], RenderableType], extra: list[RenderableType],
        foot: list[RenderableType], scroll: int = 0, more: str = "") -> tuple[Group, int]:
    """One screen no taller than the terminal, and how many of `extra`'s lines are left below
    it. The exercise's panel (`feedback`, given a line budget) keeps at least MIN_FEEDBACK rows,
    its verdict first; `extra` gets the rest, from its line `scroll` on, and says `more` where it
    is cropped."""
    rows = console.height - 1  # the cursor's line
    budget = max(rows - height(console, Group(*head)) - height(console, Group(*foot)),
                 MIN_FEEDBACK)
    natural = height(console, feedback(None))
    rest = Group(*extra)
    wanted = height(console, rest) if extra else 0
    if natural + wanted <= budget and not scroll:
        return Group(*head, feedback(None), *extra, *foot), 0
    if not extra:
        return Group(*head, feedback(budget), *foot), 0
    lines = min(natural, max(budget - wanted, MIN_FEEDBACK))
    parts = [*head, feedback(None) if lines >= natural else feedback(lines)]
    room = budget - lines
    if room > 0:
        parts.append(Cropped(rest, room, more, start=scroll))
    return Group(*parts, *foot), max(wanted - scroll - room + 1, 0)
