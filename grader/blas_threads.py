"""One BLAS thread in every process of ours, set before numpy is imported where we can and
through the BLAS library's own API where numpy was imported first (a notebook kernel,
`python -c "import numpy, grader"`).

Why: the checks' arithmetic and the learner's code share the machine's cores with the other
workers; a BLAS pool of one thread per core in each process makes them fight for the cores (CPU
per student rose by half under load). A limit the user set themselves is kept. The libraries are
found as threadpoolctl finds them, without depending on it: among the shared objects this
process has mapped, then asked through their `*_set_num_threads`.
"""

from __future__ import annotations

import os
import sys

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

# A library (a part of its file name), the setters it may export and their argument's C type:
# OpenBLAS as numpy bundles it (`libscipy_openblas64_`: prefix `scipy_`, suffix `64_`) or as a
# system library, MKL, BLIS (whose thread count is a 64-bit `dim_t`).
SETTERS = {
    "openblas": ([f"{prefix}openblas_set_num_threads{suffix}"
                  for prefix in ("scipy_", "") for suffix in ("64_", "_64_", "")], "c_int"),
    "mkl_rt": (["MKL_Set_Num_Threads"], "c_int"),
    "blis": (["bli_thread_set_num_threads"], "c_int64"),
}


def limit() -> None:
    """Set the thread variables this process's children (and a numpy not imported yet) read,
    and limit the BLAS pool of a numpy already imported to the same number."""
    for name in VARIABLES:
        os.environ.setdefault(name, "1")
    if "numpy" in sys.modules:
        try:
            threads = int(os.environ["OPENBLAS_NUM_THREADS"])
        except ValueError:
            return  # the user's own setting, and not a number: leave BLAS as it is
        for path in loaded_blas():
            set_threads(path, threads)


def loaded_blas() -> list[str]:
    """The BLAS libraries this process has mapped (Linux's /proc/self/maps; none elsewhere)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            fields = [line.split(None, 5) for line in maps]
    except OSError:
        return []
    paths = {f[5].strip() for f in fields if len(f) == 6 and f[5].startswith("/")}
    return sorted(p for p in paths if _kind(p))


def set_threads(path: str, threads: int) -> bool:
    """Call the library's own setter; False when it exports none we know."""
    import ctypes

    try:  # RTLD_NOLOAD: the library already mapped, never a second copy
        library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
    except OSError:
        return False
    names, argument = SETTERS[_kind(path)]
    for name in names:
        setter = getattr(library, name, None)
        if setter is not None:
            setter(getattr(ctypes, argument)(threads))
            return True
    return False


def _kind(path: str) -> str:
    name = os.path.basename(path)
    return next((kind for kind in SETTERS if name.startswith("lib") and kind in name), "")
