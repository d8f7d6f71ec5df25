"""`grader inspect`: what the parser made of a note, as a rich tree.

Every label is a `rich.text.Text` built from plain strings, never markup: a note's titles, types
(`[!/]`), keys and code are shown exactly as written and cannot break or restyle the view.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.text import Text
from rich.tree import Tree

from grader.deck.callouts import Callout
from grader.deck.note import Note


def note_tree(note: Note) -> Tree:
    tree = Tree(Text(_plain(str(note.path)), style="bold"))
    fm = tree.add(Text("front matter" if note.front_matter else "front matter: none"))
    for key, value in note.front_matter.items():
        fm.add(Text(_plain(f"{key}: {value!r}")))
    qa = tree.add(Text(f"question/answer pairs: {len(note.qa)}"))
    for i, (question, answer) in enumerate(note.qa, 1):
        branch = qa.add(_callout_label((f"Q{i} ", "cyan"), question))
        if question.body:
            branch.add(Text(_preview(question.body), style="dim"))
        if answer is None:
            branch.add(Text("no answer", style="yellow"))
        else:
            ans = branch.add(_callout_label(("A ", "green"), answer))
            ans.add(Text(_preview(answer.body), style="dim"))
    hints = tree.add(Text(f"hints: {len(note.hints)}"))
    for hint in note.hints:
        hints.add(_callout_label(None, hint))
    code = tree.add(Text(f"code blocks: {len(note.code)}"))
    for block in note.code:
        lines = block.code.count("\n")
        code.add(Text.assemble(
            _plain(block.info or "(no info)"), f": {lines} lines  ", (f"(line {block.line})", "dim")
        ))
    others = [c for c in note.callouts if c.family not in ("question", "success", "hint")]
    if others:
        rest = tree.add(Text(f"other callouts: {len(others)}"))
        for c in others:
            rest.add(_callout_label((f"[{_plain(c.type)}] ", ""), c))
    return tree


def _callout_label(prefix: tuple[str, str] | None, callout: Callout) -> Text:
    parts: list[Any] = [prefix] if prefix else []
    parts += [_plain(callout.title), "  ", (f"(line {callout.line})", "dim")]
    return Text.assemble(*parts)


def _plain(text: str) -> str:
    """The text on one line, control characters (terminal escapes included) shown as `\\x1b`."""
    return "".join(
        repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch
        for ch in text.replace("\n", " ")
    )


def _preview(text: str, width: int = 90) -> str:
    flat = _plain(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"
