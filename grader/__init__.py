"""grader: Obsidian Q&A cards in, graded numpy exercises out."""

__version__ = "0.1.0"
