"""`check("03")` and `hint("03")` in a learner's notebook: the grader runs beside the kernel,
never in it.

The kernel is the learner's: any cell can patch what is imported there, so a check run inside it
(as otter's `grader.check` does) could be talked into any verdict. `check` therefore starts
`python -m grader check 03` in a subprocess. That process grades the *saved* notebook in its
sandboxed worker, records progress as `grader check` does in a terminal, and prints the same
feedback, whose colours reach the notebook as ANSI codes (Jupyter renders them). The kernel only
relays that text: code in the kernel can change what it shows, never what is graded or recorded.

Grading the saved file, not the kernel's history, means the grade is that of a file the learner
can hand in, run top to bottom in a fresh process. The price is that unsaved edits are not seen:
`check` compares the kernel's input history with the saved cells and says so when the learner ran
code the file does not hold, or when the saved cells were last run out of order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

TIMEOUT = 600.0  # seconds: a whole check on a loaded machine stays far below this
WIDTH = "100"  # columns of the feedback panel when the environment does not say
YELLOW, RED, RESET = "\x1b[33m", "\x1b[31m", "\x1b[0m"


def check(exercise: str) -> None:
    """Grade exercise `exercise` (`"03"`, `"3"` or `"xavier"`) as saved on disk, and show the
    feedback here."""
    located = _locate(exercise)
    if located is None:
        return
    root, number, path = located
    if path.suffix == ".ipynb":
        for warning in kernel_warnings(path, _history(), _this_notebook()):
            _say(warning, YELLOW)
    _run_grader(root, ["check", number])


def hint(exercise: str) -> None:
    """Show the next hint of `exercise` not shown yet, as `grader hint` does."""
    located = _locate(exercise)
    if located is not None:
        _run_grader(located[0], ["hint", located[1]])


def kernel_warnings(path: Path, history: list[str] | None, notebook: Path | None = None
                    ) -> list[str]:
    """Why what the grader grades (the saved `path`) may differ from what the kernel ran.

    `history` is the kernel's raw input history (`In`: entry n is In[n], the last one is the
    cell running now), None outside IPython; `notebook` the notebook this kernel belongs to,
    when the front end says.
    """
    from grader.notebooks.source import MAX_NOTEBOOK, code_cells, python_only
    from grader.sandbox.source import SourceProblem, read_source

    shown = _shown(path)
    warnings = []
    if notebook is not None and notebook.resolve() != path.resolve():
        warnings.append(f"This notebook is {notebook.name}, but the grader grades the "
                        f"exercise's file {shown}: work in that notebook, or copy your code "
                        "into it.")
    try:
        cells = code_cells(read_source(path, MAX_NOTEBOOK).code, path.name)
    except SourceProblem:
        return warnings  # the grader's own verdict names the problem
    names = {"check", "hint", "grader"}
    saved = [(cell, python_only(cell.source, names)[0].strip()) for cell in cells]
    saved = [(cell, code) for cell, code in saved if code]
    ran = [(cell.number, cell.execution_count) for cell, _ in saved
           if cell.execution_count is not None]
    for (above, first), (below, second) in pairwise(ran):
        if second < first:
            warnings.append(
                f"The saved notebook's cells were last run out of order: cell {below} "
                f"(In [{second}]) ran before cell {above} (In [{first}]) above it. The grader "
                "runs the saved cells from top to bottom in a fresh process: if it fails where "
                "your kernel works, Kernel › Restart Kernel and Run All Cells shows what the "
                "grader sees.")
            break
    if history:
        unsaved = _unsaved(history, {code for _, code in saved}, max(
            (count for _, count in ran), default=0), names)
        if unsaved is not None:
            number, code = unsaved
            first_line = code.split("\n", 1)[0][:60]
            warnings.append(
                f"This kernel ran code that the saved {shown} does not contain (In [{number}]: "
                f"{first_line} …). check() grades the notebook as saved on disk: save it "
                "(Ctrl+S or File › Save), then run this cell again.")
    return warnings


def _unsaved(history: list[str], saved: set[str], last_saved: int, names: set[str]
             ) -> tuple[int, str] | None:
    """The first input run since the last save (or in this whole session, when the saved
    execution counts come from an earlier one) that no saved cell holds."""
    from grader.notebooks.source import python_only

    now = len(history) - 1  # the cell running check() itself
    first = last_saved + 1 if last_saved < now else 1
    for number in range(max(first, 1), now):
        code = python_only(history[number], set(names))[0].strip()
        if code and code not in saved:
            return number, code
    return None


def _locate(exercise: str) -> tuple[Path, str, Path] | None:
    """(deck root, exercise number, the file the grader will grade), found from the notebook's
    folder; None after saying why not."""
    from grader.deck.project import find_project
    from grader.errors import GraderError

    notebook = _this_notebook()
    try:
        project = find_project(notebook.parent if notebook is not None else None)
        card = project.card(str(exercise))
        return project.root, card.number, project.exercise_file(card)
    except GraderError as error:
        _say(f"grader: {error}", RED)
        return None


def _this_notebook() -> Path | None:
    """The notebook this kernel runs, where the front end tells the kernel its full path:
    VS Code sets `__vsc_ipynb_file__`, Jupyter Server (2.0 and later) `JPY_SESSION_NAME`."""
    shell = _shell()
    candidates = [shell.user_ns.get("__vsc_ipynb_file__") if shell is not None else None,
                  os.environ.get("JPY_SESSION_NAME")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            path = Path(candidate)
            if path.is_absolute() and path.is_file():
                return path
    return None


def _history() -> list[str] | None:
    shell = _shell()
    if shell is None:
        return None
    return [str(entry) for entry in shell.history_manager.input_hist_raw]


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _say(text: str, colour: str) -> None:
    print(f"{colour}{text}{RESET}", flush=True)


def _run_grader(root: Path, args: list[str]) -> None:
    """`python -m grader --root ROOT ARGS...` with rich's colours on; its output printed here.
    Everything goes to stdout, which notebooks do not paint as an error."""
    env = {**os.environ, "FORCE_COLOR": "1"}
    env.setdefault("COLUMNS", WIDTH)
    command = [sys.executable, "-m", "grader", "--root", str(root), *args]
    try:
        done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, encoding="utf-8", errors="replace", timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        _say(f"grader: `grader {' '.join(args)}` took more than {TIMEOUT:g} s and was stopped",
             RED)
        return
    except OSError as error:
        _say(f"grader: cannot start {sys.executable} ({error.strerror})", RED)
        return
    sys.stdout.write(done.stderr + done.stdout)
    sys.stdout.flush()
