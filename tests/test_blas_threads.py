"""One BLAS thread in our processes: numpy's own OpenBLAS is asked how many threads it runs,
whether numpy was imported before the grader (its pool limited through its API) or after (the
environment read at load), and a limit the user set is kept."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# numpy's bundled OpenBLAS, found independently of grader.blas_threads: its `numpy.libs` folder.
THREADS = """
import ctypes, glob, os, sys
def pool():
    import numpy
    libs = glob.glob(os.path.dirname(numpy.__file__) + ".libs/*openblas*")
    if not libs:
        sys.exit(77)
    lib = ctypes.CDLL(libs[0])
    for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                 "openblas_get_num_threads"):
        if hasattr(lib, name):
            return lib, getattr(lib, name)
    sys.exit(77)
"""


def run(code: str, **env: str) -> list[int]:
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", THREADS + code], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)
    if done.returncode == 77:
        pytest.skip("numpy here does not bundle OpenBLAS")
    assert done.returncode == 0, done.stderr
    return [int(n) for n in done.stdout.split()]


def test_numpy_imported_first_gets_one_thread_once_the_grader_is_imported():
    before, after = run("""
lib, threads = pool()
lib[threads.__name__.replace("get", "set")](3)  # a pool of 3, whatever the machine's cores
print(threads())
import grader
print(threads())
""")
    assert (before, after) == (3, 1)


def test_numpy_imported_after_the_grader_starts_with_one_thread():
    assert run("import grader\nprint(pool()[1]())") == [1]


def test_a_limit_the_user_set_is_kept():
    assert run("import numpy, grader\nprint(pool()[1]())", OPENBLAS_NUM_THREADS="2") == [2]
