"""A small ctypes binding to Linux Landlock: what a worker may read, write and connect to.

Landlock (kernel 5.13+, no privilege needed) lets a process restrict itself, irrevocably and for
everything it later starts: only the paths given rules stay reachable, with the rights given.
The worker applies it to itself after its imports and before the learner's code is loaded.

Each ABI version adds rights (2: REFER, 3: TRUNCATE, 4: TCP bind/connect, 5: IOCTL_DEV, 6: scoped
abstract unix sockets and signals); this binding asks the kernel for its ABI and handles every
right that version knows, so an unknown right is never silently left open.
Kernel documentation: Documentation/userspace-api/landlock.rst.
"""

from __future__ import annotations

import ctypes
import os
import platform
import stat
from dataclasses import dataclass

from grader.sandbox import libc

_SYSCALLS = {  # the same numbers on every architecture (added after the syscall tables merged)
    "create_ruleset": 444, "add_rule": 445, "restrict_self": 446,
}
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a file rule takes
READ = READ_FILE | READ_DIR
READ_EXEC = READ | EXECUTE
WRITE = (WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SYM | MAKE_FIFO
         | TRUNCATE)


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(name: str, *args: object) -> int:
    return libc.call("syscall", ctypes.c_long(_SYSCALLS[name]), *args)


def abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is absent or disabled."""
    if platform.system() != "Linux":
        return 0
    try:
        return _syscall("create_ruleset", None, ctypes.c_size_t(0),
                        ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


@dataclass(frozen=True)
class Rule:
    """`rights` (a mask of the constants above) on `path` and everything beneath it."""

    path: str
    rights: int


def restrict(rules: list[Rule], version: int) -> list[str]:
    """Restrict this process (and its future children) to `rules`, deny every TCP bind and
    connect (ABI 4+), and scope abstract unix sockets and signals to this domain (ABI 6+).
    Returns the paths that could not be given a rule (missing on this machine). Raises OSError
    when Landlock cannot be applied."""
    handled = _fs_rights(version)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = 24 if version >= 6 else 16 if version >= 4 else 8
    ruleset = _syscall("create_ruleset", ctypes.byref(attr), ctypes.c_size_t(size),
                       ctypes.c_uint32(0))
    skipped: list[str] = []
    try:
        for rule in rules:
            try:
                fd = os.open(rule.path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                skipped.append(rule.path)
                continue
            try:
                rights = rule.rights & handled
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FILE_RIGHTS
                beneath = _PathBeneath(rights, fd)
                _syscall("add_rule", ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(beneath), ctypes.c_uint32(0))
            finally:
                os.close(fd)
        _syscall("restrict_self", ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    return skipped
