"""`grader watch`: the learner's loop. Shows the current exercise's feedback, re-checks it on every
save (or on `r` in manual mode) with a spinner until the verdict, and moves only when the learner
asks: `n` next, `p` previous, `l` to pick from the list. Workers are forked from the zygote, and
the next one is forked while the learner edits, so a save costs the checks, not a Python start."""

from __future__ import annotations

import contextlib
import os
import queue
import select
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text

from grader.checking import check_cards
from grader.deck.card import Card
from grader.deck.project import Project
from grader.errors import GraderError
from grader.progress import Progress
from grader.results import ExerciseResult
from grader.sandbox.supervisor import Limits, Worker, shared_zygote
from grader.views import watch_screen as screen
from grader.views.console import out
from grader.views.deck_progress import progress_bar
from grader.views.feedback import exercise_view

SCROLL = 3  # lines per arrow key in the explanation
ESCAPES = {b"[A": "up", b"[B": "down", b"OA": "up", b"OB": "down"}


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


def read_key(fd: int) -> str | None:
    """One key: a lower-case character, or `up`, `down`, `enter`, `esc`; None at end of input."""
    data = os.read(fd, 1)
    if not data:
        return None
    if data in (b"\r", b"\n"):
        return "enter"
    if data != b"\x1b":
        return data.decode("utf-8", "replace").lower()
    rest = b""
    while len(rest) < 2 and select.select([fd], [], [], 0.05)[0]:
        rest += os.read(fd, 1)
    return ESCAPES.get(rest, "esc" if not rest else "")


