"""What isolation adds to a worker's start, and what a whole worker start costs.

1. The layers alone: from a process that has imported numpy (as the zygote has), fork a child
   that exits at once, against fork a keeper that unshares the namespaces, forks the worker,
   which mounts its tmpfs, drops its privileges, sets its limits and applies Landlock and seccomp
   (`grader.sandbox.confine.apply`, the code every worker runs), then exits. The difference is
   the cost of isolation per worker: in CPU time of all the processes involved (robust to a busy
   machine) and in median wall time. Target: 5 ms or less.
2. A whole worker from the zygote, ready to load a learner's file (`Worker.wait_ready`).

Run: `python benchmarks/sandbox_cost.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy  # noqa: F401 - the zygote's state: forks copy a numpy-sized process

from grader.sandbox import confine, namespaces
from grader.sandbox.policy import Limits, make_plan
from grader.sandbox.supervisor import Worker, shared_zygote


def plain_fork() -> float:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def isolated_fork(scratch: Path) -> float:
    plan = make_plan(scratch, Limits(), "auto")
    started = time.perf_counter()
    keeper = os.fork()
    if keeper == 0:
        layers = {}
        try:
            layers["namespaces"] = namespaces.unshare()
        except OSError as exc:
            layers["namespaces"] = f"{confine.OFF}{exc}"
        worker = os.fork()
        if worker == 0:
            confine.apply(plan, layers)
            os._exit(0)
        os.waitpid(worker, 0)
        os._exit(0)
    os.waitpid(keeper, 0)
    return time.perf_counter() - started


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(runs: int, start) -> tuple[float, float]:
    """Median wall time and mean CPU time (of every descendant) of `start()`, in ms."""
    cpu = children_cpu()
    walls = [start() for _ in range(runs)]
    return statistics.median(walls) * 1000, (children_cpu() - cpu) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    (scratch / "src").mkdir()
    (scratch / "work").mkdir()
    try:
        plain_wall, plain_cpu = measure(args.runs, plain_fork)
        iso_wall, iso_cpu = measure(args.runs, lambda: isolated_fork(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"fork + exit:                       {plain_wall:6.2f} ms wall (median), "
          f"{plain_cpu:5.2f} ms CPU")
    print(f"keeper + worker with every layer:  {iso_wall:6.2f} ms wall (median), "
          f"{iso_cpu:5.2f} ms CPU")
    print(f"isolation per worker start:        {iso_wall - plain_wall:6.2f} ms wall, "
          f"{iso_cpu - plain_cpu:5.2f} ms CPU (target 5 ms or less; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    zygote = shared_zygote()
    starts = []
    for _ in range(args.runs):
        started = time.perf_counter()
        worker = Worker(zygote=zygote)
        worker.wait_ready()
        starts.append(time.perf_counter() - started)
        worker.stop()
    print(f"a whole worker from the zygote:      median {statistics.median(starts) * 1000:.1f} ms"
          f" to ready ({len(confine.missing(worker.layers))} layers missing)")


if __name__ == "__main__":
    main()
