"""The keeper: the small process between the grader (or its zygote) and a worker.

It never runs learner code. It unshares the namespaces, forks the worker (PID 1 of the new PID
namespace), puts it in a pids cgroup where it can, tells the grader the worker's pid in a first
frame written before the worker may start, then waits for it and exits with its status (a signal
`s` as exit code 128 + s). If its own parent dies it kills the worker. Run as
`python -m grader.sandbox.keeper FDS PLAN` where no zygote is available.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any, NoReturn

from grader.sandbox import identity, libc, namespaces
from grader.sandbox.confine import OFF
from grader.sandbox.namespaces import USERNS
from grader.sandbox.policy import Plan


def run(fds: list[int], plan_doc: dict[str, Any]) -> NoReturn:
    """Become the keeper of one worker (never returns)."""
    try:
        _keep(fds, plan_doc)
    except BaseException:  # the grader reads the exit code; the traceback goes to the output file
        import traceback

        traceback.print_exc()
    finally:
        os._exit(125)


def _keep(fds: list[int], plan_doc: dict[str, Any]) -> NoReturn:
    from grader.sandbox import wire, worker

    req_r, rep_w, out, stack, *shared = fds  # and the shared region's memfd, if made
    region = shared[0] if shared else -1
    plan = Plan(**plan_doc)
    if os.getsid(0) != os.getpid():  # spawned with a session of its own already
        os.setsid()
    libc.die_with_parent(signal.SIGTERM)
    layers: dict[str, str] = {}
    identity.dumpable(True)  # our own /proc/self/uid_map stays writable by our own uid
    try:
        layers["namespaces"] = namespaces.unshare()
    except OSError as exc:
        layers["namespaces"] = f"{OFF}{exc}"
    identity.dumpable(False)
    if plan.uid is not None:
        plan.uid += os.getpid()  # a uid of its own: no other process shares its limits
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        if os.read(go_r, 2) != b"go":  # wait until the keeper has spoken for us
            os._exit(0)  # the keeper died first: nobody knows our pid, so never run
        os.close(go_r)
        worker.run(req_r, rep_w, out, stack, region, plan, dict(layers))
    os.close(go_r)
    groups = namespaces.cgroups(pid, int(plan.limits["processes"]), int(plan.limits["memory"]))
    layers["processes"] = _processes(groups, plan, layers["namespaces"])
    pidns = not layers["namespaces"].startswith(OFF)
    wire.send(rep_w, wire.encode({"keeper": True, "pid": pid, "pidns": pidns,
                                  "layers": layers}))
    for fd in fds:
        os.close(fd)

    def end(signum: int, frame: Any) -> None:
        # Also sent (by the zygote, when the grader is done) while the worker is being reaped
        # below, or once it has been: then there is no worker left to kill or wait for.
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        namespaces.release(groups)
        os._exit(128 + signal.SIGKILL)

    signal.signal(signal.SIGTERM, end)
    os.write(go_w, b"go")
    os.close(go_w)
    _, status = os.waitpid(pid, 0)
    namespaces.release(groups)
    os._exit(encode_status(status))


def _processes(cgroups: list[str], plan: Plan, userns: str) -> str:
    limit = int(plan.limits["processes"])
    if "pids" in cgroups:
        memory = f"; memory cgroup, {int(plan.limits['memory']) // 1024**2} MiB in all" \
            if "memory" in cgroups else ""
        return f"pids cgroup, at most {limit}{memory}"
    if plan.uid is not None:
        return f"RLIMIT_NPROC {limit} for the worker's own uid"
    if USERNS in userns:
        return f"RLIMIT_NPROC {limit}, counted in the worker's own user namespace"
    if os.getuid() == 0:
        return OFF + "no pids cgroup here, and uid 0 is exempt from RLIMIT_NPROC"
    return OFF + "no pids cgroup here; RLIMIT_NPROC would count all the user's processes"


def encode_status(status: int) -> int:
    """A wait status as an exit code: a signal `s` as 128 + s, an exit code up to 127."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return min(os.waitstatus_to_exitcode(status), 127)


def decode_exit(code: int | None) -> int | None:
    """The inverse of `encode_status` on the keeper's exit code: negative for a signal."""
    if code is None or code < 128:
        return code
    return -(code - 128)


if __name__ == "__main__":
    run([int(fd) for fd in sys.argv[1].split(",")], json.loads(sys.argv[2]))
