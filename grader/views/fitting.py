"""Text that stays inside its panel: learner text made safe to print, and renderables cropped to
a number of lines (so a verdict at the top of a screen is never scrolled away)."""

from __future__ import annotations

import re

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.text import Text

# Characters a terminal acts on or draws with another width than rich measures: C0 and C1
# controls (escape sequences, backspace, bell), zero-width and bidirectional formatting marks.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
TAB = 4


def literal(text: str, style: str = "") -> Text:
    """The learner's (or a check's) text, shown as written and never read as markup: tabs
    expanded, line ends normalised, every control character written out as `\\x1b`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(TAB)
    return Text(UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                           else f"\\u{ord(m.group()):04x}", text), style=style)


def height(console: Console, renderable: RenderableType, width: int | None = None) -> int:
    """The lines `renderable` takes on `console` (at `width`, default the console's)."""
    options = console.options if width is None else console.options.update_width(width)
    return len(console.render_lines(renderable, options, pad=False))


class Cropped:
    """At most `lines` lines of `inner` (from line `start` on); the last one says how much was
    left out and where to see it all."""

    def __init__(self, inner: RenderableType, lines: int, more: str = "", start: int = 0):
        self.inner = inner
        self.lines = max(lines, 1)
        self.more = more
        self.start = start  # lines scrolled past

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.inner, options, pad=False)
        lines = lines[min(self.start, max(len(lines) - self.lines + 1, 0)):]
        if len(lines) > self.lines:
            left_out = len(lines) - self.lines + 1
            note = Text(f"… {left_out} more lines" + (f": {self.more}" if self.more else ""),
                        style="dim", overflow="ellipsis", no_wrap=True)
            lines = lines[: self.lines - 1] + console.render_lines(note, options, pad=False)
        for line in lines:
            yield from line
            yield Segment.line()
