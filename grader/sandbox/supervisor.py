"""Start, talk to and kill worker processes (see `grader.sandbox.worker`).

A worker is forked from this process's zygote (or spawned where none can run) through a keeper
(`grader.sandbox.keeper`) that puts it in its own namespaces and tells us its pid before it may
run. It gets a scratch folder of its own (`src/` holds the grader's copy of the learner's file,
`work/` is its only writable place), an output file capped by RLIMIT_FSIZE, and a wall-clock
limit on every request. Replies are size-checked before they are read and every field is
bounded: the grader trusts nothing the worker says about itself. A worker is killed with
SIGKILL through a pidfd; as PID 1 of its PID namespace it takes every process it started along.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from grader import blas_threads, heap
from grader.errors import GraderError
from grader.sandbox import bulk, confine, keeper, procfs, wire
from grader.sandbox.policy import MODES, Limits, make_plan
from grader.sandbox.source import Source
from grader.sandbox.wire import FRAME
from grader.sandbox.zygote import ForkedProcess, Zygote, wait_at_exit

PIPE_SIZE = 1024 * 1024
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
OUTPUT_CHARS = 8192  # printed output kept per request, as the worker also keeps it
STACK_BYTES = 65536
NOTED = "GRADER_SANDBOX_NOTED"
SITE_PACKAGES = re.compile(r"(?<![\w/.-])/[^\s:\"']*/(?:site|dist)-packages/")


def sandbox_mode() -> str:
    """`auto` uses every layer the machine offers; `strict` refuses a worker that lacks one
    (`grader --sandbox strict`, or GRADER_SANDBOX=strict)."""
    mode = os.environ.get("GRADER_SANDBOX", "auto") or "auto"
    if mode not in MODES:
        raise GraderError(f"GRADER_SANDBOX takes {' or '.join(MODES)}, not {mode!r}")
    return mode


class WorkerDied(Exception):
    """The worker stopped answering: `cause` says why, in the learner's terms; `frames` is where
    the learner's code was when it was stopped for taking too long (innermost last)."""

    def __init__(self, cause: str, kind: str, frames: list[dict[str, Any]] | None = None):
        super().__init__(cause)
        self.cause = cause
        self.kind = kind
        self.frames = frames or []


class SandboxRefused(GraderError):
    """Strict mode, and this machine cannot give a worker every isolation layer."""


_zygotes: dict[int, Zygote] = {}


def shared_zygote() -> Zygote | None:
    """This process's fork server (see `grader.sandbox.zygote`), started on first use and
    again if it died; a process forked from this one gets its own. None where it cannot run (no
    SOCK_SEQPACKET, as on macOS): workers are then started from scratch."""
    zygote = _zygotes.get(os.getpid())
    if zygote is None or not zygote.alive():
        try:
            zygote = _zygotes[os.getpid()] = Zygote(worker_env())
        except (OSError, AttributeError):
            return None
    return zygote


def worker_env() -> dict[str, str]:
    """Only what a worker needs: never the grader's own variables (CI secrets, tokens)."""
    env = {name: os.environ[name] for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
           if name in os.environ}  # needed for correct results on some processors
    env.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": PACKAGE_PARENT,
        "NO_COLOR": "1",
        **heap.VARIABLES,  # freed arrays' memory reused, not faulted in again
        # One thread each, whatever the user set: a worker's numbers do not depend on the
        # machine, and a worker uses one core.
        **dict.fromkeys(blas_threads.VARIABLES, "1"),
    })
    return env


