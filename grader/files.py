"""Careful file access: writes that are either the old file or the new one, never half-written and
never through a planted directory or symlink; reads that never follow a symlink nor read without
bound."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path

from grader.errors import GraderError


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


def refuse_irregular(path: Path) -> None:
    """Raise GraderError if something other than a regular file (a directory, a symlink, a FIFO)
    sits at `path`: replacing it would drop what is there or write where it points."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise GraderError(f"{_kind(mode)} is in the way, not a file: not replaced", path)


def write_all(files: dict[Path, str]) -> None:
    """Stage every file first, then move them all into place: a failure while staging
    (disk full, permissions) or a target that is not a regular file leaves every target
    untouched."""
    for path in files:
        refuse_irregular(path)
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


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them. A symlink is not followed;
    anything else (a directory, a FIFO, a device, a larger file) raises GraderError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if os.path.islink(path):
            raise GraderError("a symbolic link: not followed", path) from None
        raise GraderError(f"cannot be read ({exc.strerror})", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise GraderError(f"{_kind(info.st_mode)}, not a file: not read", path)
        if info.st_size > limit:
            raise GraderError(f"larger than the {limit // 1024} KiB limit: not read", path)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise GraderError(f"cannot be read ({exc.strerror})", path) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after fstat
        raise GraderError(f"larger than the {limit // 1024} KiB limit: not read", path)
    return data


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
