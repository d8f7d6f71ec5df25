"""The learner's module as the checks see it: a proxy whose calls run in a worker process.

`learner.f(*args)` sends the call to the worker and returns the plain data that came back. The
learner's exceptions come back as `LearnerError`; everything else that can go wrong on their side
(a timeout, `sys.exit()`, the memory limit, a missing function, a value that is not plain data) as
`LearnerProblem`. A dead worker is replaced before the next call.

A call that runs out of time is reported once, with its arguments and the learner's line it was
on; any later call to the same function in the same run fails at once (`SKIPPED_PREFIX`), so an
endless loop costs one time limit, not one per check, and never lets a check pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.notebooks.source import notebook_source
from grader.sandbox import confine, wire
from grader.sandbox.source import SourceProblem, read_source
from grader.sandbox.supervisor import Limits, Worker, WorkerDied
from grader.sandbox.wire import describe
from grader.sandbox.zygote import Zygote

DEFAULT_TIMEOUT = 5.0
SKIPPED_PREFIX = "skipped: "
ARGS_TEXT = 100  # the longest a call's argument summary gets in feedback


class LearnerError(Exception):
    """The learner's code raised. Carries only data: type name, message, their frames."""

    def __init__(self, reply: dict[str, Any], during: str):
        self.type_name: str = str(reply.get("type", "Exception"))
        self.mro: list[str] = [str(n) for n in reply.get("mro", [self.type_name])]
        self.message: str = str(reply.get("message", ""))
        self.frames: list[dict[str, Any]] = list(reply.get("frames", []))
        self.line: int | None = reply.get("line")
        self.text: str = str(reply.get("text", ""))
        self.during = during
        super().__init__(self.summary())

    @property
    def not_started(self) -> bool:
        return self.type_name == "NotImplementedError"

    def is_a(self, type_name: str) -> bool:
        return type_name in self.mro

    def summary(self) -> str:
        if self.type_name in ("SyntaxError", "IndentationError", "TabError"):
            where = f" at line {self.line}" if self.line else ""
            return f"{self.type_name}{where}: {self.message}"
        text = f"{self.type_name}: {self.message}" if self.message else self.type_name
        if self.type_name == "EOFError" and "reading a line" in self.message:
            text += " (your code called input(), but checks give no input: use arguments)"
        if self.type_name == "RecursionError":
            text += " (a function that calls itself without end?)"
        return text


class LearnerProblem(Exception):
    """Anything else that went wrong on the learner's side, already in words for them."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.message = message
        self.kind = kind


def summarize(value: Any, depth: int = 0) -> str:
    """A short literal for one argument as the learner would write it: arrays by shape and
    dtype, generators as `rng`, long containers by their length; never the data itself."""
    if isinstance(value, np.random.Generator):
        return "rng"
    if isinstance(value, np.ndarray):
        return f"<array {value.shape} {value.dtype}>"
    if isinstance(value, bool | int | float | complex | np.generic) or value is None:
        text = repr(value.item() if isinstance(value, np.generic) else value)
        return text if len(text) <= 24 else text[:21] + "…"
    if isinstance(value, str):
        return repr(value) if len(value) <= 30 else repr(value[:27]) + "…"
    if isinstance(value, list | tuple | dict):
        kind = type(value).__name__
        items = list(value.items()) if isinstance(value, dict) else list(value)
        if depth > 0 or len(items) > 6:
            return f"<{kind} of {len(items)}>"
        if isinstance(value, dict):
            inner = ", ".join(f"{summarize(k, 1)}: {summarize(v, 1)}" for k, v in items)
            return "{" + inner + "}"
        inner = ", ".join(summarize(v, 1) for v in items)
        return f"[{inner}]" if kind == "list" else f"({inner}{',' if len(items) == 1 else ''})"
    return describe(value).removeprefix("a ").removeprefix("an ")


def call_text(name: str, args: tuple, kwargs: dict) -> str:
    """`dense(<array (3, 4) float64>, 'relu', rng)`: the call as feedback shows it."""
    parts = [summarize(a) for a in args] + [f"{k}={summarize(v)}" for k, v in kwargs.items()]
    inner = ", ".join(parts)
    if len(inner) > ARGS_TEXT:
        inner = inner[: ARGS_TEXT - 1] + "…"
    return f"{name}({inner})"


def where_stopped(frames: list[dict[str, Any]]) -> str:
    """The learner's lines a stack sample caught (innermost last), as lines for feedback."""
    lines = []
    for frame in frames[-3:]:
        place = f"{Path(str(frame.get('file', '?'))).name}:{frame.get('line', '?')}"
        code = str(frame.get("code") or "").strip()
        lines.append(f"  {place} in {frame.get('function', '?')}" + (f": {code}" if code
                                                                     else ""))
    if not lines:
        return ""
    return "\nwhen it was stopped, your code was at:\n" + "\n".join(lines)


