"""What grading a class costs per student with `grader grade`, every process counted, against
the cost of merely starting Python with numpy and pytest, measured in the same run.

A synthetic class is built from the deck itself: for every student and exercise, the reference
solution, the untouched stub, or one of the card's known mistakes, chosen by a seeded RNG. It is
graded with `grader grade --jobs N`; reported: CPU per student (user + sys of every process:
grader, pool processes, zygotes, keepers, workers; checked against the kernel's cgroup counter
where the machine allows), students/s, wall time per student and its ratio to the median wall
time of `python -c "import numpy, pytest"`, and the peak RSS of the largest process. The issue's
target (issue 15): wall per student at most 1.5x that floor, CPU per student at most 0.6 s.
For comparison, `--baseline N` students are also graded one at a time with `grader check --all
--submission` (0 skips it). `--keep DIR` keeps the gradebook and reports (and the printed
summary, `summary.txt`); `--same-as DIR` fails unless this run's verdicts and feedback are those
of a kept run (see `same_outputs.py`).

Run: `python benchmarks/grade_throughput.py [--students 200] [--jobs 2] [--baseline 10]
[--floor-runs 7] [--class DIR] [--keep DIR] [--same-as DIR]`.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from accounting import Usage, measure
from same_outputs import compare, summary

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.deck.project import Project  # noqa: E402
from grader.instructor.verify import load_edits  # noqa: E402

TARGET_RATIO, TARGET_CPU = 1.5, 0.6


def build_class(folder: Path, students: int, seed: int = 7) -> None:
    project = Project(ROOT)
    rng = random.Random(seed)
    choices = {}
    for card in project.cards:
        sources = [card.solution] * 3 + [card.stub]
        sources += [m.source for m in load_edits(project.mistakes_file(card), card, mistakes=True)]
        choices[card.module] = sources
    for i in range(students):
        student = folder / f"student{i:03d}"
        student.mkdir(parents=True)
        for module, sources in choices.items():
            # A line of their own makes every file distinct, as real submissions are.
            (student / f"{module}.py").write_text(f"# {student.name}\n{rng.choice(sources)}")


def floor(runs: int) -> Usage:
    """The median run of `python -c "import numpy, pytest"` (by wall time)."""
    usages = [measure([sys.executable, "-c", "import numpy, pytest"], ROOT) for _ in range(runs)]
    return sorted(usages, key=lambda u: u.wall)[len(usages) // 2]


def grade(klass: Path, out: Path, jobs: int) -> Usage:
    """`grader grade` of the whole class, its printed summary kept as OUT/summary.txt."""
    command = [sys.executable, "-m", "grader", "grade", str(klass), "--out", str(out), "--jobs",
               str(jobs)]
    summary = out.parent / f"{out.name}.summary.txt"
    with summary.open("wb") as printed:
        usage = measure(command, ROOT, stdout=printed.fileno(), in_cgroup=True)
    summary.replace(out / "summary.txt")
    return usage


def one_at_a_time(students: list[Path]) -> list[Usage]:
    return [measure([sys.executable, "-m", "grader", "check", "--all", "--submission",
                     str(student), "--format", "json"], ROOT) for student in students]


def load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def report(args: argparse.Namespace, students: int, batch: Usage, base: Usage,
           loads: tuple[str, str]) -> None:
    wall, cpu = batch.wall / students, batch.cpu / students
    ratio = wall / base.wall
    print(f"load average {loads[0]} before, {loads[1]} after (on {os.cpu_count()} cores)")
    print(f"floor: python -c 'import numpy, pytest': {base.wall * 1000:.0f} ms wall, "
          f"{base.cpu * 1000:.0f} ms CPU (median of {args.floor_runs} runs)")
    print(f"grader grade --jobs {args.jobs}: {students} students in {batch.wall:.1f} s = "
          f"{students / batch.wall:.2f} students/s (exit code {batch.code})")
    print(f"  wall per student {wall:.3f} s = {ratio:.2f}x the floor (target "
          f"{TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'not met'})")
    print(f"  CPU per student {cpu:.3f} s, user + sys of every process (target {TARGET_CPU} s: "
          f"{'met' if cpu <= TARGET_CPU else 'not met'})")
    print(f"  peak RSS of the largest process {batch.peak_rss_mib:.0f} MiB")
    print(f"  every process accounted for? {batch.accounted()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=10,
                        help="students graded one at a time with `check --all` (0: skip)")
    parser.add_argument("--floor-runs", type=int, default=7)
    parser.add_argument("--class", dest="klass", type=Path,
                        help="grade this class instead of building one of --students")
    parser.add_argument("--keep", type=Path, help="keep the gradebook and reports here (new)")
    parser.add_argument("--same-as", type=Path, help="an earlier --keep folder (or `grader "
                        "grade --out` folder) whose verdicts and feedback this run must match")
    args = parser.parse_args()
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        sys.exit(f"--keep {args.keep}: not empty (grading into it would reuse its reports)")
    with tempfile.TemporaryDirectory() as tmp:
        klass = args.klass or Path(tmp) / "class"
        if not args.klass:
            build_class(klass, args.students)
        students = sorted(p for p in klass.iterdir() if p.is_dir())
        out = args.keep or Path(tmp) / "out"
        out.mkdir(parents=True, exist_ok=True)
        measure([sys.executable, "-c", "import numpy, pytest, grader.cli"], ROOT)  # warm cache
        before = load()
        base = floor(args.floor_runs)
        batch = grade(klass, out, args.jobs)
        report(args, len(students), batch, base, (before, load()))
        graded = (out / "gradebook.csv").is_file()  # a crash may also exit with 1
        if args.baseline:
            singles = one_at_a_time(students[: args.baseline])
            wall = sum(u.wall for u in singles) / len(singles)
            print(f"one at a time (`check --all --submission`, {len(singles)} students): "
                  f"{1 / wall:.2f} students/s, {statistics.median(u.cpu for u in singles):.2f} s"
                  f" CPU per student (median); grade is {wall * len(students) / batch.wall:.1f}x "
                  f"faster")
        if args.same_as:
            compared, differ, new = compare(args.same_as, out)
            for line in differ[:20]:
                print(f"  {line}")
            print(f"same as {args.same_as}? {summary(compared, differ)}"
                  + (f"; {len(new)} files only in this run" if new else ""))
        if args.keep:
            print(f"kept in {args.keep}")
        else:
            shutil.rmtree(out)
    if not graded or batch.code not in (0, 1) or (args.same_as and differ):
        sys.exit(1)


if __name__ == "__main__":
    main()
