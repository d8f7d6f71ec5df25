"""A seccomp filter for the worker: the system calls no numpy exercise needs and an attack would.

Landlock and the namespaces leave a few doors that a syscall filter closes: `socket()` (a unix
socket bound to a path reaches a service whatever the network namespace; io_uring could open one
without the syscall), new namespaces (a learner's own user namespace regains capabilities over
root-owned files when the worker keeps uid 0), `ptrace`, other processes' memory, BPF and the
kernel keyring. Each is answered with an error (`clone3` with ENOSYS, so that glibc falls back to
`clone`, whose flags the filter can read); anything else passes. The filter is a classic BPF
program installed with `prctl(PR_SET_SECCOMP)` after `no_new_privs` is set, and is inherited by
every process the worker starts.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

from grader.sandbox import libc

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
LD_W_ABS, JEQ_K, JSET_K, JGE_K, RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
CLONE_NEW_ANY = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
X32_BIT = 0x40000000

# (audit arch, {name: number}) for the architectures the filter knows.
ARCHES = {
    "x86_64": (0xC000003E, {
        "socket": 41, "ptrace": 101, "unshare": 272, "setns": 308, "clone": 56, "clone3": 435,
        "io_uring_setup": 425, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
        "keyctl": 250, "add_key": 248, "request_key": 249, "mount": 165, "umount2": 166,
        "pivot_root": 155, "process_vm_readv": 310, "process_vm_writev": 311,
        "open_by_handle_at": 304, "kexec_load": 246, "init_module": 175, "finit_module": 313,
    }),
    "aarch64": (0xC00000B7, {
        "socket": 198, "ptrace": 117, "unshare": 97, "setns": 268, "clone": 220, "clone3": 435,
        "io_uring_setup": 425, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
        "keyctl": 219, "add_key": 217, "request_key": 218, "mount": 40, "umount2": 39,
        "pivot_root": 41, "process_vm_readv": 270, "process_vm_writev": 271,
        "open_by_handle_at": 265, "kexec_load": 104, "init_module": 105, "finit_module": 273,
    }),
}
DENIED = {name: errno.EPERM for name in ARCHES["x86_64"][1]}
DENIED.update(socket=errno.EACCES, clone3=errno.ENOSYS)
del DENIED["clone"]  # allowed, unless it asks for a new namespace


def supported() -> bool:
    return platform.system() == "Linux" and platform.machine() in ARCHES


def program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for `machine`."""
    arch, numbers = ARCHES[machine]
    prog = [(LD_W_ABS, 0, 0, 4), (JEQ_K, 1, 0, arch), (RET_K, 0, 0, RET_KILL_PROCESS),
            (LD_W_ABS, 0, 0, 0)]
    if machine == "x86_64":  # the x32 ABI's numbers would slip past the table below
        prog.append((JGE_K, 0, 1, X32_BIT))
        prog.append((RET_K, 0, 0, RET_ERRNO | errno.EPERM))
    for name, err in DENIED.items():
        prog.append((JEQ_K, 0, 1, numbers[name]))
        prog.append((RET_K, 0, 0, RET_ERRNO | err))
    # clone: deny new namespaces (flags are the first argument; their low 32 bits at offset 16)
    prog += [(JEQ_K, 0, 3, numbers["clone"]), (LD_W_ABS, 0, 0, 16),
             (JSET_K, 0, 1, CLONE_NEW_ANY), (RET_K, 0, 0, RET_ERRNO | errno.EPERM),
             (RET_K, 0, 0, RET_ALLOW)]
    return prog


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _packed(machine: str) -> bytes:
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program(machine))


PACKED = _packed(platform.machine()) if supported() else b""  # made once, in the zygote


def install() -> None:
    """Install the filter on this process (no_new_privs must already be set). Raises OSError."""
    raw = PACKED
    buffer = ctypes.create_string_buffer(raw, len(raw))
    fprog = _Fprog(len(raw) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc.call("prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)
