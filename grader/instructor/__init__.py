"""Instructor workflows: grading a class, report formats, submissions, verifying the deck."""