@dataclass
class CallInfo:
    """What one call did besides returning: printed output, use of the global RNG, time."""

    name: str
    output: str = ""
    global_rng_touched: bool = False
    seconds: float = 0.0
    inputs_after: tuple[list[Any], dict[str, Any]] | None = None


@dataclass
class LearnerModule:
    """The proxy the `learner` fixture hands to checks."""

    path: Path
    limits: Limits = field(default_factory=Limits)
    timeout: float = DEFAULT_TIMEOUT
    worker: Worker | None = None
    zygote: Zygote | None = None  # where replacement workers are forked from, if anywhere
    seed: int = 0  # seeds the worker's global generators: the same file, the same feedback
    calls: list[CallInfo] = field(default_factory=list)
    timed_out: set[str] = field(default_factory=set)  # functions that ran out of time this run
    load_output: str = ""
    notes: tuple[str, ...] = ()  # what the grader did to the file (see sandbox.source.Source)
    _load_failure: Exception | None = None
    _loaded: bool = False

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs)

    @property
    def last_call(self) -> CallInfo:
        return self.calls[-1] if self.calls else CallInfo(name="")

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._request("call", name, args, kwargs, return_inputs=False)

    def repeat(self, times: int, name: str, *args: Any, **kwargs: Any) -> list[Any]:
        """`[f(*args, **kwargs) for _ in range(times)]` in one round trip: the same argument
        objects each time, so a generator argument advances from call to call."""
        return self._request("call", name, args, kwargs, return_inputs=False, times=times)

    def call_and_inputs(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, list, dict]:
        """Call, and also return the arguments as the learner's function left them."""
        value = self._request("call", name, args, kwargs, return_inputs=True)
        after_args, after_kwargs = self.last_call.inputs_after or ([], {})
        return value, after_args, after_kwargs

    def value(self, name: str) -> Any:
        return self._request("get", name, (), {}, return_inputs=False)

    def has(self, name: str) -> bool:
        return bool(self._request("has", name, (), {}, return_inputs=False))

    @property
    def load_problem(self) -> str:
        """Why the learner's file could not be imported ("" when it could)."""
        failure = self._load_failure
        if failure is None:
            return ""
        if isinstance(failure, LearnerError):
            where = f"\n      {failure.line} | {failure.text}" if failure.line and failure.text \
                else ""
            return f"your file could not be imported: {failure.summary()}{where}"
        return str(failure)

    def release_worker(self) -> Worker | None:
        """Hand this module's worker on to the same owner's next file (see `Run.same_owner`),
        or stop it and give None. Handed on only while it is alive, under Landlock (which keeps
        the learner's code from touching its `src/` and scratch folder, where the grader places
        the next file) and under half its CPU budget (the next file keeps most of the budget a
        worker of its own would have)."""
        worker, self.worker = self.worker, None
        if worker is None:
            return None
        if (not worker.alive() or "landlock" in confine.missing(worker.layers)
                or worker.cpu_seconds() >= worker.limits.cpu / 2):
            worker.stop()
            return None
        return worker

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def ensure_loaded(self) -> None:
        """Start a worker if needed and import the learner's file in it."""
        if self._load_failure is not None:
            raise self._load_failure
        if self.worker is not None and self._loaded and self.worker.alive():
            return
        if self.worker is None or not self.worker.alive():
            if self.worker is not None:
                self.worker.stop()
            self.worker = Worker(self.limits, self.zygote)
        self._loaded = False
        try:
            source = notebook_source(self.path) if self.path.suffix.lower() == ".ipynb" \
                else read_source(self.path)
        except SourceProblem as problem:
            self._load_failure = LearnerProblem(str(problem), "file")
            raise self._load_failure from None
        self.notes = source.notes
        try:
            self.worker.wait_ready()
            path = self.worker.place(source)
            reply = self.worker.request({"op": "load", "path": path, "seed": self.seed},
                                        self.timeout)
        except WorkerDied as died:
            self._load_failure = LearnerProblem(f"while your file was being imported, it "
                                                f"{died.cause}{_sample(died)}", died.kind)
            raise self._load_failure from None
        self.load_output = str(reply.get("output", ""))
        if not reply.get("ok"):
            self._load_failure = _failure(reply, "importing your file", "import", self.limits)
            raise self._load_failure
        self._loaded = True

    def _request(self, op: str, name: str, args: tuple, kwargs: dict, return_inputs: bool,
                 times: int | None = None) -> Any:
        if op == "call" and name in self.timed_out:
            raise LearnerProblem(f"{SKIPPED_PREFIX}`{name}` did not finish in an earlier check",
                                 "timeout")
        self.ensure_loaded()
        assert self.worker is not None
        info = CallInfo(name=name)
        self.calls.append(info)
        message = {"op": op, "name": name, "args": list(args), "kwargs": dict(kwargs),
                   "return_inputs": return_inputs, "times": times}
        started = time.perf_counter()
        try:
            reply = self.worker.request(message, self.timeout)
        except WorkerDied as died:
            if died.kind == "timeout" and op == "call":
                self.timed_out.add(name)
            raise LearnerProblem(f"{_label(op, name, args, kwargs, times)} {died.cause}"
                                 f"{_sample(died)}", died.kind) from None
        finally:
            info.seconds = time.perf_counter() - started
        info.output = str(reply.get("output", ""))
        info.global_rng_touched = bool(reply.get("global_rng"))
        if not reply.get("ok"):
            raise _failure(reply, _label(op, name, args, kwargs, times), name, self.limits)
        states = reply.get("rngs") or []
        generators = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
        for generator, state in zip(generators, states, strict=False):
            wire.set_generator_state(generator, state)
        if return_inputs:
            after_args, after_kwargs = reply.get("inputs") or ([], {})
            info.inputs_after = (list(after_args), dict(after_kwargs))
        if times is not None and "rows" in reply:  # repeat()'s arrays, sent as one
            try:
                return wire.rows(reply["rows"], times)
            except ValueError:
                raise LearnerProblem(f"{_label(op, name, args, kwargs, times)} sent back data "
                                     "the grader could not read", "garbled") from None
        return reply.get("value")


