"""markdown-it's block parser, set up to find a note's blocks as Obsidian does, fast and losslessly.

- A paragraph is one `paragraph` token holding its text (markdown-it makes three).
- CommonMark plus the block rules Obsidian adds that move a callout's end: GFM tables (one token
  each, cells unparsed) and `$$` math blocks (docs/cards.md says why each, and why not footnotes
  or `%%` comments).
- Inline Markdown is never parsed: only the blocks matter here.
- Content nested past `NESTING_LIMIT` stops the parse with `Refused` instead of being skipped,
  and so do callouts nested so deep that their bodies would repeat the note `BODY_BUDGET` times.
- Each callout's body is cut while its blockquote's line offsets are in place (`callout_body`).
- Two shortcuts send a line that only the paragraph rule, or only the blockquote rule, can take
  straight to it; the tokens are the same as without them (tests/test_parser_blocks.py compares
  them).
"""

from __future__ import annotations

import bisect
import importlib
import re
from functools import cache
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block import StateBlock
from markdown_it.rules_block.blockquote import blockquote
from markdown_it.rules_block.table import escapedSplit, table
from markdown_it.token import Token

from grader.deck.callouts import callout_body

# markdown-it counts one level per blockquote, two per list item (the list and the item). Its
# CommonMark preset stops at 20 and silently skips the rest of the note; real notes nest lists
# about 10 deep (20 levels), so we allow 100 and stop with an error past it.
NESTING_LIMIT = 100
# A callout's body holds its nested callouts' text, so nesting multiplies the text kept: real
# notes nest callouts two or three deep, a hostile 5 MB note nested 99 deep would keep 500 MB.
BODY_BUDGET = 16  # callout bodies may hold 16 times the note's text (plus a megabyte)

# markdown-it-py 4 ends a table's body once its rows lack this many cells in all; 3.x has no cap.
_CELL_CAP = getattr(importlib.import_module("markdown_it.rules_block.table"),
                    "MAX_AUTOCOMPLETED_CELLS", None)
# First characters with which some block rule other than the paragraph's may start a block.
_OTHER_BLOCK_STARTS = frozenset("$`~>*-_+#<0123456789")
# A reference definition's label: what follows decides whether `[` can start one.
_LABEL = re.compile(r"\[(?:[^\[\]\\\n]|\\.)*([\[\]])")



class Refused(Exception):
    """The parse stops rather than lose content or run away: `message` at `line` (0-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message


class _BlockParser(ParserBlock):
    """Tokenize as markdown-it does, but refuse to skip content nested past the limit, and hand
    each callout's blockquote to `callout_body` before its line offsets are restored."""

    def tokenize(self, state: StateBlock, startLine: int, endLine: int) -> None:
        if state.level >= NESTING_LIMIT:
            line = state.skipEmptyLines(startLine)
            if line < endLine and state.sCount[line] >= state.blkIndent:
                raise Refused(line, f"nested more than {NESTING_LIMIT} levels deep (a `>` counts "
                              "one, a list item two): flatten this part; the parser would "
                              "otherwise lose the rest of the note")
        opener = len(state.tokens) - 1
        is_quote = (
            state.parentType == "blockquote"
            and opener >= 0
            and state.tokens[opener].type == "blockquote_open"
        )
        super().tokenize(state, startLine, endLine)
        if is_quote and opener + 1 < len(state.tokens):
            first = state.tokens[opener + 1]
            if first.type == "paragraph" and first.content.startswith("[!") and first.map:
                body = callout_body(state, first.map[0] + 1, state.line)
                state.tokens[opener].meta["callout_body"] = body
                _spend(state, len(body), startLine)


def _spend(state: StateBlock, chars: int, line: int) -> None:
    left = state.env.get("body_budget", BODY_BUDGET * len(state.src) + 2**20) - chars
    if left < 0:
        raise Refused(line, f"callouts nested so deep that their bodies would hold the note "
                      f"more than {BODY_BUDGET} times over: flatten this part")
    state.env["body_budget"] = left


class _Lines(NamedTuple):
    """Numbers of the note's raw lines of three kinds, built once a parse (in `state.env`)."""

    blank: list[int]
    may_underline: list[int]  # seen from inside any container (which only takes away
    # indentation and `>` markers), may be a setext underline or a table's delimiter row
    ends_math: list[int]  # ends with `$$`


def _lines(state: StateBlock) -> _Lines:
    lines = state.env.get("lines")
    if lines is None:
        raw = state.src.split("\n")
        lines = state.env["lines"] = _Lines(
            [i for i, text in enumerate(raw) if not text.strip()],
            [i for i, text in enumerate(raw) if text.lstrip(" \t>")[:1] in ("=", "-", "|", ":")],
            [i for i, text in enumerate(raw) if text.rstrip().endswith("$$")],
        )
    return lines


def _next_in(table: list[int], after: int) -> int | None:
    at = bisect.bisect_right(table, after)
    return table[at] if at < len(table) else None


