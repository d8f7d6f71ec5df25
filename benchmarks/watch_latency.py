"""Save-to-verdict latency of `grader watch` against the wall time of a bare `grader check` of the
same exercise and file.

`grader watch 03` runs in a pseudo-terminal on a copy of the deck; each run saves the exercise
file (the reference solution with a changed comment) and times until the new verdict is on the
screen, its key line printed. Between saves, `grader check 03` is timed on the same file. The
medians are compared. Target: watch at most 1.5x the bare check.
Run: `python benchmarks/watch_latency.py [--runs N] [--exercise 03]`.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERDICT, SCREEN_END = b"checks passed", b"q quit"


class Pane:
    """`grader watch` on the slave side of a pty; everything it prints is read here."""

    def __init__(self, deck: Path, exercise: str, env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([sys.executable, "-m", "grader", "watch", exercise],
                                     cwd=deck, env=env, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True)
        os.close(slave)
        self.seen = b""

    def read(self, seconds: float) -> None:
        if select.select([self.master], [], [], seconds)[0]:
            try:
                self.seen += os.read(self.master, 1 << 16)
            except OSError:
                pass

    def wait_for_verdict(self, timeout: float = 120) -> float:
        """Seconds until a complete screen with a verdict has been printed since the last call."""
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            verdict = self.seen.rfind(VERDICT)
            if verdict >= 0 and self.seen.find(SCREEN_END, verdict) >= 0:
                self.seen = b""
                return time.perf_counter() - started
            self.read(0.01)
        raise RuntimeError(f"no verdict in {timeout} s; the screen shows:\n"
                           f"{self.seen[-2000:].decode(errors='replace')}")

    def close(self) -> None:
        os.write(self.master, b"q")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--exercise", default="03")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watch-latency-") as tmp:
        deck = Path(tmp)
        for folder in ("cards", "exercises", "solutions"):
            shutil.copytree(ROOT / folder, deck / folder)
        solution = next((deck / "solutions").glob(f"{args.exercise}_*.py"))
        exercise = deck / "exercises" / solution.name
        exercise.write_text(solution.read_text())
        env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", "COLUMNS": "100",
               "LINES": "50"}
        check_cmd = [sys.executable, "-m", "grader", "check", args.exercise]
        pane = Pane(deck, args.exercise, env)
        try:
            pane.wait_for_verdict()  # the first check, at start-up
            watch, check = [], []
            for run in range(args.runs):
                time.sleep(0.3)  # let the pre-forked worker and the file watcher settle
                pane.seen = b""
                exercise.write_text(solution.read_text() + f"\n# save {run}\n")
                watch.append(pane.wait_for_verdict())
                started = time.perf_counter()
                subprocess.run(check_cmd, cwd=deck, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
                check.append(time.perf_counter() - started)
        finally:
            pane.close()
    w, c = statistics.median(watch), statistics.median(check)
    print(f"grader check {args.exercise} (bare):         median {c * 1000:.0f} ms over "
          f"{args.runs} runs")
    print(f"grader watch {args.exercise}, save to verdict: median {w * 1000:.0f} ms over "
          f"{args.runs} runs")
    print(f"ratio: {w / c:.2f}x (target 1.5x or less)")


if __name__ == "__main__":
    main()
