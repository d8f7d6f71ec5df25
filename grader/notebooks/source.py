"""A Jupyter notebook as the Python code the grader hands to a worker.

The code cells are joined in order, each led by a `# %% cell N` line so that a traceback's code
line can be found in the notebook. IPython's own syntax (line magics `%`, cell magics `%%`, shell
escapes `!`, help `?`) is not Python: those lines are left out, and a note says how many. The
grader's own lines (`from grader.notebooks import check` and the `check(...)`/`hint(...)` calls
that follow) run in the learner's kernel, never in the worker, and are left out without a note.

The notebook is read with the standard `json` module, not nbformat: errors then name their line
and column, and a check does not pay for importing nbformat's schema validator. Only what grading
needs is required of the file: nbformat 4, a list of cells, each with a type and its source.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.sandbox.source import MAX_SOURCE, Source, SourceProblem, read_source

MAX_NOTEBOOK = 16 * 1024 * 1024  # outputs (plots) make notebooks large; their code stays small

MAGIC = re.compile(r"^\s*(?:[%!]|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[%!])")
HELP = re.compile(r"^\s*(?:\?{1,2}[A-Za-z_][\w.]*|[A-Za-z_][\w.]*\?{1,2})\s*$")
GRADER_IMPORT = re.compile(r"^(?:from\s+grader(?:\.[\w.]+)?\s+import\s+(?P<names>.+)|"
                           r"import\s+(?P<module>grader(?:\.[\w.]+)?(?:\s+as\s+\w+)?))"
                           r"\s*(?:#.*)?$")
TRIPLE = re.compile(r'"""|\'\'\'')
STRINGS = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")  # one-line string literals


def notebook_source(path: Path) -> Source:
    """The code of the notebook at `path`, read as safely as any learner file."""
    raw = read_source(path, MAX_NOTEBOOK)
    return notebook_code(raw.code, raw.name)


def notebook_code(data: bytes, name: str) -> Source:
    """The graded code of notebook bytes; a SourceProblem names what is wrong with the file."""
    parts: list[str] = []
    dropped = 0
    grader_names: set[str] = set()
    for cell in code_cells(data, name):
        code, magic_lines = python_only(cell.source, grader_names)
        dropped += magic_lines
        if code.strip():
            parts.append(f"# %% cell {cell.number}\n{code.rstrip()}\n")
    joined = "\n\n".join(parts).encode("utf-8")
    if len(joined) > MAX_SOURCE:
        raise SourceProblem(f"{name} holds {len(joined) // 1024} KiB of code: more than the "
                            f"{MAX_SOURCE // 1024} KiB a submitted file may have")
    notes: tuple[str, ...] = ()
    if dropped:
        lines = "line" if dropped == 1 else "lines"
        notes = (f"{name}: {dropped} {lines} of IPython magics or shell commands (%, %%, !) "
                 "left out: the grader runs plain Python",)
    return Source(joined, f"{name}.py", notes)


@dataclass(frozen=True)
class CodeCell:
    number: int  # the cell's position among all cells, from 1
    source: str
    execution_count: int | None  # as saved: when the kernel last ran it, if it did


def code_cells(data: bytes, name: str) -> list[CodeCell]:
    """The code cells of notebook bytes, in order; a SourceProblem if it is no nbformat 4."""
    cells = _load(data, name).get("cells")
    if not isinstance(cells, list):
        raise SourceProblem(f"{name} is not a valid nbformat 4 notebook: `cells` is not a list")
    found = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise SourceProblem(f"{name} is not a valid nbformat 4 notebook: cell {number} "
                                "has no cell_type")
        if cell["cell_type"] != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SourceProblem(f"{name} is not a valid nbformat 4 notebook: code cell "
                                f"{number} has no source text")
        count = cell.get("execution_count")
        valid = isinstance(count, int) and not isinstance(count, bool)
        found.append(CodeCell(number, source, count if valid else None))
    return found


def _load(data: bytes, name: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceProblem(f"{name} is not a notebook: its bytes are not UTF-8 text "
                            f"(at byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceProblem(f"{name} is not a valid notebook: its JSON is broken at line "
                            f"{exc.lineno}, column {exc.colno} ({exc.msg}); open it in Jupyter "
                            "or restore a saved copy") from None
    except RecursionError:
        raise SourceProblem(f"{name} is not a valid notebook: its JSON is nested too "
                            "deeply") from None
    if not isinstance(document, dict):
        raise SourceProblem(f"{name} is not a notebook: its JSON is a {_kind(document)}, not "
                            "an object with cells")
    version = document.get("nbformat")
    if version != 4 or isinstance(version, bool):
        shown = "no nbformat version" if version is None else f"nbformat {version!r}"
        raise SourceProblem(f"{name} is not an nbformat 4 notebook ({shown}): open and save it "
                            "in a current Jupyter to convert it")
    return document


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number"}.get(type(value),
                                                                           "value")


def python_only(text: str, grader_names: set[str]) -> tuple[str, int]:
    """A cell without IPython syntax and the grader's own lines; how many IPython lines went.

    Only a line that starts a statement can be IPython syntax: not one inside a triple-quoted
    string, an open bracket, or after a backslash. A dropped line becomes `pass` at its
    indentation (so a block keeps a body) or a blank line. `grader_names` gathers the names
    imported from grader, whose top-level calls are dropped.
    """
    lines = text.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "", sum(1 for line in lines if line.strip())  # a cell magic: not Python at all
    kept: list[str] = []
    dropped = 0
    in_string, depth, continued = False, 0, False
    for line in lines:
        starts_statement = not in_string and not depth and not continued
        if starts_statement and (MAGIC.match(line) or HELP.match(line)):
            dropped += 1
            indent = line[: len(line) - len(line.lstrip())]
            kept.append(f"{indent}pass" if indent else "")
            continue
        if starts_statement and _grader_line(line, grader_names):
            kept.append("")
            continue
        kept.append(line)
        if len(TRIPLE.findall(line)) % 2:
            in_string = not in_string
        elif not in_string:
            code = STRINGS.sub("", line).split("#", 1)[0]
            depth = max(0, depth + sum(map(code.count, "([{")) - sum(map(code.count, ")]}")))
        continued = line.endswith("\\")
    return "\n".join(kept), dropped


def _grader_line(line: str, grader_names: set[str]) -> bool:
    """`from grader.notebooks import check` (remembering `check`), or a top-level call of a name
    imported so."""
    match = GRADER_IMPORT.match(line)
    if match:
        names = match["names"] or match["module"]
        for part in names.strip("() ").split(","):
            grader_names.add(part.split(" as ")[-1].strip().split(".")[0])
        return True
    call = re.match(r"^([A-Za-z_]\w*)(?:\.\w+)*\(.*\)\s*;?\s*(?:#.*)?$", line)
    return bool(call and call[1] in grader_names)
