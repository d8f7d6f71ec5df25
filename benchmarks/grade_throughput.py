"""Students per second for `grader grade` against `grader check --all --submission` run once per
student, measured in the same run, plus the peak memory of each.

A synthetic class is built from the deck itself: for every student and exercise, the reference
solution, the untouched stub, or one of the card's known mistakes, chosen by a seeded RNG.
Run: `python benchmarks/grade_throughput.py [--students 200] [--baseline 10] [--jobs 2]`.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.deck.project import Project  # noqa: E402
from grader.instructor.verify import load_edits  # noqa: E402


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


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return time.perf_counter() - started


def peak_children_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=10,
                        help="students graded one at a time for the baseline rate")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        klass = Path(tmp) / "class"
        build_class(klass, args.students)
        grader = [sys.executable, "-m", "grader"]
        one_at_a_time = 0.0
        for student in sorted(klass.iterdir())[: args.baseline]:
            one_at_a_time += timed([*grader, "check", "--all", "--submission", str(student),
                                    "--format", "json"])
        baseline_memory = peak_children_mib()
        batch = timed([*grader, "grade", str(klass), "--out", str(Path(tmp) / "out"),
                       "--jobs", str(args.jobs)])
        batch_memory = peak_children_mib()
    base_rate = args.baseline / one_at_a_time
    rate = args.students / batch
    print(f"one at a time: {args.baseline} students in {one_at_a_time:.1f} s = "
          f"{base_rate:.2f} students/s (peak RSS of a child {baseline_memory:.0f} MiB)")
    print(f"grader grade --jobs {args.jobs}: {args.students} students in {batch:.1f} s = "
          f"{rate:.2f} students/s (peak RSS of a child so far {batch_memory:.0f} MiB)")
    print(f"speed-up: {rate / base_rate:.1f}x (target 10x)")


if __name__ == "__main__":
    main()
