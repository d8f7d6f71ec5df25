"""Namespaces and a pids cgroup for a worker: its own processes, network, IPC and mounts.

The keeper (see `grader.sandbox.keeper`) unshares new PID, network, IPC, UTS and mount
namespaces, inside a new user namespace when the grader is not root, and forks the worker, which
becomes PID 1 of the new PID namespace: when it dies, the kernel kills every process it started,
whatever they did to their session or environment. The network namespace has no interface but a
loopback that is down. In the mount namespace the worker's writable folder is a size-capped
tmpfs. As root, pids and memory cgroups also bound how many processes the worker may have at
once and how much memory they may use together.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from grader.sandbox import libc

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 0x4000, 1 << 18
CGROUP_V1 = Path("/sys/fs/cgroup")
USERNS = "in a user namespace"

def unshare() -> str:
    """New PID (for the next child), network, IPC, UTS and mount namespaces; returns a
    description. Raises OSError where the kernel refuses."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS
    in_userns = os.geteuid() != 0
    if in_userns:
        flags |= CLONE_NEWUSER
    libc.call("unshare", ctypes.c_int(flags))
    if in_userns:  # map our own ids only: nothing else exists in there
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    return "pid, net, ipc, uts, mount" + (f" {USERNS}" if in_userns else "")


def mount_scratch(work: str, size: int, inodes: int, uid: int | None) -> None:
    """Keep our mounts private, then give `work` a fresh tmpfs of `size` bytes."""
    libc.call("mount", None, b"/", None, ctypes.c_ulong(MS_REC | MS_PRIVATE), None)
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    options = f"size={int(size)},nr_inodes={int(inodes)},mode=0700{owner}".encode()
    libc.call("mount", b"tmpfs", work.encode(), b"tmpfs", ctypes.c_ulong(MS_NOSUID | MS_NODEV),
              options)


def cgroups(pid: int, processes: int, memory: int) -> list[str]:
    """Put `pid` in cgroups of its own (v1 hierarchies, root only) that cap its processes and
    the memory of all of them together; the controllers that took it. `release` removes them."""
    if os.geteuid() != 0:
        return []
    taken = []
    for controller, files in (("pids", {"pids.max": processes}),
                              ("memory", {"memory.limit_in_bytes": memory})):
        hierarchy = CGROUP_V1 / controller
        if not (hierarchy / "cgroup.procs").is_file():
            continue
        _sweep(hierarchy / "grader")
        group = hierarchy / "grader" / str(os.getpid())
        try:
            group.mkdir(parents=True, exist_ok=True)
            for name, value in files.items():
                (group / name).write_text(str(value))
            (group / "cgroup.procs").write_text(str(pid))
            taken.append(controller)
        except OSError:
            _remove(group)
    return taken


def release(controllers: list[str]) -> None:
    """Remove this keeper's cgroups (its worker is gone)."""
    for controller in controllers:
        _remove(CGROUP_V1 / controller / "grader" / str(os.getpid()))


def _sweep(parent: Path) -> None:
    """Remove the cgroups of keepers that died without removing their own."""
    try:
        names = [n for n in os.listdir(parent) if n.isdigit()]
    except OSError:
        return
    for name in names:
        try:
            os.kill(int(name), 0)
        except ProcessLookupError:
            _remove(parent / name)
        except PermissionError:
            pass


def _remove(group: Path) -> None:
    try:
        group.rmdir()
    except OSError:
        pass
