"""`grader merge`: join the shard outputs of `grader grade` into one gradebook, trusting only
reports signed with the class's key (docs/grading.md)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from grader.errors import GraderError
from grader.files import atomic_write
from grader.instructor import integrity
from grader.instructor.class_outputs import write_class_outputs
from grader.instructor.classrun import FORMAT_SUFFIXES, ClassResult, Note, write_or_note
from grader.instructor.student_report import Refused, json_text, read_report


def merge(dirs: list[Path], out: Path, key_file: Path | None = None) -> ClassResult:
    """Join the verified student reports of several shard outputs into one gradebook in `out`;
    reports that do not verify with the shards' key are refused and named."""
    out.mkdir(parents=True, exist_ok=True)
    key = integrity.load_key(integrity.key_path(out, key_file), create=False)
    run = ClassResult()
    fingerprints: Counter[str] = Counter()
    for folder in dirs:
        if not folder.is_dir():
            raise GraderError("not a folder written by `grader grade`", folder)
        for path in sorted(folder.glob("*.json")):
            if path.name.endswith(FORMAT_SUFFIXES) or path.name.startswith("."):
                continue
            try:
                report = read_report(path, key)
            except (Refused, GraderError) as why:
                text = why.message if isinstance(why, GraderError) else str(why)
                run.notes.append(Note("", "refused", f"{path} refused: {text}"))
                continue
            if report.name in run.reports:
                raise GraderError(f"student {report.name!r} appears in two shard outputs", folder)
            run.reports[report.name] = report
            fingerprints[report.graded_with] += 1
            if folder.resolve() != out.resolve():
                assert report.doc is not None  # read_report keeps the signed document
                text = json_text(report.doc) + "\n"
                write_or_note(run, report.name,
                              lambda p=out / path.name, t=text: atomic_write(p, t))
    if len(fingerprints) > 1:
        run.notes.append(Note("", "mixed", f"the shards were graded with {len(fingerprints)} "
                                           "different sets of checks, cards or seeds"))
    write_class_outputs(out, run.graded, [], keys={r.name: r.key for r in run.reports.values()},
                        guard=lambda name, write: write_or_note(run, name, write))
    return run
