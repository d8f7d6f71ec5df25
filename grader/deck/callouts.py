"""Obsidian callouts found in a markdown-it token tree.

A callout is a blockquote whose first paragraph starts with `[!type]`. Types are case-insensitive
and fold Obsidian's aliases into families; unknown types behave as `note`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it.rules_block import StateBlock
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


def callout_body(state: StateBlock, begin: int, end: int) -> str:
    """Lines `begin` to `end` of a blockquote as Markdown, read from inside the quote: without the
    `>` marker and whatever container (list item, outer quote) holds it. Called by the block
    parser while the quote's line offsets are in place. Tabs in the indentation become spaces
    (a tab after `>` is partly the marker's space); lazy continuation lines lose their indentation,
    which a paragraph ignores anyway."""
    src = state.src
    out = []
    for line in range(begin, end):
        start = state.bMarks[line]
        text_start = start + state.tShift[line]
        text = src[text_start : state.eMarks[line]]
        if state.sCount[line] < 0:
            out.append(text)
        elif "\t" in src[start:text_start]:
            out.append(" " * state.sCount[line] + text)
        else:
            out.append(src[start : state.eMarks[line]])
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


def find_callouts(tokens: list[Token]) -> list[Callout]:
    """All callouts in document order; nesting is kept in `parent`/`children`."""
    found: list[Callout] = []
    nearest: list[Callout | None] = []  # per open blockquote: the innermost callout around
    for i, tok in enumerate(tokens):
        kind = tok.type
        if kind == "blockquote_open":
            parent = nearest[-1] if nearest else None
            callout = _callout_at(tokens, i, parent, len(nearest))
            nearest.append(callout or parent)
            if callout is not None:
                found.append(callout)
        elif kind == "blockquote_close":
            nearest.pop()
    return found


def _callout_at(tokens: list[Token], i: int, parent: Callout | None, depth: int) -> Callout | None:
    body = tokens[i].meta.get("callout_body")
    if body is None:  # the block parser cuts a body for every quote that opens with `[!`
        return None
    first = tokens[i + 1]  # the paragraph that opens the quote
    header = HEADER.match(first.content.split("\n", 1)[0])
    if header is None:
        return None
    written = header["type"].strip()
    kind = written.lower()
    callout = Callout(
        type=kind,
        family=ALIASES.get(kind, "note"),
        title=header["title"].strip() or written.capitalize(),
        body=body,
        meta=header["meta"].strip() if header["meta"] is not None else None,
        fold=header["fold"],
        line=(first.map or (0, 0))[0] + 1,
        depth=depth,  # blockquotes around this one, callouts or not
        parent=parent,
    )
    if parent is not None:
        parent.children.append(callout)
    return callout


def pair_questions(callouts: list[Callout]) -> list[tuple[Callout, Callout | None]]:
    """Each question with its answer: the first success nested inside it, else the first success
    sibling after it and before the next question sibling; a success already taken is skipped.

    One pass in document order. A success goes to the outermost question around it still without
    an answer (questions claim in document order, and an outer one comes first); failing that, to
    the question sibling waiting before it, whose nested callouts have all been seen by then.
    """
    answers: dict[int, Callout | None] = {}  # id(question) -> answer, in document order
    questions: list[Callout] = []
    waiting: dict[int, Callout] = {}  # id(parent) -> the last question among its children
    for callout in callouts:
        if callout.family == "question":
            questions.append(callout)
            answers[id(callout)] = None
            waiting[id(callout.parent)] = callout
        elif callout.family == "success":
            owner = None
            ancestor = callout.parent
            while ancestor is not None:
                if ancestor.family == "question" and answers[id(ancestor)] is None:
                    owner = ancestor
                ancestor = ancestor.parent
            if owner is None:
                sibling = waiting.get(id(callout.parent))
                if sibling is not None and answers[id(sibling)] is None:
                    owner = sibling
            if owner is not None:
                answers[id(owner)] = callout
    return [(q, answers[id(q)]) for q in questions]
