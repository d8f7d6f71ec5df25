"""What `grader grade` and `grader merge` must tell the instructor beyond the scores: folders that
are not students, submission problems and layouts, re-graded and refused reports, outputs not
written or stale. Names and paths come from the class folder, so they are shown as `Text`, never
read as markup."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.instructor.classrun import ClassResult, Note
from grader.views.class_summary import class_summary

TITLES = {
    "refused": "refused by merge (not in the gradebook)",
    "mixed": "shards graded differently",
    "unwritten": "not written",
    "replaced": "reports the grader did not write (re-graded)",
    "regraded": "re-graded",
    "stale": "stale outputs",
    "file": "submission files",
    "skipped": "not student folders (skipped)",
}
MAX_ROWS = 40  # per kind: the student reports hold the rest


def batch_notes(notes: list[Note]) -> RenderableType | None:
    if not notes:
        return None
    table = Table(title="Notes", title_justify="left", show_lines=False)
    table.add_column("about")
    table.add_column("student")
    table.add_column("note")
    for kind, title in TITLES.items():
        rows = [n for n in notes if n.kind == kind]
        for note in rows[:MAX_ROWS]:
            table.add_row(Text(title), Text(note.student), Text(note.text))
        if len(rows) > MAX_ROWS:
            table.add_row(Text(title), Text("…"), Text(f"{len(rows) - MAX_ROWS} more"))
    return table


def class_run(run: ClassResult, sort: str, rows: int) -> RenderableType:
    """The class summary (grader.views.class_summary), then the notes."""
    notes = batch_notes(run.notes)
    summary = class_summary(run.graded, sort, rows)
    return summary if notes is None else Group(summary, notes)