def _math_block(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """Obsidian's `$$` display math: from a line starting with `$$` to the next line ending with
    `$$` (the same line if it ends there). Unclosed, it is text. Closing lines are looked up in a
    table, so a note full of unclosed `$$` stays linear."""
    if state.sCount[startLine] - state.blkIndent >= 4:
        return False
    start = state.bMarks[startLine] + state.tShift[startLine]
    if not state.src.startswith("$$", start):
        return False
    if state.src[start + 2 : state.eMarks[startLine]].rstrip().endswith("$$"):
        last = startLine
    else:
        closer = _next_in(_lines(state).ends_math, startLine)
        if closer is None or closer >= endLine:
            return False
        last = closer
    if silent:
        return True
    _leaf(state, "math_block", startLine, last + 1)
    return True


def _table(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """A GFM table, recognised and delimited exactly as markdown-it's table rule does, kept as one
    `table` token: its cells are inline content, never needed here."""
    if not table(state, startLine, endLine, True):
        return False
    if silent:
        return True
    columns = len(_cells(state, startLine))
    terminators = state.md.block.ruler.getRules("blockquote")
    parent, state.parentType = state.parentType, "table"
    missing = 0  # cells short of the header's count, capped by markdown-it
    line = startLine + 2
    while line < endLine and state.sCount[line] >= state.blkIndent:
        if any(rule(state, line, endLine, True) for rule in terminators):
            break
        if state.isEmpty(line) or state.is_code_block(line):
            break
        missing += columns - len(_cells(state, line))
        if _CELL_CAP is not None and missing > _CELL_CAP:
            break
        line += 1
    state.parentType = parent
    _leaf(state, "table", startLine, line)
    return True


def _cells(state: StateBlock, line: int) -> list[str]:
    text = mdTrim(state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]])
    cells = escapedSplit(text)
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _plain_paragraph(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """A paragraph that no other rule could start: the one rule markdown-it would end up with,
    read as its paragraph rule reads it.

    The other rules need a special first character (`_OTHER_BLOCK_STARTS`), an indented line,
    a `[label]:` (reference), or a later line that is a table delimiter row or a setext
    underline; the paragraph ends by the next line that is blank in every container. With no
    delimiter row ahead, only a line starting with one of `_OTHER_BLOCK_STARTS` can end it early,
    so only those lines are put to the rules that may interrupt a paragraph.
    """
    if silent or state.sCount[startLine] - state.blkIndent >= 4:
        return False
    src = state.src
    pos = state.bMarks[startLine] + state.tShift[startLine]
    end = state.eMarks[startLine]
    if pos >= end or src[pos] in _OTHER_BLOCK_STARTS:
        return False
    if src[pos] == "[":
        label = _LABEL.match(src, pos, end)
        if label is None or (label[1] == "]" and src.startswith(":", label.end())):
            return False
    lines = _lines(state)
    blank = _next_in(lines.blank, startLine)
    risky = _next_in(lines.may_underline, startLine)
    if risky is not None and (blank is None or risky <= blank):
        return False
    return _read_paragraph(state, startLine, every_line=False)


def _paragraph(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """markdown-it's paragraph rule, kept as one `paragraph` token (map and content): its
    open/inline/close triple would make a third of a note's tokens for nothing."""
    return _read_paragraph(state, startLine, every_line=True)


def _read_paragraph(state: StateBlock, startLine: int, every_line: bool) -> bool:
    """Read a paragraph as markdown-it does: up to a blank line or a line that a rule able to
    interrupt a paragraph takes; `every_line=False` puts only lines that start with one of
    `_OTHER_BLOCK_STARTS` to those rules (see `_plain_paragraph`)."""
    interrupters = state.md.block.ruler.getRules("paragraph")
    parent, state.parentType = state.parentType, "paragraph"
    src = state.src
    line = startLine + 1
    while line < state.lineMax and not state.isEmpty(line):
        indent = state.sCount[line]
        checked = 0 <= indent <= state.blkIndent + 3 and (  # else lazy or indented: never ends it
            every_line or src[state.bMarks[line] + state.tShift[line]] in _OTHER_BLOCK_STARTS
        )
        if checked and any(rule(state, line, state.lineMax, True) for rule in interrupters):
            break
        line += 1
    state.parentType = parent
    _leaf(state, "paragraph", startLine, line).content = mdTrim(
        state.getLines(startLine, line, state.blkIndent, False)
    )
    return True


def _leaf(state: StateBlock, kind: str, begin: int, end: int) -> Token:
    """Close a block read from line `begin` up to `end`: one `kind` token with that map."""
    state.line = end
    token = state.push(kind, "", 0)
    token.map = [begin, end]
    return token


def _quote(state: StateBlock, startLine: int, endLine: int, silent: bool) -> bool:
    """A blockquote where the rules before markdown-it's blockquote rule cannot match: those need
    an indented line (code), `$$` or a fence marker, or a next line that may be a table's
    delimiter row."""
    if silent or state.sCount[startLine] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[startLine] + state.tShift[startLine]
    if pos >= state.eMarks[startLine] or state.src[pos] != ">":
        return False
    after = startLine + 1
    if after < endLine:
        start = state.bMarks[after] + state.tShift[after]
        if start < state.eMarks[after] and state.src[start] in "|-:":
            return False
    return blockquote(state, startLine, endLine, silent)


def make_markdown() -> MarkdownIt:
    """A new parser instance (see the module's docstring)."""
    md = MarkdownIt("commonmark", {"maxNesting": NESTING_LIMIT})
    blocks = _BlockParser()
    blocks.ruler = md.block.ruler
    md.block = blocks
    md.block.ruler.at("table", _table, {"alt": ["paragraph", "reference"]})  # as markdown-it's
    md.enable("table")
    ends = ["paragraph", "reference", "blockquote", "list"]  # what a `$$` block interrupts
    md.block.ruler.before("fence", "math_block", _math_block, {"alt": ends})
    md.block.ruler.at("paragraph", _paragraph)
    md.block.ruler.before("table", "plain_paragraph", _plain_paragraph)
    md.block.ruler.before("table", "quote", _quote)
    md.disable(["inline", "text_join"])
    return md


markdown = cache(make_markdown)
