"""`grader gradescope OUT.zip`: a Gradescope autograder package for this deck.

The zip holds, at its root (https://gradescope-autograders.readthedocs.io/en/latest/specs/):
`setup.sh` (run once, as root, when Gradescope builds the image: a virtual environment with the
pinned requirements), `run_autograder` (run for every submission: grades it and writes
`results/results.json`), `requirements.txt` (the versions this grader runs with here), the deck's
`cards/`, this `grader/` package with its checks, and the deck's private `checks/` if it has one.

`run_autograder` honours `AUTOGRADER_ROOT` (default `/autograder`) and `GRADER_PYTHON` (default the
environment `setup.sh` made, `/opt/grader`), so that a test can run it in a temporary tree. It
imports the zip's own copy of the grader (PYTHONPATH), so what grades is what was packaged.
"""

from __future__ import annotations

import io
import os
import re
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from grader.deck.project import PACKAGE_CHECKS, Project
from grader.errors import GraderError

PACKAGE = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "gradescope_scripts"  # setup.sh, run_autograder
EXECUTABLE = ("setup.sh", "run_autograder")
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same deck gives the same zip


def requirements() -> str:
    """The grader's runtime requirements and theirs, pinned to the versions installed here."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    pins: dict[str, str] = {}
    todo = [_name(r) for r in metadata.requires("grader") or [] if "extra ==" not in r]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another Python version or platform
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        todo += [_name(r) for r in dist.requires or [] if "extra ==" not in r]
    head = f"# Pinned by `grader gradescope` on Python {python}: the versions the grader ran with."
    return "\n".join([head, *(pins[k] for k in sorted(pins))]) + "\n"


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0]


def package_files(project: Project) -> dict[str, bytes]:
    """Every file of the zip, by its path inside it."""
    files = {name: (SCRIPTS / name).read_bytes() for name in EXECUTABLE}
    files["requirements.txt"] = requirements().encode()
    cards = sorted(project.cards_dir.glob("*.md"))
    if not cards:
        raise GraderError("no cards to package", project.cards_dir)
    for card in project.cards:  # every card must parse and have its checks
        if not project.checks_file(card).is_file():
            raise GraderError(f"no checks for exercise {card.number}", project.checks_file(card))
    for path in cards:
        files[f"cards/{path.name}"] = path.read_bytes()
    for path in _tree(PACKAGE):
        if SCRIPTS not in path.parents:
            files[f"grader/{path.relative_to(PACKAGE).as_posix()}"] = path.read_bytes()
    if project.checks_dir != PACKAGE_CHECKS:  # a private checks folder ships as the deck's own
        for path in _tree(project.checks_dir):
            files[f"checks/{path.relative_to(project.checks_dir).as_posix()}"] = path.read_bytes()
    return files


def _tree(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix not in (".pyc", ".pyo"))


def build_package(project: Project, target: Path) -> list[str]:
    """Write the zip to `target` (atomically) and return the names it holds."""
    files = package_files(project)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (0o100755 if name in EXECUTABLE else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(buffer.getvalue())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sorted(files)
