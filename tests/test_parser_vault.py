"""The parser at the edges real vaults reach (issue 11): deep nesting, callouts in list items,
tables and `$$` math at a callout's end. Notes are shaped like vault notes, in our own words.

Same table format as test_parser.py: what `parse_note(text).as_dict()` must hold, or the line a
GraderError must name.
"""

from __future__ import annotations

import pytest
from test_parser import A, C, Q, case, check_case

from grader.deck.blocks import NESTING_LIMIT
from grader.deck.note import parse_note
from grader.errors import GraderError


def nested_list(levels: int) -> str:
    """A bullet list nested `levels` deep, as outliners write them."""
    return "".join("  " * i + f"- point {i}\n" for i in range(levels))


AFTER_DEEP_LIST = (
    "> [!question] What comes after the outline?\n> The rest of the note.\n\n"
    "```python\nw = 0\n```\n\n> [!success] Everything\n> Nothing is skipped.\n"
)

CASES = [
    # ------------------------------------------------------------------- 1. no silent loss
    case(
        "# Outline\n\n" + nested_list(12) + "\n" + AFTER_DEEP_LIST,
        "list-12-deep-keeps-what-follows",
        qa=[Q("What comes after the outline?", "The rest of the note.",
              A("Everything", "Nothing is skipped."))],
        code=[C("python", "python", 19, "w = 0\n")],
    ),
    case(
        nested_list(NESTING_LIMIT // 2 - 1) + "\n" + AFTER_DEEP_LIST,
        "list-just-under-the-limit",
        qa=[Q("What comes after the outline?", "The rest of the note.",
              A("Everything", "Nothing is skipped."))],
    ),
    case(
        nested_list(NESTING_LIMIT // 2) + "\n" + AFTER_DEEP_LIST,
        "list-past-the-limit-is-an-error",
        error_line=NESTING_LIMIT // 2,
        error=f"nested more than {NESTING_LIMIT} levels",
    ),
    case(
        ">" * 25 + " [!question] Quoted 25 deep\n" + ">" * 25 + " still here\n\n"
        "> [!success] Found\n",
        "callout-at-quote-depth-25",
        qa=[Q("Quoted 25 deep", "still here", A("Found", ""))],
        callouts=[{"depth": 24, "line": 1}, {"depth": 0, "line": 4}],
    ),
    case(
        "Intro.\n\n" + ">" * (NESTING_LIMIT + 1) + " [!question] Too deep\n\n> [!success] A\n",
        "quote-past-the-limit-is-an-error",
        error_line=3,
        error=f"nested more than {NESTING_LIMIT} levels",
    ),
    # ---------------------------------------------------------- 2. callouts in list items
    case(
        "## Init\n\n- Weights\n\t- > [!question] Why not zeros?\n\t  > Symmetry.\n\t  >\n"
        "\t  > > [!success] Answer\n\t  > > Every unit learns the same thing.\n\t- next item\n",
        "callout-in-tab-indented-list",
        qa=[Q("Why not zeros?",
              "Symmetry.\n\n> [!success] Answer\n> Every unit learns the same thing.",
              A("Answer", "Every unit learns the same thing."))],
        callouts=[{"line": 4, "depth": 0}, {"line": 7, "depth": 1}],
    ),
    case(
        "1. Read the chapter.\n2. > [!question] Which std does He use?\n   > - ReLU layers\n"
        "   > - fan-in only\n   >\n   > ```python\n   > std = np.sqrt(2 / n)\n   > ```\n3. Done.\n",
        "callout-in-ordered-item-with-list-and-code",
        qa=[Q("Which std does He use?",
              "- ReLU layers\n- fan-in only\n\n```python\nstd = np.sqrt(2 / n)\n```")],
        code=[C("python", "python", 6, "std = np.sqrt(2 / n)\n")],
    ),
    case(
        "- a\n  - b\n    - c\n      > [!faq] Deep\n      > Inside three lists.\n\n"
        "      > [!done] Yes\n      > It is.\n",
        "sibling-pair-three-lists-deep",
        qa=[Q("Deep", "Inside three lists.", A("Yes", "It is."))],
    ),
    case(
        "- > [!question] Lazy in a list\n  > first\n  lazy\n",
        "lazy-continuation-in-list-item",
        qa=[Q("Lazy in a list", "first\nlazy")],
    ),
    case(
        "> [!question] Q\n>\tindented by a tab\n",
        "tab-after-marker-is-part-space",
        qa=[Q("Q", "  indented by a tab")],
    ),
    # --------------------------------------------------------------- 3. tables and math
    case(
        "> [!question] Compare the schemes\n> | scheme | std |\n> | --- | --- |\n"
        "> | Xavier | sqrt(2/(in+out)) |\nWhich one suits tanh?\n> [!success] Xavier\n"
        "> It keeps the variance for tanh.\n",
        "table-ends-the-callout",
        qa=[Q("Compare the schemes",
              "| scheme | std |\n| --- | --- |\n| Xavier | sqrt(2/(in+out)) |",
              A("Xavier", "It keeps the variance for tanh."))],
    ),
    case(
        "> [!question] Q\n> a | b\nlazy\n> [!success] same paragraph\n",
        "pipes-without-delimiter-row-are-text",
        qa=[Q("Q", "a | b\nlazy\n[!success] same paragraph")],
    ),
    case(
        "> [!question] Variance of a sum\n> $$\n> \\mathrm{Var}(\\sum x) = n\\sigma^2\n> $$\n"
        "What is it for n inputs?\n> [!success] n sigma squared\n> Variances add.\n",
        "math-block-ends-the-callout",
        qa=[Q("Variance of a sum", "$$\n\\mathrm{Var}(\\sum x) = n\\sigma^2\n$$",
              A("n sigma squared", "Variances add."))],
    ),
    case(
        "> [!question] Q\n> $$x^2$$\nlazy\n\n> [!success] A\n",
        "one-line-math-block",
        qa=[Q("Q", "$$x^2$$", A("A", ""))],
    ),
    case(
        "> [!question] Q\n> $$ a\nlazy\n> [!success] same paragraph\n",
        "unclosed-math-is-text",
        qa=[Q("Q", "$$ a\nlazy\n[!success] same paragraph")],
    ),
    case(
        "$$\na\n> [!question] inside math\n$$\n\n> [!question] after\n",
        "callout-inside-math-is-math",
        qa=[Q("after", "")],
        callouts=[{"line": 6}],
    ),
]


def test_table_is_big_enough():
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_vault_case(text: str, expected: dict):
    check_case(text, expected)


def test_unclosed_math_in_a_long_note_is_text_everywhere():
    """Every `$$` line is unclosed: all stay text, and every callout is still found."""
    text = "".join(f"> [!question] Q{i}\n> $$ cost {i}\n\n" for i in range(2000))
    note = parse_note(text)
    assert [q.title for q, _ in note.qa] == [f"Q{i}" for i in range(2000)]
    assert note.qa[-1][0].body == "$$ cost 1999"


def test_callouts_nested_to_repeat_the_note_are_refused():
    """Each callout's body holds its nested callouts' text: 60 nested callouts around 2,000 lines
    would keep the note about 30 times over. The parse stops at a header line, with a message."""
    headers = "".join(">" * depth + f" [!note] level {depth}\n" for depth in range(1, 61))
    text = headers + (">" * 60 + " text\n") * 2000
    with pytest.raises(GraderError) as info:
        parse_note(text, "deep.md")
    assert "bodies would hold the note more than 16 times" in info.value.message
    assert 1 <= info.value.line <= 60
