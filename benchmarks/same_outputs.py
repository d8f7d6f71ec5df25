"""Whether two `grader grade --out` folders hold the same verdicts and feedback: every file of
BEFORE (student reports, hand-back feedback, the gradebook and other CSVs, the HTML report, the
printed summary a benchmark kept) must exist in AFTER with the same text once timings, the
checks' fingerprint, signatures and the paths of the machine (a worker's scratch folder, where
numpy is installed, as warnings print them, and the run's own folder, which the printed summary
names, wrapped where its length falls) are taken out. Files only in AFTER are listed, not
failed. A student report that differs is said to differ in its verdicts (a check's status or
points) or in its feedback only. HTML files are compared by their text, not by where their
panels wrap it (a longer install path in a warning wraps the line elsewhere); the Markdown
hand-back holds the same text and is compared as it is.

Run: `python benchmarks/same_outputs.py BEFORE AFTER` (exit 1 when any file differs).
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

# Report fields that change from run to run, or with the checks' code, never with a verdict.
VOLATILE = {"seconds", "graded_with", "signature"}
SKIPPED = {"grader.key"}  # each run's own signing key
DURATION = r"\b\d+(\.\d+)?\s*(min|ms|s)\b"
MACHINE = [(re.compile(r"/[^\s\"'<>]*/grader-worker-[A-Za-z0-9_]+/"), "<scratch>/"),  # first
           (re.compile(r"/[^\s\"'<>]*/site-packages/"), "<site-packages>/"),
           (re.compile(r"\b[0-9a-f]{64}\b"), "<digest>"),
           (re.compile(rf"{DURATION}(\s*{DURATION})*"), "<time>")]  # "2 min 3.4 s" is one


def comparable(path: Path, run: Path | None = None) -> str:
    """The file's text without what may differ between equal runs (`run`: the folder it is in)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if run is not None and path.suffix == ".txt":  # the summary names the folder, then wraps
        raw = " ".join(raw.split()).replace(" ".join(str(run).split()), "<out>")
    if path.suffix == ".json":
        try:
            raw = json.dumps(_without_volatile(json.loads(raw)), indent=1, sort_keys=True)
        except ValueError:
            pass
    for pattern, stands_for in MACHINE:
        raw = pattern.sub(stands_for, raw)
    if path.suffix == ".html":  # the words in order, without tags, spaces or panel borders
        raw = re.sub(r"[\s\u2500-\u257f]+", "", html.unescape(re.sub(r"<[^>]*>", "", raw)))
    return raw


def verdicts(path: Path) -> list[tuple[str, str, object]] | None:
    """Every check's status and points in a student report; None for any other file."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        return [(c["name"], c["status"], c["points"]) for e in report["exercises"]
                for c in e["checks"]]
    except (ValueError, KeyError, TypeError):
        return None


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def compare(before: Path, after: Path) -> tuple[int, list[str], list[str]]:
    """(files compared, BEFORE's files missing from AFTER or different, AFTER's new files)."""
    differ, compared = [], 0
    for path in sorted(p for p in before.rglob("*") if p.is_file() and p.name not in SKIPPED):
        name = str(path.relative_to(before))
        other = after / name
        if not other.is_file():
            differ.append(f"missing: {name}")
            continue
        compared += 1
        if comparable(path, before) != comparable(other, after):
            same = verdicts(path) is not None and verdicts(path) == verdicts(other)
            differ.append(f"differs: {name}" + (" (feedback only)" if same else ""))
    new = sorted(str(p.relative_to(after)) for p in after.rglob("*")
                 if p.is_file() and p.name not in SKIPPED and not (before / p.relative_to(after)
                                                                   ).exists())
    return compared, differ, new


def summary(compared: int, differ: list[str]) -> str:
    same_verdicts = sum(line.endswith("(feedback only)") for line in differ)
    return (f"{compared} files compared, {len(differ)} differ" + (
        f" ({same_verdicts} of them student reports with the same verdicts)" if differ else ""))


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    compared, differ, new = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    for line in differ:
        print(line)
    if new:
        print(f"{len(new)} files only in {sys.argv[2]}, e.g. {new[0]}")
    print(summary(compared, differ))
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
