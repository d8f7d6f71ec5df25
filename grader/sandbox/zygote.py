"""A fork server for workers: one process imports numpy and the worker code once, then forks a
keeper per worker in a few milliseconds instead of starting Python and numpy again.

Each forked keeper gets exactly what a spawned one gets (see `grader.sandbox.keeper`): its plan
and its four descriptors (request and reply pipes, output file, stack-sample file), passed over
a Unix socket with SCM_RIGHTS. The zygote runs with the worker's scrubbed environment, is
non-dumpable, and dies with the grader process that started it.

Every process is waited for by the one that started it (worker by keeper, keeper by zygote,
zygote by the grader process, even a pool process that leaves through `os._exit`), so the CPU
time and peak memory of all of them add up in the grader's own `RUSAGE_CHILDREN`, as `time`
and the benchmarks read it."""

from __future__ import annotations

import json
import multiprocessing.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.sandbox.procfs import stat_fields


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = stat_fields(pid)
    return fields is None or fields[0] != "Z"


def wait_at_exit(wait: Callable[[], object]) -> None:
    """Call `wait` (for a process we started) when this process ends: at interpreter exit, and
    in a pool process of `grader grade`, which leaves through os._exit (skipping atexit) right
    after multiprocessing's finalizers."""
    multiprocessing.util.Finalize(None, wait, exitpriority=0)


class ForkedProcess:
    """A worker forked by the zygote, with the part of `subprocess.Popen` the sandbox uses."""

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        # Ask the zygote (which reaps it) only once the process looks gone from here.
        if self.returncode is None and not _running(self.pid):
            self.returncode = self.zygote.exit_code(self.pid, 0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self.zygote.exit_code(self.pid, 3600.0 if timeout is None
                                                    else timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
        return self.returncode


class Zygote:
    """The grader's side of the fork server."""

    def __init__(self, env: dict[str, str]):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.zygote", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        theirs.close()
        wait_at_exit(self.close)

    def _ask(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        socket.send_fds(self.sock, [json.dumps(message).encode()], fds or [])
        reply = self.sock.recv(65536)
        if not reply:
            raise OSError("the zygote is gone")
        return json.loads(reply)

    def spawn(self, fds: list[int], plan: dict[str, Any]) -> ForkedProcess:
        """Fork a keeper for a worker with these descriptors and this plan."""
        reply = self._ask({"op": "spawn", "plan": plan}, fds)
        return ForkedProcess(self, int(reply["pid"]))

    def exit_code(self, pid: int, timeout: float) -> int | None:
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout})["code"]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        """End the zygote and wait for it: it stops the workers still running and waits for
        every keeper first (see `serve`). Safe to call again."""
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(sock: socket.socket) -> None:
    import numpy.random  # noqa: F401 - imported once here (numpy too), inherited by every fork

    from grader.sandbox import identity, keeper, libc, policy, wire, worker  # noqa: F401

    worker.warm()  # what every worker would otherwise do after its fork
    identity.dumpable(False)
    libc.die_with_parent(signal.SIGKILL)

    codes: dict[int, int] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 65536, 8)
        except OSError:
            data = b""
        if not data:  # the grader is done: stop what still runs, then wait for every keeper
            _end_keepers()
            return
        request = json.loads(data)
        _reap(codes)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                sock.close()
                keeper.run(fds, request["plan"])
            for fd in fds:
                os.close(fd)
            reply: dict[str, Any] = {"pid": pid}
        else:
            reply = {"code": _wait(int(request["pid"]), float(request["timeout"]), codes)}
        sock.send(json.dumps(reply).encode())


def _reap(codes: dict[int, int], keep: int = 1024) -> None:
    """Collect every keeper that has ended (stopped workers are not waited for one by one)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if not pid:
            break
        codes[pid] = os.waitstatus_to_exitcode(status)
    for pid in list(codes)[:-keep]:
        del codes[pid]


def _end_keepers() -> None:
    """SIGTERM every keeper not reaped yet (each kills its worker and waits for it), and wait
    for all of them."""
    for pid in _children():
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children() -> list[int]:
    """Our children not reaped yet (as Linux lists them; none where it cannot). A child's pid
    cannot be reused before we reap it, so signalling these reaches no one else."""
    try:
        text = Path(f"/proc/self/task/{os.getpid()}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def _wait(pid: int, timeout: float, codes: dict[int, int]) -> int | None:
    deadline = time.monotonic() + timeout
    while True:
        if pid in codes:
            return codes[pid]
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return codes.get(pid, 0)
        if done:
            codes[pid] = os.waitstatus_to_exitcode(status)
            return codes[pid]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.005)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
