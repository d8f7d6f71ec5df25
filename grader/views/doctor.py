"""The `grader doctor` view: each isolation layer, on or off and why, and each live attempt."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from grader.sandbox.confine import OFF
from grader.sandbox.policy import LAYERS
from grader.sandbox.probe import Report

WHAT = {
    "identity": "who the worker is",
    "no_new_privs": "no privilege gained by exec",
    "namespaces": "own processes, network, IPC, mounts",
    "processes": "bound on its processes",
    "scratch_disk": "bound on its scratch disk",
    "rlimits": "kernel resource limits",
    "landlock": "files it may read and write; TCP; signals",
    "seccomp": "system calls it may not make",
}


def doctor_view(report: Report) -> RenderableType:
    layers = Table(title="Isolation of learner code on this machine", title_justify="left",
                   show_edge=False, pad_edge=False)
    layers.add_column("layer", no_wrap=True)
    layers.add_column("what it stops")
    layers.add_column("here")
    for name in LAYERS:
        state = report.layers.get(name, OFF + "not reported")
        off = state.startswith(OFF)
        layers.add_row(name, WHAT[name], Text(("missing: " + state.removeprefix(OFF)) if off
                                              else state, style="red" if off else "green"))
    tries = Table(title="A worker tried, as a hostile submission would", title_justify="left",
                  show_edge=False, pad_edge=False)
    tries.add_column("attempt")
    tries.add_column("outcome")
    for label, outcome in report.attempts:
        tries.add_row(label, Text(outcome, style="green" if outcome.startswith("blocked")
                                  else "bold red"))
    verdict = Text("Every layer is active and every attempt was blocked." if report.ok else
                   "Some layers are missing: grading still works, but see docs/security.md "
                   "before you grade an exam (`--sandbox strict` refuses to grade here).",
                   style="bold green" if report.ok else "bold yellow")
    return Group(layers, Text(""), tries, Text(""), verdict)
