"""What one call into the learner's code costs besides the learner's own work: a check calls
`learner.f(4, rng)` (a small array back, the generator's state both ways) in a loop, and the CPU
of the grading process and of the worker is counted per call. A student of the deck makes about
380 such round trips, so each 10 us here is about 4 ms per student.

Run: `python benchmarks/call_cost.py [--calls N]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.checkapi.learner import LearnerModule
from grader.sandbox.supervisor import Limits, shared_zygote

LEARNER = "def f(n, rng):\n    return rng.normal(size=(n, 3))\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "learner.py"
        path.write_text(LEARNER)
        zygote = shared_zygote()
        module = LearnerModule(path, Limits(), zygote=zygote, seed=1)
        rng = np.random.default_rng(0)
        try:
            module.f(4, rng)  # started, loaded, warmed
            assert module.worker is not None
            worker_before, grader_before = module.worker.cpu_seconds(), time.process_time()
            for _ in range(calls):
                module.f(4, rng)
            grader = (time.process_time() - grader_before) / calls
            worker = (module.worker.cpu_seconds() - worker_before) / calls
        finally:
            module.close()
            if zygote is not None:
                zygote.close()
    print(f"{calls} calls of f(4, rng): grading process {grader * 1e6:.0f} us of CPU per call, "
          f"worker {worker * 1e6:.0f} us (clock ticks: +-{1e6 / calls * 0.01:.0f} us)")


if __name__ == "__main__":
    main()
