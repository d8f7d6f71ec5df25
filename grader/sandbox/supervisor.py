"""Start, talk to and kill worker processes (see `grader.sandbox.worker`).

Each worker runs in its own session (so its process group holds everything it starts), with closed
stdin, a scratch working directory, its output in a size-limited file, a memory cap, and a
wall-clock limit on every request. On timeout or at the end the whole group is killed, SIGKILL
after a short grace; processes that escaped the group are found by a token in their environment.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox import wire
from grader.sandbox.procfs import live_pids, stat_fields
from grader.sandbox.zygote import TOKEN_VAR, ForkedProcess, Zygote

FRAME = struct.Struct("<Q")
MAX_REPLY = 512 * 1024 * 1024
PIPE_SIZE = 1024 * 1024
DEFAULT_MEMORY = 2 * 1024**3
OUTPUT_FILE_LIMIT = 32 * 1024 * 1024
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


@dataclass
class Limits:
    memory: int = DEFAULT_MEMORY
    output: int = OUTPUT_FILE_LIMIT
    startup: float = 30.0

    def memory_text(self) -> str:
        gib = self.memory / 1024**3
        return f"{gib:g} GiB" if gib >= 1 else f"{self.memory // 1024**2} MiB"


class WorkerDied(Exception):
    """The worker stopped answering: `cause` says why, in the learner's terms."""

    def __init__(self, cause: str, kind: str):
        super().__init__(cause)
        self.cause = cause
        self.kind = kind


_zygotes: dict[int, Zygote] = {}


def shared_zygote() -> Zygote | None:
    """This process's fork server (see `grader.sandbox.zygote`), started on first use and
    again if it died; a process forked from this one gets its own. None where it cannot run (no
    SOCK_SEQPACKET, as on macOS): workers are then started from scratch."""
    zygote = _zygotes.get(os.getpid())
    if zygote is None or not zygote.alive():
        try:
            zygote = _zygotes[os.getpid()] = Zygote(worker_env(""))
        except (OSError, AttributeError):
            return None
        atexit.register(zygote.close)
    return zygote


def worker_env(token: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PYTHONSTARTUP", "PYTHONINSPECT", "PYTHONBREAKPOINT"):
        env.pop(name, None)
    env.update({
        TOKEN_VAR: token,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(
            p for p in (PACKAGE_PARENT, os.environ.get("PYTHONPATH", "")) if p
        ),
        # One thread each: numbers do not depend on the machine, and a worker uses one core.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NO_COLOR": "1",
    })
    return env


class Worker:
    """One worker process and its two pipes: forked by `zygote` when given, else spawned."""

    def __init__(self, limits: Limits | None = None, zygote: Zygote | None = None):
        self.limits = limits or Limits()
        self.token = uuid.uuid4().hex
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-worker-"))
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        for fd in (self.req_w, rep_w):
            _widen(fd)
        self.output = open(self.scratch / "output.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc: subprocess.Popen | ForkedProcess
        if zygote is not None and zygote.alive():
            try:
                self.proc = zygote.spawn([req_r, rep_w, self.output.fileno()], str(self.scratch),
                                         self.token, self.limits.memory, self.limits.output)
            except OSError:
                self._spawn(req_r, rep_w)
        else:
            self._spawn(req_r, rep_w)
        os.close(req_r)
        os.close(rep_w)
        self.ready = False
        self.stopped = False

    def _spawn(self, req_r: int, rep_w: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.worker", str(req_r), str(rep_w),
             str(self.limits.memory), str(self.limits.output)],
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=self.output,
            cwd=self.scratch,
            env=worker_env(self.token),
            pass_fds=(req_r, rep_w),
            start_new_session=True,
        )

    def wait_ready(self) -> None:
        if not self.ready:
            self._receive(self.limits.startup)
            self.ready = True

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait up to `timeout` seconds for its reply."""
        self.wait_ready()
        try:
            self._send(message)
        except OSError:
            raise self._death(timeout) from None
        return self._receive(timeout)

    def _send(self, message: dict[str, Any]) -> None:
        payload = wire.encode(message)
        view = memoryview(FRAME.pack(len(payload)) + payload)
        while view:
            view = view[os.write(self.req_w, view):]

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        header = self._read(FRAME.size, deadline, timeout)
        (size,) = FRAME.unpack(header)
        if size > MAX_REPLY:
            self.kill()
            raise WorkerDied(
                f"returned more than {MAX_REPLY // 1024**2} MB of data", "too_big"
            )
        body = self._read(size, deadline, timeout)
        try:
            reply = wire.decode(body)
        except Exception:
            self.kill()
            raise WorkerDied("sent back data the grader could not read", "garbled") from None
        if not isinstance(reply, dict):
            self.kill()
            raise WorkerDied("sent back data the grader could not read", "garbled")
        return reply

    def _read(self, size: int, deadline: float, timeout: float) -> bytes:
        chunks: list[bytes] = []
        while size:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.rep_r], [], [], max(left, 0))
            if not ready:
                self.kill()
                raise WorkerDied(
                    f"stopped after {timeout:g} s: an endless loop, or far too slow?", "timeout"
                )
            chunk = os.read(self.rep_r, min(size, 1 << 20))
            if not chunk:
                raise self._death(timeout)
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _death(self, timeout: float) -> WorkerDied:
        try:
            code: int | None = self.proc.wait(timeout=min(timeout, 2.0))
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        return WorkerDied(*explain_exit(self.proc.returncode if code is None else code,
                                        self.limits))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """End the worker's whole process group, and anything that escaped it."""
        kill_group(self.proc.pid)
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        sweep_token(self.token)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.alive() and self.ready:
            try:
                self._send({"op": "stop"})
                self.proc.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.output.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _widen(fd: int) -> None:
    """Ask Linux for a 1 MiB pipe buffer: arrays cross in far fewer wake-ups than with 64 KiB."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        try:
            fcntl.fcntl(fd, setsize, PIPE_SIZE)
        except OSError:
            pass  # above /proc/sys/fs/pipe-max-size: keep the default


def explain_exit(code: int | None, limits: Limits) -> tuple[str, str]:
    if code is None:
        return "the worker stopped answering", "crash"
    if code < 0:
        sig = -code
        if sig == signal.SIGXFSZ:
            return (f"wrote more than {limits.output // 1024**2} MB of output", "output")
        if sig == signal.SIGKILL:
            return (f"was killed, most likely for going over the {limits.memory_text()} memory "
                    "limit", "memory")
        if sig == signal.SIGSEGV:
            return ("crashed with a segmentation fault (often a sign of running out of memory "
                    "or of endless recursion in C code)", "crash")
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return (f"was stopped by signal {name}", "crash")
    return (f"ended the process with exit code {code} in the middle of the check: did your code "
            "call os._exit() or kill itself?", "exit")


def kill_group(pid: int, grace: float = 0.2) -> None:
    """SIGTERM the process group, then SIGKILL it if anything is left after `grace` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:
        pass
    end = time.monotonic() + grace
    while time.monotonic() < end:
        if not _group_alive(pid):
            return
        time.sleep(0.01)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader keeps the group "alive" until it is reaped; look for live members.
    if not Path("/proc").is_dir():
        return True
    for pid in live_pids():
        fields = stat_fields(pid)
        if fields is not None and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def sweep_token(token: str) -> None:
    """Kill processes (Linux) that carry this worker's token but left its process group."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    needle = f"{TOKEN_VAR}={token}".encode()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue
