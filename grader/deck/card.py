"""A card: one note in `cards/` read as an exercise (number, slug, question, hints, solution)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.deck.callouts import Callout
from grader.deck.note import CodeBlock, Note, read_note
from grader.deck.stub import MarkerError, has_markers, split_solution
from grader.errors import GraderError

CARD_NAME = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


@dataclass
class Card:
    """Everything the build, the checks and the learner's loop need to know about one exercise."""

    path: Path
    number: str
    slug: str
    title: str
    tags: list[str]
    points: float | None
    question: str
    hints: list[str]
    explanation: str
    solution: str
    stub: str
    extra: dict = field(default_factory=dict, repr=False)
    more_questions: list[tuple[str, str]] = field(default_factory=list)  # (title, body) after
    # the first: a quiz card asks several; the learner sees them all without the answers

    def statement(self) -> str:
        """Every question of the card as Markdown, answers left out."""
        parts = [self.question.strip()]
        parts += [f"**{title}**\n\n{body.strip()}" for title, body in self.more_questions]
        return "\n\n".join(parts)

    @property
    def module(self) -> str:
        """`03_xavier`: the stem of the exercise, solution and checks files."""
        return f"{self.number}_{self.slug.replace('-', '_')}"

    def matches(self, name: str) -> bool:
        """Does `name` (`3`, `03`, `xavier`, `03_xavier`, `03-xavier`) name this exercise?"""
        name = name.strip().lower().removesuffix(".py").removesuffix(".md")
        if name.isdigit():
            return int(name) == int(self.number)
        return name in (self.slug, self.module, f"{self.number}-{self.slug}")


def parse_card_name(path: Path) -> tuple[str, str]:
    match = CARD_NAME.match(path.name)
    if match is None:
        raise GraderError(
            "a card's file name must be NN-slug.md: two digits, a dash, then lower-case letters, "
            "digits and dashes (for example 03-xavier.md)",
            path,
        )
    return match["number"], match["slug"]


def load_card(path: Path) -> Card:
    """Read a card file; every problem is a GraderError naming the file and line."""
    number, slug = parse_card_name(path)
    return card_from_note(read_note(path), number, slug)


def card_from_note(note: Note, number: str, slug: str) -> Card:
    path = note.path
    if not note.qa:
        raise GraderError(
            "no question: a card needs a `> [!question] Title` callout with the exercise statement",
            path,
            1,
        )
    question, answer = note.qa[0]
    solutions = [c for c in note.code if c.lang == "python" and "solution" in c.tags]
    stubs = [c for c in note.code if c.lang == "python" and "stub" in c.tags]
    if not solutions:
        raise GraderError(
            "no reference solution: add a fenced block whose info string is `python solution`",
            path,
            question.line,
        )
    for extra_blocks, kind in ((solutions, "solution"), (stubs, "stub")):
        if len(extra_blocks) > 1:
            raise GraderError(
                f"more than one `python {kind}` block (also at line {extra_blocks[0].line}): "
                "keep one",
                path,
                extra_blocks[1].line,
            )
    block = solutions[0]
    try:
        solution, stub = split_solution(block.code)
    except MarkerError as exc:
        raise GraderError(str(exc), path, block.line + 1 + exc.offset) from None
    if stubs:
        stub = stubs[0].code.rstrip() + "\n"
    elif not has_markers(block.code):
        raise GraderError(
            "the solution has no `# BEGIN SOLUTION` / `# END SOLUTION` markers and the card has "
            "no `python stub` block: the learner's stub would be the answer",
            path,
            block.line,
        )
    _check_syntax(solution, path, block.line, "solution")
    _check_syntax(stub, path, (stubs[0] if stubs else block).line, "stub")
    fm = note.front_matter
    points = fm.get("points")
    if points is not None and (
        isinstance(points, bool) or not isinstance(points, int | float) or points <= 0
    ):
        raise GraderError(
            f"`points` must be a positive number, not {points!r}",
            path,
            note.front_matter_lines.get("points", 2),
        )
    return Card(
        path=path,
        number=number,
        slug=slug,
        title=str(fm.get("title") or question.title),
        tags=list(fm.get("tags", [])),
        points=float(points) if points is not None else None,
        question=question.body,
        hints=[_hint_text(h) for h in note.hints],
        more_questions=[(q.title, q.body) for q, _ in note.qa[1:]],
        explanation=_without_block(answer, block) if answer else "",
        solution=solution,
        stub=stub,
        extra={k: v for k, v in fm.items() if k not in ("title", "tags", "points")},
    )


def _hint_text(hint: Callout) -> str:
    """A hint's Markdown, led by its title when the author gave one."""
    if hint.title.lower() == hint.type:
        return hint.body
    return f"**{hint.title}**\n\n{hint.body}".strip()


def _check_syntax(source: str, path: Path, fence_line: int, what: str) -> None:
    try:
        compile(source, f"{path}:{what}", "exec")
    except SyntaxError as exc:
        line = fence_line + (exc.lineno or 1)
        raise GraderError(f"the {what} code is not valid Python: {exc.msg}", path, line) from None


def _without_block(answer: Callout, block: CodeBlock) -> str:
    """The answer's Markdown without the reference solution's fenced block, cut by line number."""
    first_body_line = answer.line + 1
    lines = answer.body.split("\n")
    kept = [
        line
        for i, line in enumerate(lines)
        if not block.line <= first_body_line + i <= block.end
    ]
    return "\n".join(kept).strip()