class Watch:
    def __init__(self, project: Project, manual: bool = False, start: Card | None = None):
        self.project = project
        self.manual = manual
        self.cards = project.cards
        self.progress = Progress.load(project)
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stop = threading.Event()
        self.index = self.cards.index(start) if start is not None else self._first_pending(0)
        self.result: ExerciseResult | None = None
        self.notes: list[RenderableType] = []
        self.problem = ""
        self.picker: screen.Picker | None = None  # the open exercise list
        self.explained = False  # the whole explanation is open
        self.scroll = 0
        self.below = 0  # lines of the open explanation below the screen
        self.spare: Worker | None = None  # forked ahead of the next check

    @property
    def card(self) -> Card:
        return self.cards[self.index]

    @property
    def passed(self) -> bool:
        return self.result is not None and self.result.passed

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
                key = read_key(fd)
            except OSError:
                return
            if key is None:
                return
            if key:
                self.events.put(("key", key))

    def _files(self) -> None:
        from watchfiles import watch

        folder = self.project.exercises_dir
        for changes in watch(folder, debounce=150, step=30, stop_event=self.stop,
                             rust_timeout=500, yield_on_timeout=False):
            for _, path in changes:
                self.events.put(("file", path))

    # -- actions --------------------------------------------------------------------------------

    def check(self) -> None:
        """Check the current exercise, a spinner showing until the verdict."""
        self.notes.clear()
        self.problem = ""
        self.picker, self.explained, self.scroll = None, False, 0
        console = out()
        console.clear()
        console.print(*screen.header(self.card, len(self.cards), self._bar()))
        worker = self.spare if self.spare is not None and self.spare.alive() else \
            Worker(Limits(), shared_zygote())
        self.spare = None
        try:
            with console.status(screen.checking(self.card, self._rel(self._file())),
                                spinner="dots"):
                [self.result] = check_cards(self.project, [self.card], early=worker)
        except GraderError as error:
            self.result, self.problem = None, str(error)
            return
        finally:
            worker.stop()
            self.spare = Worker(Limits(), shared_zygote())  # ready for the next save
        self.progress.record([self.result])

    def draw(self) -> None:
        console = out()
        console.clear()
        head = screen.header(self.card, len(self.cards), self._bar())
        foot = [screen.key_line(self.passed, self.manual)]
        extra: list[RenderableType] = []
        if self.picker is not None:
            states = [self.progress.state(c) for c in self.cards]
            extra.append(screen.exercise_list(self.cards, states, self.index, self.picker))
        elif self.passed and self.card.explanation:
            extra.append(screen.why_it_works(self.card.explanation, self.explained))
        elif self.passed:
            extra.append(Text("Press n for the next exercise.", style="bold green"))
        extra.extend(self.notes)
        if self.problem:
            head.append(Text(self.problem, style="red"))
        shown, self.below = screen.fit(console, head, self._feedback, extra, foot, self.scroll,
                                       "↓ scrolls" if self.explained else "")
        console.print(shown)

    def _feedback(self, lines: int | None) -> RenderableType:
        if self.result is None:
            return Text("")
        solution = self._rel(self.project.solution_file(self.card))
        hint = "Stuck? Press h for the next hint." if self.card.hints else ""
        return exercise_view(self.result, solution, hint=hint, compact=True, max_lines=lines)

    def _bar(self) -> RenderableType:
        done = sum(self.progress.state(c).done for c in self.cards)
        return progress_bar(done, len(self.cards))

    def _file(self) -> Path:
        return self.project.exercise_file(self.card)

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.project.root))
        except ValueError:
            return str(path)

    def hint(self) -> None:
        card = self.card
        shown = self.progress.hints_shown(card)
        if not card.hints:
            self.notes = [Text("This exercise has no hints.", style="yellow")]
            return
        if shown >= len(card.hints):
            self.notes = [Text("No more hints.", style="yellow")]
        else:
            shown += 1
            self.progress.set_hints_shown(card, shown)
            self.notes = []
        self.notes += [screen.hint_panel(text, i, len(card.hints))
                       for i, text in enumerate(card.hints[:shown], 1)]

    def explain(self) -> None:
        if not self.passed:
            self.notes = [Text("The explanation opens once this exercise passes.",
                               style="yellow")]
            return
        self.explained, self.scroll, self.notes = not self.explained, 0, []

    def go(self, index: int) -> None:
        self.index = index % len(self.cards)
        self.picker = None
        self.check()

    def advance(self) -> None:
        if all(self.progress.state(c).done for c in self.cards):
            self.notes = [Text("Every exercise is done. Well done!", style="bold green")]
            return
        self.go(self._first_pending(self.index + 1))

    def pick(self, key: str) -> None:
        """A key while the list is open: digits choose by number, arrows and Enter by row."""
        picker = self.picker
        assert picker is not None
        if key in ("l", "esc"):
            self.picker = None
        elif key in ("up", "down"):
            picker.cursor = (picker.cursor + (1 if key == "down" else -1)) % len(self.cards)
            picker.typed = ""
        elif key == "enter":
            chosen = self._numbered(picker.typed) if picker.typed else picker.cursor
            picker.typed = ""
            if chosen is not None:
                self.go(chosen)
        elif key.isdigit():
            picker.typed += key
            number = int(picker.typed)
            exact = self._numbered(picker.typed)
            longer = [c for c in self.cards if int(c.number) != number
                      and str(int(c.number)).startswith(str(number))]
            if exact is not None and not longer:
                self.go(exact)
            elif exact is None and not longer and picker.typed.strip("0"):
                self.notes = [Text(f"There is no exercise {picker.typed}.", style="yellow")]
                picker.typed = ""
            elif exact is not None:
                picker.cursor = exact

    def _numbered(self, typed: str) -> int | None:
        return next((i for i, c in enumerate(self.cards) if int(c.number) == int(typed)), None)

    # -- the loop -------------------------------------------------------------------------------

    def run(self) -> int:
        fd = sys.stdin.fileno() if sys.stdin is not None else -1
        with cbreak(fd) if fd >= 0 and os.isatty(fd) else contextlib.nullcontext(False):
            if fd >= 0:
                threading.Thread(target=self._keys, args=(fd,), daemon=True).start()
            if not self.manual:
                threading.Thread(target=self._files, daemon=True).start()
            if hasattr(signal, "SIGWINCH"):  # a resized terminal gets a screen that fits it
                signal.signal(signal.SIGWINCH, lambda *_: self.events.put(("resize", "")))
            try:
                self.check()
                self.draw()
                return self._loop()
            except KeyboardInterrupt:
                return 0
            finally:
                self.stop.set()
                if self.spare is not None:
                    self.spare.stop()

    def _loop(self) -> int:
        while True:
            try:
                kind, value = self.events.get(timeout=0.25)
            except queue.Empty:
                continue
            if kind == "file":
                if os.path.abspath(value) != os.path.abspath(self._file()):
                    continue
                self._drain_files()
                self.check()
            elif kind == "resize":
                pass
            elif value == "q":
                return 0
            elif self.picker is not None and value not in ("r", "h", "n", "p"):
                self.pick(value)
            elif not self._key(value):
                continue
            self.draw()

    def _key(self, key: str) -> bool:
        """Act on a key; False for keys that do nothing (no redraw)."""
        if key == "r":
            self.check()
        elif key == "n":
            self.advance()
        elif key == "p":
            self.go(self.index - 1)
        elif key == "h":
            self.picker = None
            self.hint()
        elif key == "e":
            self.explain()
        elif key == "l":
            self.notes = []
            self.picker = screen.Picker(cursor=self.index)
        elif key in ("up", "down") and self.explained:
            step = min(SCROLL, self.below) if key == "down" else -SCROLL
            self.scroll = max(0, self.scroll + step)
        else:
            return False
        return True

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
