"""What one worker may do: its limits, its identity and the paths it may read and write.

The plan is made on the grader's side (plain data, so it crosses to the zygote as JSON) and
applied by `grader.sandbox.confine` inside the worker before any learner code runs. Reading is
allowed only where the Python interpreter, its standard library, numpy and the system's shared
libraries live; writing only in the worker's own scratch folder. The grader package, the deck,
the checks, submissions, reports and the grader's state are never among them.
"""

from __future__ import annotations

import os
import stat
import sys
import sysconfig
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from grader.sandbox import landlock

DEFAULT_MEMORY = 2 * 1024**3
OUTPUT_FILE_LIMIT = 32 * 1024**2
SCRATCH_DISK = 64 * 1024**2
SCRATCH_INODES = 4096
MAX_PROCESSES = 64
MAX_OPEN_FILES = 256
CPU_SECONDS = 300
UID_BASE = 2_000_000_000  # workers' uids when the grader runs as root: BASE + a keeper's pid
SYSTEM_READ = ["/usr/bin", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/share", "/bin",
               "/lib", "/lib64", "/sbin", "/etc/ld.so.cache", "/etc/localtime",
               "/dev/urandom", "/dev/random", "/dev/zero"]
MODES = ("auto", "strict")
PACKAGE_FOLDERS = ("site-packages", "dist-packages")
LAYERS = ("identity", "no_new_privs", "namespaces", "processes", "scratch_disk", "rlimits",
          "landlock", "seccomp")


@dataclass
class Limits:
    """What one worker may use; every limit is enforced by the kernel."""

    memory: int = DEFAULT_MEMORY  # address space, bytes
    output: int = OUTPUT_FILE_LIMIT  # the largest file it may write, bytes
    startup: float = 30.0  # seconds to become ready
    reply: int = 64 * 1024**2  # the largest reply the grader reads, bytes
    cpu: int = CPU_SECONDS  # CPU seconds over the worker's life
    processes: int = MAX_PROCESSES
    disk: int = SCRATCH_DISK  # scratch folder, bytes

    def memory_text(self) -> str:
        gib = self.memory / 1024**3
        return f"{gib:g} GiB" if gib >= 1 else f"{self.memory // 1024**2} MiB"


@dataclass
class Plan:
    """Everything the keeper and the worker need to confine themselves (JSON-able)."""

    scratch: str
    limits: dict[str, float]
    mode: str = "auto"
    uid: int | None = None  # drop to this uid/gid (grader is root and Python is world-readable)
    read: list[str] = field(default_factory=list)

    @property
    def source_dir(self) -> str:
        return os.path.join(self.scratch, "src")

    @property
    def work_dir(self) -> str:
        return os.path.join(self.scratch, "work")

    def rules(self) -> list[landlock.Rule]:
        rules = [landlock.Rule(p, landlock.READ_EXEC) for p in self.read]
        rules.append(landlock.Rule(self.source_dir, landlock.READ))
        rules.append(landlock.Rule(self.work_dir, landlock.READ_EXEC | landlock.WRITE))
        rules.append(landlock.Rule("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE))
        return rules

    def to_dict(self) -> dict:
        return asdict(self)


def make_plan(scratch: Path, limits: Limits, mode: str) -> Plan:
    return Plan(str(scratch), {k: float(v) for k, v in asdict(limits).items()}, mode,
                worker_uid_allowed(), readable_paths())


@cache
def readable_paths() -> list[str]:
    """The interpreter, its standard library (without site-packages), numpy and the system's
    shared libraries: what learner code needs to run, and nothing of the grader's."""
    paths: list[str] = [*SYSTEM_READ, os.path.realpath(sys.executable)]
    for key in ("stdlib", "platstdlib"):
        lib = sysconfig.get_paths().get(key)
        if lib and os.path.isdir(lib):
            if _holds_grader(lib):  # rule by rule, around the packages folder
                paths += [os.path.join(lib, name) for name in sorted(os.listdir(lib))
                          if name not in PACKAGE_FOLDERS]
            else:  # one rule: nothing of the grader's lies beneath
                paths.append(lib)
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    if os.path.isdir(libdir):
        paths += [os.path.join(libdir, n) for n in sorted(os.listdir(libdir))
                  if n.startswith("libpython")]
    import numpy

    numpy_dir = os.path.dirname(os.path.realpath(numpy.__file__))
    paths += [numpy_dir, numpy_dir + ".libs"]
    paths = list(dict.fromkeys(p for p in paths if os.path.exists(p)))
    grader_dir = str(Path(__file__).resolve().parents[1])
    return [p for p in paths if not _contains(p, grader_dir)]


def _holds_grader(lib: str) -> bool:
    """Whether a packages folder under `lib` holds the grader (installed, or as an editable
    install's finder or .pth file): reading all of `lib` would then expose the checks."""
    for folder in PACKAGE_FOLDERS:
        try:
            names = os.listdir(os.path.join(lib, folder))
        except OSError:
            continue
        if any(n.lower().startswith(("grader", "__editable__")) for n in names):
            return True
    return False


def _contains(parent: str, child: str) -> bool:
    parent = os.path.realpath(parent)
    return os.path.commonpath([parent, os.path.realpath(child)]) == parent


@cache
def worker_uid_allowed() -> int | None:
    """`UID_BASE` when the grader is root and another uid can read everything the worker must
    read (each folder on the way searchable, each file readable by others); else None, and the
    worker keeps the grader's uid without any capability."""
    if os.geteuid() != 0:
        return None
    return UID_BASE if all(_world_readable(p) for p in readable_paths()
                           if not p.startswith("/dev/")) else None


def _world_readable(path: str) -> bool:
    real = Path(os.path.realpath(path))
    for folder in real.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(real).st_mode & stat.S_IROTH)
