"""Crash-safe file writes: a file is either its old self or its new self, never half-written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


def stage(path: Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path` (flushed to disk) and return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_all(files: dict[Path, str]) -> None:
    """Stage every file first, then move them all into place: a failure while staging
    (disk full, permissions) leaves every target untouched."""
    staged: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            staged[path] = stage(path, text)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    for path, tmp in staged.items():
        os.replace(tmp, path)


def atomic_write(path: Path, text: str) -> None:
    write_all({path: text})