class Worker:
    """One worker process and its two pipes: forked by `zygote` when given, else spawned."""

    def __init__(self, limits: Limits | None = None, zygote: Zygote | None = None):
        from grader.sandbox import identity

        identity.dumpable(False)  # no process of our uid may read or trace the grader
        self.limits = limits or Limits()
        self.mode = sandbox_mode()
        self.scratch = Path(tempfile.mkdtemp(prefix="grader-worker-"))
        os.chmod(self.scratch, 0o711)
        (self.scratch / "src").mkdir(mode=0o755)
        (self.scratch / "work").mkdir(mode=0o700)
        plan = make_plan(self.scratch, self.limits, self.mode).to_dict()
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        for fd in (self.req_w, rep_w):
            _widen(fd)
        self.output = open(self.scratch / "output.log", "wb")  # noqa: SIM115 - closed in stop()
        self.stack = open(self.scratch / "stack.txt", "w+b")  # noqa: SIM115 - closed in stop()
        fds = [req_r, rep_w, self.output.fileno(), self.stack.fileno()]
        shared = bulk.create()  # large arrays cross here, not through the pipes
        self.region = shared[1] if shared else None
        if shared:
            fds.append(shared[0])
        self.proc: subprocess.Popen | ForkedProcess
        if zygote is not None and zygote.alive():
            try:
                self.proc = zygote.spawn(fds, plan)
            except OSError:
                self._spawn(fds, plan)
        else:
            self._spawn(fds, plan)
        for fd in (req_r, rep_w, *fds[4:]):
            os.close(fd)
        self.pid = 0  # the worker's pid (the keeper's child), once the keeper has told us
        self.pidfd: int | None = None
        self.pidns = False
        self.layers: dict[str, str] = {}
        self.ready = False
        self.stopped = False
        self.source_name = ""

    def _spawn(self, fds: list[int], plan: dict[str, Any]) -> None:
        import json

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "grader.sandbox.keeper", ",".join(map(str, fds)),
             json.dumps(plan)],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=self.output,
            cwd=self.scratch, env=worker_env(), pass_fds=fds, start_new_session=True,
        )

    def wait_ready(self) -> None:
        """Read the keeper's frame (the worker's pid), then the worker's: ready, and the layers
        it is confined by (both written before any learner code could run)."""
        if self.ready:
            return
        first = self._receive(self.limits.startup)
        if not first.get("keeper") or not isinstance(first.get("pid"), int):
            self.kill()
            raise WorkerDied("could not be started", "crash")
        self.pid, self.pidns = first["pid"], bool(first.get("pidns"))
        try:
            self.pidfd = os.pidfd_open(self.pid)
        except (OSError, AttributeError):
            self.pidfd = None
        reply = self._receive(self.limits.startup)
        self.layers = {str(k): str(v) for k, v in
                       {**first.get("layers", {}), **reply.get("layers", {})}.items()}
        missing = "; ".join(f"{k}: {v}" for k, v in confine.missing(self.layers).items())
        if not reply.get("ready"):
            self.kill()
            raise SandboxRefused(f"--sandbox strict: this machine cannot isolate a worker fully "
                                 f"({missing}); see `grader doctor`")
        if missing and not os.environ.get(NOTED):
            os.environ[NOTED] = "1"  # once per run: processes forked later inherit it
            print(f"grader: learner code runs without some isolation here ({missing}); "
                  "`grader doctor` says more", file=sys.stderr)
        if self.region is not None and reply.get("shared") is not True:
            bulk.release(self.region)  # the worker could not map it: arrays take the pipe
            self.region = None
        self.ready = True

    def place(self, source: Source) -> str:
        """Copy the learner's code into the worker's read-only `src/`, as the only file there
        (a worker that served another of the owner's files imports none of it); the path it
        loads."""
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", source.name) or "learner.py"
        for old in (self.scratch / "src").iterdir():
            old.unlink()
        path = self.scratch / "src" / name
        # a new file, never through a link, whatever the folder holds
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as file:
            file.write(source.code)
        path.chmod(0o644)
        self.source_name = name
        return str(path)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request and wait up to `timeout` seconds for its reply."""
        self.wait_ready()
        try:
            self._send(message)
        except OSError:
            raise self._death(timeout) from None
        reply = bounded(self._receive(timeout))
        if "output" in reply:
            reply["output"] = self.short_paths(reply["output"])
        return reply

    def short_paths(self, text: str) -> str:
        """Printed output (warnings name files) with the learner's file by its own name and
        libraries from their package folder: no random scratch path, nothing of this machine's
        layout, the same text on every run."""
        text = text.replace(f"{self.scratch}/src/", "")
        return SITE_PACKAGES.sub("", text)

    def _send(self, message: dict[str, Any]) -> None:
        wire.send(self.req_w, wire.encode_parts(message, self.region))

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        header = memoryview(bytearray(FRAME.size))
        self._fill(header, deadline, timeout)
        (size,) = FRAME.unpack(header)
        if size > self.limits.reply:
            self.kill()
            raise WorkerDied(f"returned more than {self.limits.reply // 1024**2} MB of data",
                             "too_big")
        try:
            reply = wire.read_message(lambda buffer: self._fill(buffer, deadline, timeout), size,
                                      self.region)
        except WorkerDied:
            raise
        except Exception:
            self.kill()
            raise WorkerDied("sent back data the grader could not read", "garbled") from None
        if not isinstance(reply, dict):
            self.kill()
            raise WorkerDied("sent back data the grader could not read", "garbled")
        return reply

    def _fill(self, buffer: memoryview, deadline: float, timeout: float) -> None:
        """Fill `buffer` with the reply's next bytes by the deadline."""
        while buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.rep_r], [], [], max(left, 0))
            if not ready:
                frames = self.sample_stack()
                self.kill()
                raise WorkerDied(
                    f"stopped after {timeout:g} s: an endless loop, or far too slow?", "timeout",
                    frames)
            got = os.readv(self.rep_r, [buffer])
            if not got:
                raise self._death(timeout)
            buffer = buffer[got:]

    def sample_stack(self) -> list[dict[str, Any]]:
        """Where the learner's code is now: ask the worker's faulthandler for a stack dump
        (SIGUSR1) and keep the frames in the learner's file, innermost last."""
        if not self.ready or not self.source_name:
            return []
        self.stack.seek(0)
        self.stack.truncate()
        if not self._signal(signal.SIGUSR1):
            return []
        text = b""
        for _ in range(20):
            time.sleep(0.01)
            self.stack.seek(0)
            text = self.stack.read(STACK_BYTES)
            if text.endswith(b"\n") and b"File" in text:
                break
        return stack_frames(text.decode("utf-8", "replace"), self.source_name,
                            self.scratch / "src" / self.source_name)

    def _signal(self, signum: int) -> bool:
        """Signal the worker (PID 1 of its namespace: its pidfd) or, without a PID namespace,
        its process group."""
        try:
            if not self.pid:
                return False
            if not self.pidns:
                os.killpg(self.pid, signum)
            elif self.pidfd is not None:
                signal.pidfd_send_signal(self.pidfd, signum)
            else:
                os.kill(self.pid, signum)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _death(self, timeout: float) -> WorkerDied:
        try:
            code: int | None = self.proc.wait(timeout=min(timeout, 2.0))
        except subprocess.TimeoutExpired:
            code = None
        self.kill()
        code = self.proc.returncode if code is None else code
        return WorkerDied(*explain_exit(keeper.decode_exit(code), self.limits))

    def cpu_seconds(self) -> float:
        """The CPU time the worker process has used so far (what RLIMIT_CPU counts); 0 when it
        is not known."""
        fields = procfs.stat_fields(self.pid) if self.pid else None
        if fields is None or len(fields) < 13:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        """Whether the worker can still answer: once it is ready, one poll of its pidfd (readable
        when it has ended), asked before every request; before that, its keeper's state."""
        if self.stopped:
            return False
        if self.pidfd is None:
            return self.proc.poll() is None
        ended, _, _ = select.select([self.pidfd], [], [], 0)
        return not ended

    def _kill_now(self) -> None:
        """SIGKILL the worker, or its keeper's group if the keeper never told us its pid."""
        if not self._signal(signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """SIGKILL the worker, and with it (PID 1 of its namespace) all it started; wait for
        its keeper's exit code."""
        self._kill_now()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass

    def stop(self) -> None:
        """Kill the worker and clean up without waiting for the kernel to tear its namespaces
        down: its zygote (or Popen) reaps it later."""
        if self.stopped:
            return
        self.stopped = True
        self._kill_now()
        if isinstance(self.proc, subprocess.Popen):
            wait_at_exit(self.proc.wait)  # a keeper we spawned: waited for before we exit
        for fd in (self.req_w, self.rep_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.output.close()
        self.stack.close()
        if self.region is not None:
            bulk.release(self.region)
            self.region = None
        shutil.rmtree(self.scratch, ignore_errors=True)


def bounded(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply with every field the grader reads about the call cut to a fixed size: printed
    output, messages, exception names and frames are the learner's to choose, not their size."""
    for key, size in (("output", OUTPUT_CHARS), ("message", 2000), ("type", 200),
                      ("text", 500), ("kind", 40)):
        if key in reply:
            value = str(reply[key]) if not isinstance(reply[key], str) else reply[key]
            if len(value) > size:
                value = value[:size] + f"\n… ({len(value) - size} more characters not shown)"
            reply[key] = value
    if "mro" in reply:
        reply["mro"] = [str(n)[:200] for n in list(reply["mro"])[:64]] \
            if isinstance(reply["mro"], list) else []
    if "frames" in reply:
        frames = reply["frames"] if isinstance(reply["frames"], list) else []
        reply["frames"] = [
            {"file": str(f.get("file", ""))[:200], "line": f.get("line") if
             isinstance(f.get("line"), int) else 0, "function": str(f.get("function", ""))[:200],
             "code": str(f.get("code", ""))[:300]}
            for f in frames[:13] if isinstance(f, dict)]
    return reply


def stack_frames(dump: str, name: str, source: Path) -> list[dict[str, Any]]:
    """The learner's frames in a faulthandler dump (`File "…", line N in f`), innermost last."""
    try:
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    frames = []
    for match in re.finditer(r'File "([^"]*)", line (\d+) in (\S+)', dump):
        path, line, function = match[1], int(match[2]), match[3]
        if os.path.basename(path) != name:
            continue
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        frames.append({"file": name, "line": line, "function": function, "code": code})
    return frames[::-1]


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
        if sig == signal.SIGXCPU:
            return (f"used more than {limits.cpu:g} s of CPU time", "timeout")
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


