"""Derive the learner's stub from a reference solution, nbgrader style.

Every region between `# BEGIN SOLUTION` and `# END SOLUTION` becomes `raise NotImplementedError`
at the indentation of the BEGIN marker; the markers never reach either file.
"""

from __future__ import annotations

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
PLACEHOLDER = 'raise NotImplementedError("your code here")'


class MarkerError(ValueError):
    """Unbalanced or nested markers; `offset` is the 0-based line within the code block."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def split_solution(source: str) -> tuple[str, str]:
    """Return `(solution, stub)` for a marked reference solution."""
    solution: list[str] = []
    stub: list[str] = []
    open_at: int | None = None
    # Split on newlines only: str.splitlines would also cut at U+2028 or form feeds inside strings.
    for offset, line in enumerate(source.split("\n")):
        marker = line.strip().upper()
        if marker == BEGIN:
            if open_at is not None:
                raise MarkerError(
                    f"`{BEGIN}` inside another solution region (opened {offset - open_at} lines "
                    f"above): close it with `{END}` first",
                    offset,
                )
            open_at = offset
            indent = line[: len(line) - len(line.lstrip())]
            stub.append(indent + PLACEHOLDER)
            continue
        if marker == END:
            if open_at is None:
                raise MarkerError(f"`{END}` without a `{BEGIN}` above it", offset)
            open_at = None
            continue
        solution.append(line)
        if open_at is None:
            stub.append(line)
    if open_at is not None:
        raise MarkerError(f"`{BEGIN}` is never closed: add `{END}` after the region", open_at)
    return _text(solution), _text(stub)


def has_markers(source: str) -> bool:
    return any(line.strip().upper() in (BEGIN, END) for line in source.split("\n"))


def _text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip() + "\n"
