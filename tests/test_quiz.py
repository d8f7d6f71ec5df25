"""The quiz card (12): its answer key, the checks' key and the reference answers agree, and the
right option gives itself away neither by its letter nor by its length."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "cards" / "12-concepts.md"


def _questions() -> list[tuple[str, dict[str, str], str]]:
    """(question, {letter: option text}, right letter) for every question of the card."""
    text = CARD.read_text(encoding="utf-8")
    blocks = re.split(r"^> \[!question\] (q\d)\.", text, flags=re.M)[1:]
    out = []
    for name, block in zip(blocks[::2], blocks[1::2], strict=True):
        options = {}
        for letter, body in re.findall(r"^> - \[ \] ([a-d])\) (.*?)(?=^> - \[ \]|^>?\s*$)",
                                       block, flags=re.M | re.S):
            options[letter] = " ".join(body.replace(">", " ").split())
        right = re.search(r"\[!success\]- Answer: ([a-d])", block).group(1)
        out.append((name, options, right))
    return out


def _solution_answers() -> dict[str, str]:
    text = CARD.read_text(encoding="utf-8")
    code = re.search(r"```python solution\n(.*?)> ```", text, flags=re.S).group(1)
    source = "\n".join(line[2:] if line.startswith("> ") else line.lstrip(">")
                       for line in code.splitlines())
    tree = ast.parse(source)
    return ast.literal_eval(tree.body[-1].value)


def _checks_key() -> dict[str, str]:
    """The right letters in the checks' QUIZ table, read without importing the checks."""
    tree = ast.parse((ROOT / "grader" / "checks" / "test_12_concepts.py").read_text())
    quiz = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "QUIZ")
    return {q: entry[0] for q, entry in ast.literal_eval(quiz).items()}


def test_every_question_has_four_options_and_one_key():
    questions = _questions()
    assert [q for q, _, _ in questions] == [f"q{i}" for i in range(1, 10)]
    for name, options, right in questions:
        assert sorted(options) == ["a", "b", "c", "d"], name
        assert right in options, name


def test_card_checks_and_solution_agree_on_the_key():
    card_key = {name: right for name, _, right in _questions()}
    assert _solution_answers() == card_key
    assert _checks_key() == card_key


def test_the_key_has_no_pattern():
    key = [right for _, _, right in _questions()]
    assert set(key) == {"a", "b", "c", "d"}
    for period in range(1, 5):
        assert any(key[i] != key[i + period] for i in range(len(key) - period)), period


def test_the_right_option_is_not_always_the_longest():
    longest = [name for name, options, right in _questions()
               if max(options, key=lambda k: len(options[k])) == right]
    assert len(longest) <= 3, longest
