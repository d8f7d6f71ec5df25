"""`grader inspect`'s tree shows author text exactly as written: no markup, no terminal escapes."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from test_parser import inspect

from grader.deck.note import parse_note
from grader.views.note_tree import note_tree

HOSTILE = """\
---
title: "[bold red]not styled[/]"
tags: ["[/]"]
---
> [!question] Why is [b]this[/b] not bold?
> Because [link=https://example.com]titles[/link] are text.

> [!success] [/]
> ok

> [!/] a slash for a type

> [!foo] an unknown type

> [!tip] escape \x1b[31mred\x1b[0m and a bell \x07
"""


def render(text: str) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None, force_terminal=False).print(
        note_tree(parse_note(text, "notes/[x].md"))
    )
    return buffer.getvalue()


def test_markup_in_author_text_is_shown_as_written():
    out = render(HOSTILE)
    assert "notes/[x].md" in out
    assert "title: '[bold red]not styled[/]'" in out
    assert "tags: ['[/]']" in out
    assert "Q1 Why is [b]this[/b] not bold?  (line 5)" in out
    assert "Because [link=https://example.com]titles[/link] are text." in out
    assert "A [/]  (line 8)" in out


def test_every_callout_type_is_shown():
    out = render(HOSTILE)
    assert "[/] a slash for a type  (line 11)" in out
    assert "[foo] an unknown type  (line 13)" in out


def test_control_characters_are_shown_not_sent():
    out = render(HOSTILE)
    assert "\x1b" not in out and "\x07" not in out
    assert "escape \\x1b[31mred\\x1b[0m and a bell \\x07  (line 15)" in out


def test_inspect_text_with_hostile_note(tmp_path: Path):
    result = inspect(tmp_path / "hostile.md", HOSTILE)
    assert result.returncode == 0, result.stderr
    assert "[/] a slash for a type" in result.stdout
    assert "\x1b" not in result.stdout
