"""The heap keeps freed memory: large arrays alive together, freed, and made again fault their
pages in once, not on every round (by default glibc trims the heap once they are freed), whether
set through the environment (workers) or `mallopt` (the grader's own process)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from grader import heap
from grader.sandbox.supervisor import worker_env

ROUNDS, PAGES = 20, 4 * 1024**2 // 4096  # 20 rounds of three arrays of 4 MiB alive together

FAULTS = f"""
import resource, sys
import numpy as np
if "mallopt" in sys.argv:
    from grader import heap
    assert heap.keep_freed_memory()
def round():
    return sum(float(a.sum()) for a in [np.ones(4 * 1024**2 // 8) for _ in range(3)])
round()  # the first round faults its pages in either way
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range({ROUNDS}):
    round()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's heap only")


def faults(*args: str, **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run([sys.executable, "-c", FAULTS, *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_by_default_every_round_faults_its_pages_in_again():
    assert faults() > ROUNDS * PAGES / 2


def test_workers_environment_keeps_freed_memory():
    assert heap.VARIABLES.items() <= worker_env().items()
    assert faults(**heap.VARIABLES) < PAGES


def test_mallopt_keeps_freed_memory_in_a_running_process():
    assert faults("mallopt") < PAGES
