"""Wall time of `grader check 03 --solution` against `python -c "import numpy, pytest"`.

Both are measured in the same run, alternating, and the medians are compared: the ratio is what
isolation, pytest and feedback cost on top of the interpreter and the libraries a check needs.
Target: 2.5x or less. Run: `python benchmarks/check_latency.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "NO_COLOR": "1"}, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    baseline_cmd = [sys.executable, "-c", "import numpy, pytest"]
    check_cmd = [sys.executable, "-m", "grader", "check", "03", "--solution"]
    wall(baseline_cmd), wall(check_cmd)  # warm the file cache
    baseline, check = [], []
    for _ in range(args.runs):
        baseline.append(wall(baseline_cmd))
        check.append(wall(check_cmd))
    b, c = statistics.median(baseline), statistics.median(check)
    print(f"python -c 'import numpy, pytest': median {b * 1000:.0f} ms over {args.runs} runs")
    print(f"grader check 03 --solution:       median {c * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio: {c / b:.2f}x (target 2.5x or less)")


if __name__ == "__main__":
    main()
