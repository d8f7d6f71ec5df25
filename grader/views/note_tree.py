"""`grader inspect`: what the parser made of a note, as JSON or as a rich tree."""

from __future__ import annotations

from rich.markup import escape
from rich.tree import Tree

from grader.deck.note import Note


def note_tree(note: Note) -> Tree:
    tree = Tree(f"[bold]{escape(str(note.path))}[/]")
    fm = tree.add("front matter" if note.front_matter else "front matter: none")
    for key, value in note.front_matter.items():
        fm.add(f"{escape(str(key))}: {escape(repr(value))}")
    qa = tree.add(f"question/answer pairs: {len(note.qa)}")
    for i, (question, answer) in enumerate(note.qa, 1):
        branch = qa.add(f"[cyan]Q{i}[/] {escape(question.title)}  [dim](line {question.line})[/]")
        if question.body:
            branch.add(f"[dim]{escape(_preview(question.body))}[/]")
        if answer is None:
            branch.add("[yellow]no answer[/]")
        else:
            ans = branch.add(f"[green]A[/] {escape(answer.title)}  [dim](line {answer.line})[/]")
            ans.add(f"[dim]{escape(_preview(answer.body))}[/]")
    hints = tree.add(f"hints: {len(note.hints)}")
    for hint in note.hints:
        hints.add(f"{escape(hint.title)}  [dim](line {hint.line})[/]")
    code = tree.add(f"code blocks: {len(note.code)}")
    for block in note.code:
        lines = block.code.count("\n")
        code.add(f"{escape(block.info or '(no info)')}: {lines} lines  [dim](line {block.line})[/]")
    others = [c for c in note.callouts if c.family not in ("question", "success", "hint")]
    if others:
        rest = tree.add(f"other callouts: {len(others)}")
        for c in others:
            rest.add(f"[{escape(c.type)}] {escape(c.title)}  [dim](line {c.line})[/]")
    return tree


def _preview(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
