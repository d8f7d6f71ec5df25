"""Confine the worker, in order, before any learner code runs: mounts, identity, no_new_privs,
resource limits, Landlock, seccomp.

Each layer is independent (nsjail's and bubblewrap's approach): one the machine lacks is
reported, not faked, and in strict mode (`--sandbox strict`) a missing layer stops the worker
before it says it is ready. What each layer stops is in docs/security.md.
"""

from __future__ import annotations

import os
import resource

from grader.sandbox import identity, landlock, namespaces, seccomp
from grader.sandbox.policy import LAYERS, MAX_OPEN_FILES, SCRATCH_INODES, Plan

OFF = "off: "  # a layer's description starts with this when it is not active


def set_limits(limits: dict[str, float], processes: bool) -> str:
    """Hard limits (soft = hard), which an unprivileged process can lower but never raise."""
    chosen = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_NOFILE, MAX_OPEN_FILES),
              (resource.RLIMIT_AS, int(limits["memory"])),
              (resource.RLIMIT_FSIZE, int(limits["output"])),
              (resource.RLIMIT_CPU, int(limits["cpu"]))]
    if processes:
        chosen.append((resource.RLIMIT_NPROC, int(limits["processes"])))
    missed = []
    for kind, value in chosen:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            missed.append(str(kind))
    return f"{OFF}could not set {', '.join(missed)}" if missed else \
        "memory, file size, CPU time, open files" + (", processes" if processes else "")


def apply(plan: Plan, layers: dict[str, str]) -> dict[str, str]:
    """Confine this process as `plan` says; `layers` already holds what the keeper did (its
    namespaces and the bound on processes). Returns every layer's description."""
    limits = plan.limits
    uid = plan.uid
    if layers.get("namespaces", OFF).startswith(OFF):
        layers["scratch_disk"] = OFF + "no mount namespace"
    else:
        try:
            namespaces.mount_scratch(plan.work_dir, int(limits["disk"]), SCRATCH_INODES, uid)
            layers["scratch_disk"] = f"tmpfs of {int(limits['disk']) // 1024**2} MiB"
        except OSError as exc:
            layers["scratch_disk"] = f"{OFF}{exc}"
    if uid is not None and layers["scratch_disk"].startswith(OFF):
        os.chown(plan.work_dir, uid, uid)
    try:
        layers["identity"] = identity.become(uid)
    except OSError as exc:
        layers["identity"] = f"{OFF}{exc}"
    try:
        identity.no_new_privs()
        layers["no_new_privs"] = "set"
    except OSError as exc:
        layers["no_new_privs"] = f"{OFF}{exc}"
    os.chdir(plan.work_dir)
    layers["rlimits"] = set_limits(limits, processes=uid is not None or
                                   namespaces.USERNS in layers.get("namespaces", ""))
    version = landlock.abi()
    if version == 0:
        layers["landlock"] = OFF + "not supported by this kernel"
    else:
        try:
            landlock.restrict(plan.rules(), version)
            scope = ", signals and abstract sockets scoped" if version >= 6 else ""
            tcp = ", TCP denied" if version >= 4 else ""
            layers["landlock"] = f"ABI {version}: read-only system and Python, " \
                                 f"writes only in scratch{tcp}{scope}"
        except OSError as exc:
            layers["landlock"] = f"{OFF}{exc}"
    if not seccomp.supported():
        layers["seccomp"] = OFF + "no filter for this architecture"
    elif layers["no_new_privs"].startswith(OFF):
        layers["seccomp"] = OFF + "needs no_new_privs"
    else:
        try:
            seccomp.install()
            layers["seccomp"] = "socket, namespaces, ptrace, io_uring, bpf, keyring denied"
        except OSError as exc:
            layers["seccomp"] = f"{OFF}{exc}"
    return layers


def missing(layers: dict[str, str]) -> dict[str, str]:
    """The layers that are not active, with the reason."""
    return {name: layers.get(name, OFF + "not reported").removeprefix(OFF)
            for name in LAYERS if layers.get(name, OFF).startswith(OFF)}
