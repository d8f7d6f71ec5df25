"""Parse any Obsidian note into front matter, question/answer pairs, hints and code blocks.

Blocks come from markdown-it-py's CommonMark parser set up as Obsidian reads notes (blocks.py), so
fenced code, nesting and lazy continuation lines are read as Obsidian reads them. Nothing is
dropped silently: past the nesting limit the parse stops with an error naming the line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.deck.blocks import Refused, markdown
from grader.deck.callouts import Callout, find_callouts, pair_questions
from grader.deck.front_matter import read_front_matter
from grader.errors import GraderError


@dataclass
class CodeBlock:
    """A fenced code block: its language (first word of the info string), full info, text, line."""

    lang: str
    info: str
    code: str
    line: int  # 1-based line of the opening fence
    end: int  # 1-based line of the closing fence (or the last line of the note)

    @property
    def tags(self) -> list[str]:
        return self.info.split()[1:]

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "info": self.info, "line": self.line, "code": self.code}


@dataclass
class Note:
    """What the parser made of one note."""

    path: Path
    front_matter: dict[Any, Any]
    callouts: list[Callout]
    qa: list[tuple[Callout, Callout | None]]
    hints: list[Callout]
    code: list[CodeBlock] = field(default_factory=list)
    front_matter_lines: dict[Any, int] = field(default_factory=dict)  # key -> 1-based line

    def as_dict(self) -> dict[str, Any]:
        return {
            "front_matter": self.front_matter,
            "qa": [
                {"question": q.as_dict(), "answer": a.as_dict() if a else None} for q, a in self.qa
            ],
            "hints": [h.as_dict() for h in self.hints],
            "code": [c.as_dict() for c in self.code],
        }


def read_note(path: Path) -> Note:
    """Read and parse a note file, with errors that name the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise GraderError(f"cannot read the note: {exc.strerror}", path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise GraderError("not UTF-8 text: save the note as UTF-8", path, line) from None
    return parse_note(text, path)


def parse_note(text: str, path: Path | str = "<note>") -> Note:
    """Parse the text of a note."""
    path = Path(path)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    front = read_front_matter(lines, path)
    # The front matter's lines stay as blank lines, so every token's line is the note's line.
    body = "\n" * front.length + "\n".join(lines[front.length :])
    with _no_cycle_collection():
        callouts, code = _blocks(body, path)
        qa = pair_questions(callouts)
    return Note(
        path=path,
        front_matter=front.data,
        callouts=callouts,
        qa=qa,
        hints=[c for c in callouts if c.family == "hint"],
        code=code,
        front_matter_lines=front.lines,
    )


def _blocks(body: str, path: Path) -> tuple[list[Callout], list[CodeBlock]]:
    """The callouts and fenced code blocks of a note's body; its tokens are freed on return."""
    try:
        tokens = markdown().parse(body, {})
    except Refused as exc:
        raise GraderError(exc.message, path, exc.line + 1) from None
    code = [
        CodeBlock(
            lang=(t.info.split() or [""])[0].lower(),
            info=t.info.strip(),
            code=t.content,
            line=(t.map or (0, 0))[0] + 1,
            end=(t.map or (0, 0))[1],
        )
        for t in tokens
        if t.type == "fence"
    ]
    return find_callouts(tokens), code


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: a large note makes hundreds of thousands of tokens
    and line offsets, none in a cycle, and the collector would walk them again and again (half
    the parse time of a 5 MB note). The tokens are freed before it resumes; what the parse keeps
    in cycles (callouts and their parents) is collected afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
