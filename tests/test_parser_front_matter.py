"""Front matter as Obsidian reads it, and hostile YAML refused before it is expanded (issue 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_parser import Q, _strip_prog, case, check_case, inspect

from grader.deck.card import card_from_note
from grader.deck.front_matter import MAX_ALIASES, MAX_DEPTH, MAX_VALUES
from grader.deck.note import parse_note
from grader.errors import GraderError


def laughs(levels: int, fan_out: int, base: int) -> str:
    """The "billion laughs" shape: each level lists `fan_out` aliases of the one before."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * base)}]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "---\n" + "\n".join(lines) + "\ntags: [a]\n---\n"


CASES = [
    # --------------------------------------------------- keys matched as Obsidian matches them
    case("---\nTags: [init, '#numpy']\n---\n", "fm-capital-tags-are-tags",
         front_matter={"tags": ["init", "numpy"]}),
    case("---\nTAGS: init, numpy\nTitle: Zero init\nPoints: 3\n---\n",
         "fm-known-keys-any-case",
         front_matter={"tags": ["init", "numpy"], "title": "Zero init", "points": 3}),
    case("---\ntag: init\nCreated: 2024-05-13\n---\n", "fm-singular-tag-and-other-keys-as-written",
         front_matter={"tag": "init", "Created": "2024-05-13"}),
    case('---\n{"tags": ["journal"], "publish": false}\n---\n', "fm-json-properties",
         front_matter={"tags": ["journal"], "publish": False}),
    case("---\nbase: &b 0.5\nstd: *b\n---\n", "fm-a-few-aliases-are-fine",
         front_matter={"base": 0.5, "std": 0.5}),
    # ------------------------------------------------------------------------ duplicate keys
    case("---\ntitle: One\ndate: 2024-05-13\ntitle: Two\n---\n", "fm-duplicate-key",
         error_line=4, error="repeats 'title' of line 2"),
    case("---\ntags: [a]\nTags: [b]\n---\n", "fm-duplicate-key-other-case",
         error_line=3, error="repeats 'tags' of line 2"),
    case("---\nsource:\n  url: x\n  url: y\n---\n", "fm-duplicate-nested-key",
         error_line=4, error="each property may appear once"),
    case("---\nsource:\n  url: x\n  URL: y\n---\n", "fm-nested-keys-keep-their-case",
         front_matter={"source": {"url": "x", "URL": "y"}}),
    # ------------------------------------------------------------------------- `...` closing
    case("---\ntitle: Pandoc style\n...\n\n> [!question] Q\n", "fm-dots-do-not-close",
         error_line=3, error="`...` does not close the front matter"),
    case("---\ntitle: x\n...\nText.\n\n---\n", "fm-dots-before-a-later-rule",
         error_line=3, error="`...` does not close"),
    case("---\n\n...\n", "fm-rule-then-dots-is-body", front_matter={}, qa=[]),
    case("--- \ntitle: trailing spaces\n---  \n> [!faq] Q\n", "fm-delimiters-with-trailing-spaces",
         front_matter={"title": "trailing spaces"}, qa=[Q("Q", "")]),
    case("----\ntitle: x\n----\n", "fm-four-dashes-are-not-front-matter", front_matter={}),
    # ------------------------------------------------------------------------ hostile YAML
    case(laughs(9, 9, 9), "fm-billion-laughs", error_line=3 + MAX_ALIASES // 9,
         error=f"more than {MAX_ALIASES} aliases"),
    case(laughs(4, 4, MAX_VALUES // 200), "fm-few-aliases-huge-expansion",
         error_line=6, error=f"expands to more than {MAX_VALUES} values"),
    case("---\nloop: &a [1, *a]\n---\n", "fm-alias-inside-itself",
         error_line=2, error="alias inside the value it refers to"),
    case("---\nrun: !!python/object/apply:os.system [ls]\n---\n", "fm-python-tags-refused",
         error_line=2, error="could not determine a constructor"),
    case("---\n? [a, b]\n: 1\n---\n", "fm-list-as-key", error_line=2, error="unhashable key"),
    case("---\nbase: &b {std: 1}\nlayer:\n  <<: *b\n  std: 2\n---\n", "fm-merge-key-overridden",
         front_matter={"base": {"std": 1}, "layer": {"std": 2}}),
    case("---\ntitle: a\nnote: b\x00c\n---\n", "fm-control-character", error_line=3,
         error="control character U+0000 is not allowed"),
    case("---\nx: " + "[" * 500 + "]" * 500 + "\n---\n", "fm-500-nested-flow-lists",
         error_line=2, error=f"nested more than {MAX_DEPTH}"),
    case("---\n" + "".join("  " * i + f"k{i}:\n" for i in range(40)) + "---\n",
         "fm-deep-block-mapping", error_line=2 + MAX_DEPTH - 1,
         error=f"nested more than {MAX_DEPTH}"),
]


def test_table_is_big_enough():
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_front_matter_case(text: str, expected: dict):
    check_case(text, expected)


def test_key_lines_follow_the_note():
    note = parse_note("---\n# a comment\nTitle: t\n\npoints: 2\n---\n")
    assert note.front_matter_lines == {"title": 3, "points": 5}


def test_card_points_error_names_the_key_line():
    text = ("---\ntitle: t\ntags: []\npoints: -1\n---\n> [!question] Q\n\n"
            "```python solution\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n```\n")
    with pytest.raises(GraderError) as info:
        card_from_note(parse_note(text, "cards/01-x.md"), "01", "x")
    assert str(info.value).startswith("cards/01-x.md:4: `points` must be a positive number")


def test_inspect_refuses_an_alias_bomb(tmp_path: Path):
    note = tmp_path / "bomb.md"
    result = inspect(note, laughs(9, 9, 9), "--format", "json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert _strip_prog(result.stderr).startswith(f"{note}:{3 + MAX_ALIASES // 9}: ")
    assert "aliases" in result.stderr
