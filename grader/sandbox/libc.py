"""The C library calls the isolation layers make, with errors as OSError (ENOSYS where the
system has no such call, as on macOS), so a missing layer is reported, never a crash."""

from __future__ import annotations

import ctypes
import errno
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
PR_SET_PDEATHSIG = 1


def call(name: str, *args: object) -> int:
    """`name(*args)` from libc; raises OSError when it returns a negative number."""
    function = getattr(_libc, name, None)
    if function is None:
        raise OSError(errno.ENOSYS, f"{name}: not available on this system")
    result = function(*args)
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")
    return int(result)


def die_with_parent(signum: int) -> None:
    """Ask the kernel to send `signum` when our parent dies (Linux; elsewhere nothing)."""
    try:
        call("prctl", PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except OSError:
        pass
