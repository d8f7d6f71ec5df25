"""The block parser's speed-ups change nothing, nothing is skipped, and pairing in one pass agrees
with the pairing rule as docs/cards.md states it (issue 11)."""

from __future__ import annotations

import random

import pytest
import test_parser
import test_parser_front_matter
import test_parser_vault
from markdown_it.rules_block import paragraph, table

from grader.deck.blocks import Refused, make_markdown, markdown
from grader.deck.callouts import Callout, pair_questions
from grader.deck.note import parse_note

# Pieces of vault notes: paragraphs, setext underlines, tables, math, fences, references, HTML.
PIECES = [
    "[!question] Why scale?", "[!success] Because", "[!tip]- Hint", "[!note] Aside",
    "Plain words", "2024 was a year", "[link]: /url", "[not a ref] text", "[multi", "line]: /x",
    "| a | b |", "| - | - |", "|---|", "a | b", "---", "===", "- item", "* star", "1. one",
    "$$", "$$ x $$", "$$ open", "```python", "```", "~~~", "    indented", "\tx = 1", "<div>",
    "</div>", "# Heading", "", "", "", "lazy line", "-", ":--", "[!faq]", "**bold** start",
]
PREFIXES = ["", "> ", ">", "- ", "  ", "\t", "1. ", "> > ", "  > ", "- > ", "   "]
# Mostly prose, so that the paragraph shortcut runs, with lines that may or may not end a
# paragraph (a year is not a list, `*` may be emphasis or a bullet, `<` may be inline HTML).
PROSE = ["Plain words", "more words", "lazy line", "[!question] Why", "[not a ref] text",
         "2024 was a year", "2. a list", "*emphasis* here", "* star", "<b>bold</b>", "<div>",
         "# Heading", "#hashtag", "> quoted", "+ item", "$$ x $$", "```", "    indented",
         "", "", ""]


PROSE_PREFIXES = ["", "", "> ", ">", "  ", "\t", "1. ", "> > ", "  > ", "* ", "+ > "]  # no `-`


def random_note(rng: random.Random, lines: int, pieces: list[str] = PIECES,
                prefixes: list[str] = PREFIXES) -> str:
    return "".join(
        "".join(rng.choice(prefixes) for _ in range(rng.randint(0, 2))) + rng.choice(pieces) + "\n"
        for _ in range(lines)
    )


def corpus() -> list[str]:
    rng = random.Random(11)
    notes = [p.values[0] for module in (test_parser, test_parser_vault, test_parser_front_matter)
             for p in module.CASES]
    # a table whose short rows pass markdown-it's cap on missing cells: its body ends early
    wide = "|" + "a|" * 300 + "\n|" + "-|" * 300 + "\n" + "x\n" * 300
    return [*notes, wide] + [random_note(rng, rng.randint(1, 60)) for _ in range(400)] + [
        random_note(rng, rng.randint(1, 60), PROSE, PROSE_PREFIXES) for _ in range(200)
    ]


def reference_markdown():
    """The same parser without its speed-ups: markdown-it's own table and paragraph rules, no
    shortcuts."""
    md = make_markdown()
    md.disable(["plain_paragraph", "quote"])
    md.block.ruler.at("table", table, {"alt": ["paragraph", "reference"]})
    md.block.ruler.at("paragraph", paragraph)
    return md


def comparable(tokens) -> list[tuple]:
    """Each token as the parser's users see it; markdown-it's table subtree as one `table`, its
    paragraph_open/inline/paragraph_close as one `paragraph`. (Callout bodies are cut from the
    line offsets, not the tokens: test_parser*.py check them.)"""
    out, skip = [], 0
    for i, tok in enumerate(tokens):
        if skip:
            skip += tok.nesting if tok.type.startswith("table") else 0
            continue
        if tok.type in ("table_open", "table"):
            skip = tok.nesting
            out.append(("table", tok.map, tok.level))
        elif tok.type == "paragraph_open":
            out.append(("paragraph", tok.map, tok.level, tokens[i + 1].content))
        elif tok.type == "paragraph":
            out.append(("paragraph", tok.map, tok.level, tok.content))
        elif tok.type not in ("inline", "paragraph_close"):
            out.append((tok.type, tok.map, tok.level, tok.content, tok.info))
    return out


