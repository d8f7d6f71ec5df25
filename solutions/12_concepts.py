# Reference solution for exercise 12 · Initialisation concepts (quiz)
# Generated from cards/12-concepts.md by `grader build`: edit the card, not this file.

"""Initialisation concepts: a quiz (the answers)."""

ANSWERS = {
    "q1": "b",
    "q2": "a",
    "q3": "c",
    "q4": "d",
    "q5": "a",
    "q6": "c",
    "q7": "b",
    "q8": "d",
    "q9": "b",
}
