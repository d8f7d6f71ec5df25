"""`grader watch`: the learner's loop. Shows the current exercise's feedback, re-checks it on every
save (or on `r` in manual mode), and moves on only when the learner presses `n`."""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from grader.checking import check_cards
from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.progress import Progress
from grader.results import ExerciseResult
from grader.views.console import out
from grader.views.feedback import exercise_view

KEYS = "n next · h hint · l list · r re-run · q quit"


@contextlib.contextmanager
def cbreak(fd: int) -> Iterator[bool]:
    """Keys arrive one at a time without Enter; the terminal is restored whatever happens."""
    try:
        import termios
        import tty

        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        yield False
        return
    try:
        tty.setcbreak(fd)
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


class Watch:
    def __init__(self, project: Project, manual: bool = False):
        self.project = project
        self.manual = manual
        self.cards = project.cards
        self.progress = Progress.load(project)
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stop = threading.Event()
        self.index = self._first_pending(0)
        self.result: ExerciseResult | None = None
        self.notes: list[RenderableType] = []
        self.problem = ""

    @property
    def card(self) -> Card:
        return self.cards[self.index]

    def _first_pending(self, start: int) -> int:
        count = len(self.cards)
        for step in range(count):
            i = (start + step) % count
            if not self.progress.state(self.cards[i]).done:
                return i
        return start % count

    # -- event sources ----------------------------------------------------------------------------

    def _keys(self, fd: int) -> None:
        while not self.stop.is_set():
            try:
                data = os.read(fd, 1)
            except OSError:
                return
            if not data:
                return
            self.events.put(("key", data.decode("utf-8", "replace").lower()))

    def _files(self) -> None:
        from watchfiles import watch

        folder = self.project.exercises_dir
        for changes in watch(folder, debounce=150, step=30, stop_event=self.stop,
                             rust_timeout=500, yield_on_timeout=False):
            for _, path in changes:
                self.events.put(("file", path))

    # -- actions --------------------------------------------------------------------------------

    def check(self) -> None:
        self.notes.clear()
        self.problem = ""
        try:
            [self.result] = check_cards(self.project, [self.card])
        except GraderError as error:
            self.result, self.problem = None, str(error)
            return
        self.progress.record([self.result])

    def draw(self) -> None:
        console = out()
        console.clear()
        done = sum(self.progress.state(c).done for c in self.cards)
        from grader.commands import progress_bar

        parts: list[RenderableType] = [
            Text.assemble(("grader watch", "bold"),
                          f" · exercise {self.card.number} of {len(self.cards)}"),
            progress_bar(done, len(self.cards)),
        ]
        if self.problem:
            parts.append(Text(self.problem, style="red"))
        elif self.result is not None:
            solution = self.project.solution_file(self.card)
            parts.append(exercise_view(self.result, self._rel(solution), bool(self.card.hints)))
            if self.result.passed:
                if self.card.explanation:
                    parts.append(Panel(Markdown(self.card.explanation), title="Why it works",
                                       title_align="left", border_style="green"))
                parts.append(Text("Press n for the next exercise.", style="bold green"))
        parts.extend(self.notes)
        mode = "  (manual mode: press r after saving)" if self.manual else \
            f"  watching {self._rel(self.project.exercise_file(self.card))}"
        parts.append(Text(KEYS + mode, style="dim"))
        console.print(Group(*parts))

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.project.root))
        except ValueError:
            return str(path)

    def hint(self) -> None:
        card = self.card
        shown = self.progress.hints_shown(card)
        if not card.hints:
            self.notes.append(Text("This exercise has no hints.", style="yellow"))
        elif shown >= len(card.hints):
            self.notes.append(Text("No more hints.", style="yellow"))
            for i, text in enumerate(card.hints, 1):
                self.notes.append(Panel(Markdown(text), title=f"Hint {i}", title_align="left"))
        else:
            self.progress.set_hints_shown(card, shown + 1)
            for i, text in enumerate(card.hints[: shown + 1], 1):
                self.notes.append(Panel(Markdown(text), title=f"Hint {i} of {len(card.hints)}",
                                        title_align="left", border_style="cyan"))

    def listing(self) -> None:
        from rich.table import Table

        table = Table(title="Exercises", title_justify="left")
        for column in ("#", "title", "state"):
            table.add_column(column)
        for card in self.cards:
            state = self.progress.state(card)
            marker = "▶ " if card is self.card else ""
            table.add_row(marker + card.number, Text(card.title),
                          Text(state.label, style=state.style))
        self.notes.append(table)

    def advance(self) -> None:
        if all(self.progress.state(c).done for c in self.cards):
            self.notes.append(Text("Every exercise is done. Well done!", style="bold green"))
            return
        self.index = self._first_pending(self.index + 1)
        self.check()

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> int:
        fd = sys.stdin.fileno() if sys.stdin is not None else -1
        with cbreak(fd) if fd >= 0 and os.isatty(fd) else contextlib.nullcontext(False):
            if fd >= 0:
                threading.Thread(target=self._keys, args=(fd,), daemon=True).start()
            if not self.manual:
                threading.Thread(target=self._files, daemon=True).start()
            try:
                self.check()
                self.draw()
                return self._loop()
            except KeyboardInterrupt:
                return 0
            finally:
                self.stop.set()

    def _loop(self) -> int:
        current = str(self.project.exercise_file(self.card))
        while True:
            try:
                kind, value = self.events.get(timeout=0.25)
            except queue.Empty:
                continue
            if kind == "file":
                if os.path.abspath(value) != os.path.abspath(current):
                    continue
                self._drain_files()
                self.check()
            elif value == "q":
                return 0
            elif value == "r":
                self.check()
            elif value == "n":
                self.advance()
            elif value == "h":
                self.hint()
            elif value == "l":
                self.listing()
            else:
                continue
            current = str(self.project.exercise_file(self.card))
            self.draw()

    def _drain_files(self) -> None:
        """A burst of saves is one change: drop file events that queued up meanwhile."""
        kept = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event[0] != "file":
                kept.append(event)
        for event in kept:
            self.events.put(event)
