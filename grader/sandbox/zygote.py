"""A fork server for workers: one process imports numpy and the worker code once, then forks a
fresh worker per request in a few milliseconds instead of starting Python and numpy again.

Each forked worker gets exactly what a spawned one gets (see `grader.sandbox.supervisor`): its
own session, stdin from /dev/null, stdout/stderr into its output file, a scratch working folder,
its own token, resource limits, and its request/reply pipes, passed over a Unix socket with
SCM_RIGHTS."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

from grader.sandbox.procfs import stat_fields

TOKEN_VAR = "GRADER_WORKER_TOKEN"


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
            pass_fds=(theirs.fileno(),), env={**env, TOKEN_VAR: ""},
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        theirs.close()

    def _ask(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        socket.send_fds(self.sock, [json.dumps(message).encode()], fds or [])
        reply = self.sock.recv(65536)
        if not reply:
            raise OSError("the zygote is gone")
        return json.loads(reply)

    def spawn(self, fds: list[int], cwd: str, token: str, memory: int, output: int
              ) -> ForkedProcess:
        reply = self._ask({"op": "spawn", "cwd": cwd, "token": token, "memory": memory,
                           "output": output}, fds)
        return ForkedProcess(self, int(reply["pid"]))

    def exit_code(self, pid: int, timeout: float) -> int | None:
        return self._ask({"op": "wait", "pid": pid, "timeout": timeout})["code"]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.sock.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _child(fds: list[int], request: dict[str, Any], sock: socket.socket) -> None:
    """Become a worker (never returns)."""
    try:
        from grader.sandbox import worker

        sock.close()
        os.setsid()
        req_r, rep_w, out = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        os.chdir(request["cwd"])
        os.environ[TOKEN_VAR] = request["token"]
        worker.set_limits(int(request["memory"]), int(request["output"]))
        server = worker.Server()
        worker.send(rep_w, server.wire.encode({"ok": True, "ready": True}))
        server.serve(req_r, rep_w)
    finally:
        os._exit(0)


def serve(sock: socket.socket) -> None:
    import numpy  # noqa: F401 - imported once here, inherited by every fork

    from grader.sandbox import wire, worker  # noqa: F401

    codes: dict[int, int] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 65536, 8)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                _child(fds, request, sock)
            for fd in fds:
                os.close(fd)
            reply: dict[str, Any] = {"pid": pid}
        else:
            reply = {"code": _wait(int(request["pid"]), float(request["timeout"]), codes)}
        sock.send(json.dumps(reply).encode())


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