def blocks(md, text: str) -> list[tuple]:
    try:
        return comparable(md.parse(text, {}))
    except Refused as exc:
        return [("too deep", exc.line)]


@pytest.mark.parametrize("chunk", range(4))
def test_speed_ups_change_no_token(chunk: int):
    fast, slow = markdown(), reference_markdown()
    for text in corpus()[chunk::4]:
        assert blocks(fast, text) == blocks(slow, text), text


@pytest.mark.parametrize("chunk", range(4))
def test_every_line_is_read(chunk: int):
    """No block content is skipped: every non-blank line lies in some top-level block, except
    link reference definitions, which no renderer shows (markdown-it keeps them in `env`)."""
    for text in corpus()[chunk::4]:
        env: dict = {}
        try:
            tokens = markdown().parse(text, env)
        except Refused:
            continue  # the parse stops with an error: see test_parser_vault
        covered = set()
        for tok in tokens:
            if tok.level == 0 and tok.map:
                covered.update(range(*tok.map))
        lines = text.split("\n")[:-1]
        missed = [i for i, line in enumerate(lines) if line.strip() and i not in covered]
        assert not missed or env.get("references"), text
        assert all("]:" in lines[i] or "]:" in lines[i + 1] for i in missed), text


# --------------------------------------------------------------------------------- pairing


def pairs_by_definition(callouts: list[Callout]) -> list[tuple[Callout, Callout | None]]:
    """docs/cards.md, word for word: the first success nested inside, else the first success
    sibling after it and before the next question sibling; each success answers once."""
    pairs, claimed = [], set()

    def descendants(c: Callout) -> list[Callout]:
        return [d for child in c.children for d in [child, *descendants(child)]]

    for index, question in enumerate(callouts):
        if question.family != "question":
            continue
        answer = next((d for d in descendants(question)
                       if d.family == "success" and id(d) not in claimed), None)
        if answer is None:
            for later in callouts[index + 1:]:
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


def random_tree(rng: random.Random, size: int) -> list[Callout]:
    """Callouts in document order with random nesting and families."""
    out: list[Callout] = []
    open_stack: list[Callout] = []
    for line in range(size):
        while open_stack and rng.random() < 0.4:
            open_stack.pop()
        parent = open_stack[-1] if open_stack else None
        family = rng.choice(["question", "success", "success", "hint", "note"])
        c = Callout(type=family, family=family, title=str(line), body="", meta=None, fold="",
                    line=line + 1, depth=len(open_stack), parent=parent)
        if parent is not None:
            parent.children.append(c)
        out.append(c)
        if rng.random() < 0.5:
            open_stack.append(c)
    return out


def test_one_pass_pairing_agrees_with_the_definition():
    rng = random.Random(4)
    for _ in range(3000):
        callouts = random_tree(rng, rng.randint(0, 14))
        got = [(q.line, a.line if a else None) for q, a in pair_questions(callouts)]
        want = [(q.line, a.line if a else None) for q, a in pairs_by_definition(callouts)]
        assert got == want


def test_pairing_of_many_flat_questions():
    """The shape that was quadratic: 20,000 questions each answered by its next sibling."""
    text = "".join(f"> [!question] Q{i}\n\n> [!success] A{i}\n\n" for i in range(20_000))
    qa = parse_note(text).qa
    assert [(q.title, a.title if a else None) for q, a in qa[::4999]] == [
        (f"Q{i}", f"A{i}") for i in range(0, 20_000, 4999)
    ]
    assert all(a is not None for _, a in qa)
