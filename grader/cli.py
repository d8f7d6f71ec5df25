"""The `grader` command line: parses arguments and hands each command to the module that does it.

Exit codes: 0 all good, 1 a check failed or files are stale, 2 the grader's own usage or setup
errors (reported as `file:line: message`, never as a traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader import heap
from grader.errors import GraderError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grader", description="Auto-graded exercises from "
                                "Obsidian Q&A cards.")
    p.add_argument("--root", type=Path, help="the deck's folder (default: found from here)")
    p.add_argument("--sandbox", choices=["auto", "strict"], help="auto (default): isolate "
                   "learner code with every layer this machine offers; strict: refuse to run "
                   "it where a layer is missing (for exams)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="write exercises/ and solutions/ from cards/")
    b.add_argument("--check", action="store_true", help="write nothing; exit 1 if files are stale")
    b.add_argument("--force", action="store_true", help="overwrite exercises the learner changed")
    b.add_argument("--notebooks", action=argparse.BooleanOptionalAction, help="exercises as "
                   "Jupyter notebooks (exercises/NN_slug.ipynb); later builds keep the choice "
                   "until --no-notebooks")

    i = sub.add_parser("inspect", help="show how a Markdown note parses")
    i.add_argument("note", type=Path)
    i.add_argument("--format", choices=["text", "json"], default="text")

    sub.add_parser("list", help="the deck with each exercise's state and points").add_argument(
        "--pending", action="store_true", help="only exercises not done yet")
    sub.choices["list"].add_argument("--done", action="store_true", help="only exercises done")

    s = sub.add_parser("show", help="an exercise's question and hints")
    s.add_argument("exercise")
    s.add_argument("--solution", action="store_true", help="add the answer and solution (asks "
                   "first unless the exercise is done)")
    s.add_argument("--yes", action="store_true", help="with --solution: do not ask")

    n = sub.add_parser("new", help="a new card from a template")
    n.add_argument("name", help="NN-slug, e.g. 13-dropout")

    c = sub.add_parser("check", help="run the hidden checks on your code")
    c.add_argument("exercises", nargs="*", help="numbers or slugs (e.g. 03, 3, xavier); none: "
                   "the first exercise not done yet")
    c.add_argument("--all", action="store_true", help="every exercise")
    c.add_argument("--submission", type=Path, help="a file, or a folder laid out like exercises/")
    c.add_argument("--solution", action="store_true", help="check the reference solutions")
    c.add_argument("--format", choices=["text", "json", "junit", "gradescope", "classroom"],
                   default="text")
    c.add_argument("--seed", type=int, help="the checks' base seed")
    c.add_argument("--checks", type=Path, help="a private checks folder")
    c.add_argument("--full-report", type=Path, help="also write the full JSON report here (a "
                   "trimmed classroom report points to it)")

    v = sub.add_parser("verify", help="prove the deck: solutions pass, stubs and mistakes fail")
    v.add_argument("exercises", nargs="*")
    v.add_argument("--trials", type=int, default=20, help="seeds per solution and right variant "
                   "(default 20)")
    v.add_argument("--mistake-seeds", type=int, default=5, help="seeds per known mistake, at "
                   "most --trials (default 5)")
    v.add_argument("--power", action="store_true", help="weigh every statistical expectation "
                   "against its nearest known mistake; fail on a miss probability above 1e-6 "
                   "(known mistakes then run at 3 seeds at least: at one, a mistake whose "
                   "statistic is noise cannot be told from one that is off)")
    v.add_argument("--checks", type=Path, help="a private checks folder")

    h = sub.add_parser("hint", help="the next hint for an exercise")
    h.add_argument("exercise")
    h.add_argument("--all", action="store_true", help="every hint")

    r = sub.add_parser("reset", help="restore an exercise's stub (your file is backed up)")
    r.add_argument("exercise")

    sub.add_parser("next", help="the first exercise not done yet")
    e = sub.add_parser("edit", help="open an exercise in $VISUAL or $EDITOR")
    e.add_argument("exercise")

    w = sub.add_parser("watch", help="re-check the current exercise on every save")
    w.add_argument("exercise", nargs="?", help="where to start (default: the first exercise "
                   "not done yet)")
    w.add_argument("--manual", action="store_true", help="re-check on `r` only (no file events)")

    g = sub.add_parser("grade", help="grade a class of submissions")
    g.add_argument("submissions", type=Path)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--jobs", type=int, default=0, help="parallel workers (default: cores)")
    g.add_argument("--checks", type=Path, help="a private checks folder")
    g.add_argument("--shard", help="K/N: grade the K-th of N stable slices of the class")
    g.add_argument("--force", action="store_true", help="re-grade every student, even those "
                   "whose signed report matches their submission")
    g.add_argument("--format", choices=["json", "junit", "gradescope", "classroom", "canvas",
                                        "moodle", "long"],
                   action="append", help="extra reports: per student (junit, gradescope, "
                   "classroom) or per class (canvas, moodle, long)")
    g.add_argument("--seed", type=int)
    g.add_argument("--sort", choices=["name", "score"], default="name",
                   help="order of the student rows in the summary (score: lowest first)")
    g.add_argument("--key", type=Path, help="the reports' signing key (default OUT/grader.key, "
                   "created on first use); shards of one class share one")

    z = sub.add_parser("gradescope", help="a Gradescope autograder zip of this deck")
    z.add_argument("zip", type=Path, help="the zip to write, e.g. autograder.zip")
    z.add_argument("--checks", type=Path, help="a private checks folder to ship instead")

    sub.add_parser("doctor", help="which isolation layers learner code gets here, tested live")

    m = sub.add_parser("merge", help="join shard outputs of `grader grade` into one gradebook")
    m.add_argument("dirs", nargs="+", type=Path)
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--sort", choices=["name", "score"], default="name")
    m.add_argument("--key", type=Path, help="the key the shards signed their reports with "
                   "(default OUT/grader.key)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    heap.keep_freed_memory()  # this process and the grading processes it forks
    if args.sandbox:
        os.environ["GRADER_SANDBOX"] = args.sandbox  # read by every worker this run starts
    try:
        from grader import commands
        from grader.instructor import commands as instructor

        name = f"cmd_{args.command}"
        return (getattr(commands, name, None) or getattr(instructor, name))(args)
    except GraderError as error:
        from grader.views.console import err

        err().print(f"grader: {error}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
