"""Jupyter notebooks: exercise notebooks built from the cards, notebook files graded like `.py`
files, and `check("03")` / `hint("03")` for a learner's notebook cells (see docs/notebooks.md)."""

from grader.notebooks.check import check, hint

__all__ = ["check", "hint"]
