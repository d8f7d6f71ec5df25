"""`grader doctor`: which isolation layers a worker gets on this machine, and a live test of each.

A real worker is started as for grading; its ready report (written before any learner code can
run) says which layers are in force and why any is missing. Then a probe file, run in it as a
learner's file would be, tries what a hostile submission tries; every attempt must fail.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.sandbox.confine import missing
from grader.sandbox.source import Source
from grader.sandbox.supervisor import Worker, shared_zygote

PROBE = b'''
import os, socket

def attempt(kind, target):
    try:
        if kind == "read":
            open(target, "rb").read(1)
        elif kind == "write":
            open(target, "w").write("x")
        elif kind == "list":
            os.listdir(target)
        elif kind == "tcp":
            socket.create_connection(("127.0.0.1", int(target)), timeout=1).close()
        elif kind == "unix":
            socket.socket(socket.AF_UNIX).connect(target)
        elif kind == "signal":
            os.kill(int(target), 0)
        elif kind == "env":
            return "blocked" if target not in os.environ else "ALLOWED"
        return "ALLOWED"
    except Exception as exc:
        return "blocked: " + (os.strerror(exc.errno) if getattr(exc, "errno", None) else
                              type(exc).__name__)
'''


@dataclass
class Report:
    layers: dict[str, str]
    missing: dict[str, str]
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (what was tried, outcome)

    @property
    def ok(self) -> bool:
        return not self.missing and all(o.startswith("blocked") for _, o in self.attempts)


def examine(project_root: Path | None = None) -> Report:
    """Start a worker as grading does and try each attack from inside it."""
    secret = "GRADER_DOCTOR_SECRET"
    os.environ[secret] = "1"
    outside = Path(tempfile.mkdtemp(prefix="grader-doctor-"))
    (outside / "secret.txt").write_text("not for learners")
    worker = Worker(zygote=shared_zygote())
    try:
        worker.wait_ready()
        report = Report(worker.layers, missing(worker.layers))
        path = worker.place(Source(PROBE, "probe.py"))
        worker.request({"op": "load", "path": path}, 10)
        tries = [
            ("read a file outside its folder", "read", str(outside / "secret.txt")),
            ("read /etc/shadow", "read", "/etc/shadow"),
            ("write outside its folder", "write", str(outside / "planted.py")),
            ("connect to TCP on localhost", "tcp", "22"),
            ("connect to a unix socket", "unix", str(outside / "sock")),
            ("signal the grader", "signal", str(os.getpid())),
            ("see the grader's environment", "env", secret),
        ]
        if project_root is not None:
            tries.insert(1, ("list the deck's folder", "list", str(project_root)))
        for label, kind, target in tries:
            reply = worker.request({"op": "call", "name": "attempt", "args": [kind, target],
                                    "kwargs": {}}, 10)
            report.attempts.append((label, str(reply.get("value", reply.get("message")))))
        if (outside / "planted.py").exists():
            report.attempts.append(("the planted file exists", "ALLOWED"))
        return report
    finally:
        worker.stop()
        os.environ.pop(secret, None)
        for leftover in outside.iterdir():
            leftover.unlink()
        outside.rmdir()
