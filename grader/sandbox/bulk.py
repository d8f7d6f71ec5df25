"""A memory region the grader shares with one worker, for the large arrays of a message.

Why: an array sent through a pipe is copied into the kernel and out again, in 1 MiB pieces,
while the other side spins on the pipe's lock waiting for each one. Measured on 2 cores, a
4 MB list of weight matrices cost about 3.5 ms of CPU per crossing, and a student's 74 MB of
arrays most of 60 ms. Through this region an array crosses with one copy in and one copy out.

Only bytes cross here; what they mean (dtype, shape, which array) still comes through the pipe
and is validated as before (`grader.sandbox.wire`). The region is a sealed memfd of fixed size:
a worker can neither shrink it (a read of the grader's past the end would kill the grader with
SIGBUS) nor grow it. Each side writes only between receiving a message and sending the next,
and copies out what it reads before it answers, so honest traffic never overlaps. A hostile
worker that writes here at other times changes only numbers of its own answer, or of its own
next inputs: the grader never reads back what it wrote, and keeps its own arrays.
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os

SIZE = 16 * 1024**2  # bytes: the largest arrays of the deck's messages (4 MB) with room to spare
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value


def _map(fd: int) -> memoryview:
    """The file mapped shared, as bytes. Through libc, not `mmap.mmap`, which keeps a copy of
    the fd open for as long as the mapping lives."""
    address = _libc.mmap(None, SIZE, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED, fd, 0)
    if address in (None, _MAP_FAILED):
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return memoryview((ctypes.c_char * SIZE).from_address(address)).cast("B")


def release(region: memoryview) -> None:
    """Unmap a region; `region` must not be used after."""
    address = ctypes.addressof(region.obj)
    region.release()
    _libc.munmap(address, SIZE)


def create() -> tuple[int, memoryview] | None:
    """A new region (its fd for the worker, its mapping for us), or None where Linux cannot
    make a sealed memfd: then every array crosses through the pipe."""
    try:
        fd = os.memfd_create("grader-arrays", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    except (AttributeError, OSError):
        return None
    try:
        os.ftruncate(fd, SIZE)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        return fd, _map(fd)
    except (AttributeError, OSError, ValueError):
        os.close(fd)
        return None


def attach(fd: int) -> memoryview | None:
    """The worker's mapping of the region the grader made, its fd closed (nothing else of the
    worker's can reach the file); None when there is none (`fd` < 0) or it is not `SIZE`."""
    if fd < 0:
        return None
    try:
        if os.fstat(fd).st_size != SIZE:
            return None
        return _map(fd)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
