# Reference solution for exercise 12 · Initialisation concepts (quiz)
# Generated from cards/12-concepts.md by `grader build`: edit the card, not this file.

"""Initialisation concepts: a quiz (the answers)."""

ANSWERS = {
    "q1": "c",
    "q2": "b",
    "q3": "d",
    "q4": "a",
    "q5": "c",
    "q6": "b",
    "q7": "d",
    "q8": "a",
    "q9": "c",
}