def _label(op: str, name: str, args: tuple, kwargs: dict, times: int | None) -> str:
    """How feedback names a request (made only when it failed: it summarizes every argument)."""
    label = call_text(name, args, kwargs) if op == "call" else name
    return label if times is None else f"{label}, called {times} times,"


def _sample(died: WorkerDied) -> str:
    """Where a timed-out call was (the sandbox's stack sample, when it could take one)."""
    return where_stopped(getattr(died, "frames", None) or []) if died.kind == "timeout" else ""


def _failure(reply: dict[str, Any], label: str, name: str, limits: Limits) -> Exception:
    kind = reply.get("kind")
    message = str(reply.get("message", ""))
    if kind == "exception":
        return LearnerError(reply, label)
    if kind == "exit":
        return LearnerProblem(f"{label}: your code called sys.exit({message}); return a value "
                              "instead of ending the program", "exit")
    if kind == "memory":
        return LearnerProblem(f"{label} went over the {limits.memory_text()} memory limit "
                              f"(MemoryError: {message})", "memory")
    if kind == "missing":
        return LearnerProblem(f"your file defines no `{name}`: keep the names the exercise "
                              "asks for", "missing")
    if kind == "not_callable":
        return LearnerProblem(f"`{name}` in your file is {reply.get('type')}, not a function",
                              "missing")
    if kind == "unsupported":
        return LearnerProblem(f"{label} returned {message}; expected plain data such as a numpy "
                              "array, a number, a list or a dict", "unsupported")
    return LearnerProblem(f"{label}: {message or 'the worker failed'}", str(kind))
