"""What a command costs, all of its processes included: wall time, CPU time (user + sys) and
the peak RSS of its largest process, read from `wait4` on the command, which covers every
descendant its parent waited for (the grader waits for all of them: tests/test_processes.py).

Checked independently where the machine allows it (root, a cgroup v1 `cpuacct` hierarchy or
cgroup v2): the command runs in a cgroup of its own, whose CPU counter the kernel charges for
every task in it, waited for or not; `Usage.cgroup_cpu` is that counter, None where unavailable.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Group = tuple[Path, str, Callable[[str], float]]

# (where to make the group, the file with its CPU time, that file's reading in seconds)
CGROUPS: tuple[Group, ...] = (
    (Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage", lambda text: int(text) / 1e9),
    (Path("/sys/fs/cgroup"), "cpu.stat",
     lambda text: int(text.split("usage_usec", 1)[1].split()[0]) / 1e6),
)


@dataclass
class Usage:
    wall: float
    cpu: float
    peak_rss_mib: float
    code: int
    cgroup_cpu: float | None = None

    def accounted(self) -> str:
        """How much of the CPU the kernel charged to the command's cgroup rusage saw."""
        if self.cgroup_cpu is None:
            return "not checked (needs root and cgroup v1 cpuacct or cgroup v2)"
        share = self.cpu / self.cgroup_cpu if self.cgroup_cpu else float("nan")
        return (f"rusage {self.cpu:.1f} s of CPU, the command's cgroup {self.cgroup_cpu:.1f} s: "
                f"{share:.1%} accounted")


def measure(command: list[str], cwd: Path, *, stdout: int | None = subprocess.DEVNULL,
            in_cgroup: bool = False) -> Usage:
    """Run `command` to its end; its usage, and its cgroup's CPU time when `in_cgroup`."""
    group = _new_cgroup() if in_cgroup else None

    def enter() -> None:
        if group is not None:
            (group[0] / "cgroup.procs").write_text(str(os.getpid()))

    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=stdout, stderr=subprocess.DEVNULL,
                            env={**os.environ, "NO_COLOR": "1"},
                            preexec_fn=enter if group else None)  # we run no threads
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cgroup_cpu = None
    if group is not None:
        folder, name, read = group
        cgroup_cpu = read((folder / name).read_text())
        try:
            folder.rmdir()
        except OSError:  # a process of the command outlived it: its CPU is still counted
            pass
    return Usage(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                 proc.returncode, cgroup_cpu)


def _new_cgroup() -> Group | None:
    for hierarchy, name, read in CGROUPS:
        if not (hierarchy / "cgroup.procs").is_file():
            continue
        folder = hierarchy / f"grader-benchmark-{os.getpid()}"
        try:
            folder.mkdir()
        except OSError:
            continue
        if (folder / name).is_file():
            return folder, name, read
        folder.rmdir()
    return None
