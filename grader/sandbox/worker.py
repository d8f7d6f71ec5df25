"""The worker: the only process that runs the learner's code.

It is forked by its keeper (`grader.sandbox.keeper`) as PID 1 of its own namespaces, with stdin
closed, stdout/stderr in a size-capped file and two pipes for requests and replies. Before it
says it is ready it confines itself (`grader.sandbox.confine`); only then does it load the
learner's file (the grader's copy of it, in its scratch folder) and serve requests: call a
function, read a value. Only plain data (see `grader.sandbox.wire`) goes back, and the grader
trusts none of it beyond being the learner's answer."""

from __future__ import annotations

import faulthandler
import functools
import importlib.machinery
import io
import os
import random
import signal
import sys
import traceback
from typing import Any, NoReturn

from grader.sandbox import bulk, confine
from grader.sandbox.baseline import Baseline
from grader.sandbox.policy import Plan

OUTPUT_LIMIT = 8192  # characters of printed output kept per request
FRAMES_KEPT = 6  # traceback frames kept at each end of a long traceback


class BoundedText(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_LIMIT characters and counts the rest."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = OUTPUT_LIMIT - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n… ({self.dropped} more characters not shown)"
        return out


def read_into(fd: int, buffer: memoryview) -> None:
    """Fill `buffer` from `fd`; EOFError if the stream ends first."""
    while buffer:
        got = os.readv(fd, [buffer])
        if not got:
            raise EOFError
        buffer = buffer[got:]


def learner_frames(tb: Any, learner_files: set[str]) -> list[dict[str, Any]]:
    """The learner's own frames of a traceback (file, line, function, code)."""
    frames = [
        {
            "file": os.path.basename(f.filename),
            "line": f.lineno,
            "function": f.name,
            "code": (f.line or "").strip(),
        }
        for f in traceback.extract_tb(tb)
        if _realpath(f.filename) in learner_files
    ]
    if len(frames) > 2 * FRAMES_KEPT:
        skipped = len(frames) - 2 * FRAMES_KEPT
        gap = {"file": "", "line": 0, "function": f"… {skipped} more frames …", "code": ""}
        frames = [*frames[:FRAMES_KEPT], gap, *frames[-FRAMES_KEPT:]]
    return frames


_realpath = functools.lru_cache(maxsize=256)(os.path.realpath)  # a few lstat calls saved per
# frame of every traceback: a learner's file's path, and numpy's, never change in a worker


def error_reply(exc: BaseException, learner_files: set[str]) -> dict[str, Any]:
    message = _safe_str(exc)
    reply: dict[str, Any] = {
        "ok": False,
        "kind": "exception",
        "type": type(exc).__name__,
        "mro": [k.__name__ for k in type(exc).__mro__],
        "message": message[:2000],
        "frames": learner_frames(exc.__traceback__, learner_files),
    }
    if isinstance(exc, SyntaxError):
        reply["line"] = exc.lineno
        reply["text"] = (exc.text or "").rstrip("\n")
        reply["message"] = exc.msg
    if isinstance(exc, MemoryError):
        reply["kind"] = "memory"
    if isinstance(exc, SystemExit):
        reply["kind"] = "exit"
        reply["message"] = repr(exc.code)
    return reply


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:  # a hostile __str__
        return f"<{type(exc).__name__} whose message could not be read>"


class Server:
    """Serves one learner module at a time: each "load" replaces the one before."""

    def __init__(self) -> None:
        import numpy as np

        from grader.sandbox import globalrng, wire

        self.np = np
        self.wire = wire
        self.globalrng = globalrng
        self.module: Any = None
        self.learner_files: set[str] = set()
        self.baseline: Baseline | None = None

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "load":
            return self.load(request["path"], int(request.get("seed") or 0))
        if self.module is None:
            return {"ok": False, "kind": "internal", "message": "no module loaded"}
        name = request["name"]
        if op == "has":
            return {"ok": True, "value": hasattr(self.module, name)}
        if not hasattr(self.module, name):
            return {"ok": False, "kind": "missing", "message": name}
        target = getattr(self.module, name)
        if op == "get":
            return {"ok": True, "value": target}
        if not callable(target):
            return {"ok": False, "kind": "not_callable", "message": name,
                    "type": type(target).__name__}
        args, kwargs = request["args"], request["kwargs"]
        rngs = [a for a in (*args, *kwargs.values()) if isinstance(a, self.np.random.Generator)]
        times = request.get("times")
        reply: dict[str, Any] = {"ok": True}
        if times is None:
            reply["value"] = target(*args, **kwargs)
        else:  # repeat(): many arrays of one shape cross as one (see `wire.stack`)
            values = [target(*args, **kwargs) for _ in range(int(times))]
            stacked = self.wire.stack(values)
            if stacked is None:
                reply["value"] = values
            else:
                reply["rows"] = stacked
        reply["rngs"] = [self.wire.generator_state(r) for r in rngs]
        if request.get("return_inputs"):
            reply["inputs"] = [list(args), kwargs]
        return reply

    def load(self, path: str, seed: int) -> dict[str, Any]:
        """Import the learner's file, the global generators seeded first: code that (wrongly)
        draws from `np.random` or `random` gets the same numbers, and feedback, every time. A
        file after the first starts from the state the first one found (`Baseline`)."""
        import importlib.util

        folder = os.path.dirname(os.path.abspath(path))
        self.learner_files = {os.path.realpath(path)}
        if folder not in sys.path:
            sys.path.insert(0, folder)
        if self.baseline is None:
            self.baseline = Baseline(self.np, folder)
        else:
            self.module = None
            self.baseline.restore()
        self.np.random.seed(seed % 2**32)
        random.seed(seed)
        spec = importlib.util.spec_from_file_location("learner", path)
        if spec is None or spec.loader is None:
            return {"ok": False, "kind": "internal", "message": f"cannot import {path}"}
        module = importlib.util.module_from_spec(spec)
        sys.modules["learner"] = module
        spec.loader.exec_module(module)
        self.module = module
        return {"ok": True, "value": None}

    def serve(self, requests: int, replies: int, region: memoryview | None) -> None:
        rng = self.globalrng.GlobalRng()  # the global generators' state before each request
        while True:
            try:
                header = memoryview(bytearray(self.wire.FRAME.size))
                read_into(requests, header)
                request = self.wire.read_message(lambda buffer: read_into(requests, buffer),
                                                 self.wire.FRAME.unpack(header)[0], region)
            except EOFError:
                return
            if request.get("op") == "stop":
                return
            captured = BoundedText()
            sys.stdout = sys.stderr = captured
            try:
                reply = self.handle(request)
            except BaseException as exc:  # everything the learner raises, SystemExit included
                reply = error_reply(exc, self.learner_files)
            finally:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            reply["output"] = captured.text()
            reply["global_rng"] = rng.changed()
            try:
                payload = self.wire.encode_parts(reply, region)
            except self.wire.Unsupported as exc:
                payload = self.wire.encode({
                    "ok": False, "kind": "unsupported", "message": str(exc),
                    "output": reply["output"], "global_rng": reply["global_rng"],
                })
            except BaseException as exc:  # a hostile object in the value
                payload = self.wire.encode({
                    "ok": False, "kind": "unsupported",
                    "message": f"a value that could not be read ({type(exc).__name__})",
                    "output": reply["output"], "global_rng": reply["global_rng"],
                })
            self.wire.send(replies, payload)


def run(requests: int, replies: int, output: int, stack: int, region: int, plan: Plan,
        layers: dict[str, str]) -> NoReturn:
    """Become the worker: set up the standard streams, map the region shared with the grader
    (`grader.sandbox.bulk`; `region` is its fd, or -1), confine this process (see
    `grader.sandbox.confine`; `layers` says what the keeper did), say ready with the layers in
    force, then serve. Never returns."""
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        for fd in (devnull, output):
            os.close(fd)
        faulthandler.register(signal.SIGUSR1, file=stack, all_threads=False)
        shared = bulk.attach(region)
        server = Server()
        sys.path[:] = [plan.source_dir, *stdlib_paths()]
        importlib.machinery.PathFinder.find_spec("_grader_warm_")  # list each folder now:
        # Landlock lets the worker read the standard library's files, not list its folder.
        layers = confine.apply(plan, layers)
        os.environ.update(HOME=plan.work_dir, TMPDIR=plan.work_dir)
        missing = confine.missing(layers)
        ready = not (plan.mode == "strict" and missing)
        server.wire.send(replies, server.wire.encode(
            {"ok": True, "ready": True, "layers": layers, "shared": shared is not None} if ready
            else {"ok": False, "kind": "sandbox", "layers": layers}))
        if ready:
            server.serve(requests, replies, shared)
    except BaseException:  # a broken start: the traceback goes to the output file
        traceback.print_exc()
        os._exit(125)
    finally:
        os._exit(0)


@functools.cache
def stdlib_paths() -> tuple[str, ...]:
    """The folders of `sys.path` a worker keeps: the standard library's, not site-packages."""
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    return tuple(p for p in sys.path if p.startswith(stdlib) and "-packages" not in p)


def warm() -> None:
    """What every worker would do after its fork, done once in the zygote before it forks:
    find the standard library's folders and list them (the worker then lists only its own),
    and make the objects a first request makes (the global generators' ctypes views, the
    wire's encoders)."""
    import numpy as np

    from grader.sandbox import globalrng, wire

    importlib.machinery.PathFinder.find_spec("_grader_warm_", list(stdlib_paths()))
    globalrng.GlobalRng()
    wire.decode(wire.encode({"ok": True, "value": [np.zeros(2), np.float64(1.0), (1, "a")],
                             "rngs": [wire.generator_state(np.random.default_rng(0))]}))
