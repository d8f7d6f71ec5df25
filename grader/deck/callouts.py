"""Obsidian callouts found in a markdown-it token tree.

A callout is a blockquote whose first paragraph starts with `[!type]`. Types are case-insensitive
and fold Obsidian's aliases into families; unknown types behave as `note`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.token import Token

FAMILIES: dict[str, tuple[str, ...]] = {
    "note": ("note",),
    "abstract": ("abstract", "summary", "tldr"),
    "info": ("info",),
    "todo": ("todo",),
    "hint": ("tip", "hint", "important"),
    "success": ("success", "check", "done"),
    "question": ("question", "help", "faq"),
    "warning": ("warning", "caution", "attention"),
    "failure": ("failure", "fail", "missing"),
    "danger": ("danger", "error"),
    "bug": ("bug",),
    "example": ("example",),
    "quote": ("quote", "cite"),
}
ALIASES = {alias: family for family, names in FAMILIES.items() for alias in names}

# Applied to the first line of a blockquote's first paragraph only, never to the whole note.
HEADER = re.compile(
    r"^\[!(?P<type>[^\]|]*)(?:\|(?P<meta>[^\]]*))?\](?P<fold>[+-]?)[ \t]*(?P<title>.*)$"
)
QUOTE_MARKER = re.compile(r"^[ ]{0,3}>[ ]?")


@dataclass
class Callout:
    """One callout: its type, family, title, body (Markdown without `>`) and place."""

    type: str
    family: str
    title: str
    body: str
    meta: str | None
    fold: str
    line: int  # 1-based line of the `[!type]` header
    depth: int
    parent: Callout | None = field(default=None, repr=False)
    children: list[Callout] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "body": self.body}


def _strip_quote(line: str, levels: int) -> str:
    """Remove up to `levels` blockquote markers; lazy continuation lines have none to remove."""
    for _ in range(levels):
        stripped = QUOTE_MARKER.sub("", line, count=1)
        if stripped == line:
            break
        line = stripped
    return line


def find_callouts(tokens: list[Token], lines: list[str]) -> list[Callout]:
    """All callouts in document order; nesting is kept in `parent`/`children`."""
    found: list[Callout] = []
    stack: list[Callout | None] = []  # one entry per open blockquote; None if not a callout
    for i, tok in enumerate(tokens):
        if tok.type == "blockquote_open":
            callout = _callout_at(tokens, i, lines, stack)
            stack.append(callout)
            if callout is not None:
                found.append(callout)
        elif tok.type == "blockquote_close":
            stack.pop()
    return found


def _callout_at(
    tokens: list[Token], i: int, lines: list[str], stack: list[Callout | None]
) -> Callout | None:
    first, inline = (tokens[i + 1], tokens[i + 2]) if i + 2 < len(tokens) else (None, None)
    if first is None or first.type != "paragraph_open" or inline is None or inline.type != "inline":
        return None
    header = HEADER.match(inline.content.split("\n", 1)[0])
    if header is None:
        return None
    start, end = tokens[i].map or (0, 0)
    first_line = (first.map or (start, end))[0]
    # The body is every source line of the blockquote after the header, one `>` level removed.
    depth = len(stack)  # blockquotes around this one, callouts or not
    body_lines = [_strip_quote(line, depth + 1) for line in lines[first_line + 1 : end]]
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    written = header["type"].strip()
    family = ALIASES.get(written.lower(), "note")
    parent = next((c for c in reversed(stack) if c is not None), None)
    callout = Callout(
        type=written.lower(),
        family=family,
        title=header["title"].strip() or written.capitalize(),
        body="\n".join(body_lines),
        meta=header["meta"].strip() if header["meta"] is not None else None,
        fold=header["fold"],
        line=first_line + 1,
        depth=depth,
        parent=parent,
    )
    if parent is not None:
        parent.children.append(callout)
    return callout


def pair_questions(callouts: list[Callout]) -> list[tuple[Callout, Callout | None]]:
    """Each question with its answer: the first success nested inside it, else the first success
    sibling after it and before the next question sibling."""
    pairs: list[tuple[Callout, Callout | None]] = []
    claimed: set[int] = set()
    for index, question in enumerate(callouts):
        if question.family != "question":
            continue
        answer = next(
            (c for c in _descendants(question) if c.family == "success" and id(c) not in claimed),
            None,
        )
        if answer is None:
            for later in callouts[index + 1 :]:
                if later.parent is not question.parent:
                    continue
                if later.family == "question":
                    break
                if later.family == "success" and id(later) not in claimed:
                    answer = later
                    break
        if answer is not None:
            claimed.add(id(answer))
        pairs.append((question, answer))
    return pairs


def _descendants(callout: Callout) -> list[Callout]:
    out: list[Callout] = []
    for child in callout.children:
        out.append(child)
        out.extend(_descendants(child))
    return out
