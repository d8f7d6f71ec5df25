"""A card as an exercise notebook (`grader build --notebooks`): the question, a hint cell, the
stub to edit, and a check cell.

The text is deterministic, so that `grader build --check` can compare it and the manifest can
tell the learner's edits from the build's output: fixed cell ids, no outputs, no execution counts,
nbformat 4.5 whatever nbformat version writes it.
"""

from __future__ import annotations

from grader.deck.card import Card

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def render_notebook(card: Card) -> str:
    """The exercise notebook of `card`, as the JSON text Jupyter saves."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    number = card.number
    intro = (
        f"# Exercise {number} · {card.title}\n\n{card.statement()}\n\n---\n\n"
        "Write your code in the code cell below (you may add cells: every code cell is graded, "
        "top to bottom, in a fresh Python process; IPython's `%` and `!` lines are not). "
        "**Save the notebook** (Ctrl+S), then run the last cell: it grades the notebook as "
        "saved, in a separate, isolated process.\n\n"
        f"*Generated from `cards/{card.path.name}` by `grader build --notebooks`.*"
    )
    cells = [new_markdown_cell(intro, id="question")]
    if card.hints:
        count = len(card.hints)
        cells.append(new_code_cell(
            f"# Stuck? Each run of this cell shows the next hint ({count} in all).\n"
            f"from grader.notebooks import hint\n\nhint(\"{number}\")", id="hint"))
    cells.append(new_code_cell(card.stub.rstrip("\n"), id="code"))
    cells.append(new_code_cell(
        "# Save the notebook first (Ctrl+S): this grades the saved file.\n"
        f"from grader.notebooks import check\n\ncheck(\"{number}\")", id="check"))
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return nbformat.writes(notebook) + "\n"
