"""grader: Obsidian Q&A cards in, graded numpy exercises out."""

from grader import blas_threads

blas_threads.limit()  # first, before anything of ours imports numpy

__version__ = "0.1.0"
