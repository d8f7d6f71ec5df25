"""Who a worker is: an unprivileged identity, no capabilities, no way to gain privileges.

When the grader runs as root and the Python installation is readable by others, the worker
becomes a uid and gid of its own with no supplementary groups (so RLIMIT_NPROC bounds its
processes and it owns nothing of the grader's). Otherwise it keeps the grader's uid but drops
every capability, the bounding set included, so an `execve` cannot bring them back. In both
cases `no_new_privs` is set. The grader's own processes are made non-dumpable, so a process of
the same uid can neither read their memory nor attach to them.
"""

from __future__ import annotations

import ctypes
import os

from grader.sandbox import libc

PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAP_VERSION_3 = 0x20080522



def _prctl(option: int, arg: int = 0) -> None:
    libc.call("prctl", option, ctypes.c_ulong(arg), 0, 0, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 40


LAST_CAP = _last_cap()  # read once, in the zygote


def drop_capabilities() -> None:
    """Empty the bounding, ambient, effective, permitted and inheritable sets."""
    for cap in range(LAST_CAP + 1):
        try:
            _prctl(PR_CAPBSET_DROP, cap)
        except OSError:
            pass  # not permitted (no CAP_SETPCAP): the capset below still empties the rest
    try:
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    header = _CapHeader(CAP_VERSION_3, 0)
    data = (_CapData * 2)()
    libc.call("capset", ctypes.byref(header), data)


def capabilities_left() -> int:
    """The effective capability mask of this process (0 when none are left)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def become(uid: int | None) -> str:
    """Take the worker's identity; returns a one-line description of it."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        drop_capabilities()  # none are left after the uid change; the bounding set goes too
        return f"uid {uid}, no groups, no capabilities"
    drop_capabilities()
    why = "Python not readable by others" if os.getuid() == 0 else "the grader is not root"
    return f"uid {os.getuid()} kept ({why}), no capabilities"


def no_new_privs() -> None:
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def dumpable(on: bool) -> None:
    """Off: no core dumps, no ptrace, no /proc/PID/mem for this process, even by its own uid
    (and its /proc files belong to root)."""
    _prctl(PR_SET_DUMPABLE, int(on))
