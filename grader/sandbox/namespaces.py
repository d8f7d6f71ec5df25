"""Namespaces and a pids cgroup for a worker: its own processes, network, IPC and mounts.

The keeper (see `grader.sandbox.keeper`) unshares new PID, network, IPC, UTS and mount
namespaces, inside a new user namespace when the grader is not root, and forks the worker, which
becomes PID 1 of the new PID namespace: when it dies, the kernel kills every process it started,
whatever they did to their session or environment. The network namespace has no interface but a
loopback that is down. In the mount namespace the worker's writable folder is a size-capped
tmpfs. As root, a pids cgroup also bounds how many processes the worker may have at once.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 0x4000, 1 << 18
PIDS_V1 = Path("/sys/fs/cgroup/pids")
USERNS = "in a user namespace"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare() -> str:
    """New PID (for the next child), network, IPC, UTS and mount namespaces; returns a
    description. Raises OSError where the kernel refuses."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS
    in_userns = os.geteuid() != 0
    if in_userns:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")
    if in_userns:  # map our own ids only: nothing else exists in there
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return "pid, net, ipc, uts, mount" + (f" {USERNS}" if in_userns else "")


def mount_scratch(work: str, size: int, inodes: int, uid: int | None) -> None:
    """Keep our mounts private, then give `work` a fresh tmpfs of `size` bytes."""
    _check(_libc.mount(None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None),
           "mount --make-rprivate /")
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    options = f"size={int(size)},nr_inodes={int(inodes)},mode=0700{owner}".encode()
    _check(_libc.mount(b"tmpfs", work.encode(), b"tmpfs",
                       ctypes.c_ulong(MS_NOSUID | MS_NODEV), options), "mount tmpfs")


def pids_cgroup(pid: int, limit: int) -> Path | None:
    """Put `pid` in a new pids cgroup (v1 hierarchy, root only) capped at `limit` processes;
    None where none can be made. The caller removes it with `remove_cgroup` when `pid` is gone."""
    if os.geteuid() != 0 or not (PIDS_V1 / "cgroup.procs").is_file():
        return None
    group = PIDS_V1 / "grader" / str(pid)
    try:
        group.mkdir(parents=True, exist_ok=True)
        (group / "pids.max").write_text(str(limit))
        (group / "cgroup.procs").write_text(str(pid))
    except OSError:
        remove_cgroup(group)
        return None
    return group


def remove_cgroup(group: Path) -> None:
    try:
        group.rmdir()
    except OSError:
        pass
