"""Student names from a class folder: a readable, reversible name for every folder, and a file
name for its reports that is always safe to create.

A folder name is raw bytes. Its *name* (gradebook, summary, the report's `student` field) is the
folder name with every byte that is not printable UTF-8 text percent-encoded: control and format
characters (C0, DEL, C1, bidi overrides, line separators), bytes that are not valid UTF-8, and `%`
itself, so `urllib.parse.unquote_to_bytes` gives the folder's bytes back exactly. Its *key* (the
report's file name, `<key>.json`) is the name with `\\` encoded as well. A key that is too long
for the file system with the reports' suffixes, reserved (`gradebook`), shaped like a format file
or like a hashed key, or equal to an earlier student's key once case is ignored becomes
`<first 64 characters>~<16 hex digits of the SHA-256 of the folder name>`; the report still holds
the full name. Folders starting with `.`, symlinks and files are not students: they are listed as
skipped. See docs/grading.md.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError

MAX_KEY_BYTES = 200  # + ".gradescope.json" + the temporary file's 14 characters < NAME_MAX 255
RESERVED = {"gradebook"}
HASHED = re.compile(r"~[0-9a-f]{16}$")
PREFIX_CHARS = 64
INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}  # controls, format characters (bidi overrides), line breaks


@dataclass(frozen=True)
class Student:
    raw: bytes  # the folder's name as the file system has it
    name: str  # readable and reversible (percent-encoded where needed)
    key: str  # the report's file name, without suffix
    folder: Path


@dataclass
class Roster:
    students: list[Student] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why not graded)


def readable(raw: bytes, also: str = "") -> str:
    """`raw` as text with `%`, control characters, undecodable bytes and the characters of
    `also` percent-encoded."""
    parts = []
    for char in raw.decode("utf-8", errors="surrogateescape"):
        if "\udc80" <= char <= "\udcff":  # a byte that is not valid UTF-8
            parts.append(f"%{ord(char) - 0xDC00:02X}")
        elif char == "%" or char in also or unicodedata.category(char) in INVISIBLE:
            parts.append("".join(f"%{b:02X}" for b in char.encode("utf-8")))
        else:
            parts.append(char)
    return "".join(parts)


def _hashed_key(raw: bytes, key: str) -> str:
    prefix = key[:PREFIX_CHARS]
    cut = prefix.rfind("%", len(prefix) - 2)  # never cut a %XX escape in two
    if cut != -1:
        prefix = prefix[:cut]
    return f"{prefix}~{hashlib.sha256(raw).hexdigest()[:16]}"


def keys_for(raws: list[bytes], format_suffixes: tuple[str, ...]) -> dict[bytes, str]:
    """A distinct, safe report key for each folder name (in the order given)."""
    keys: dict[bytes, str] = {}
    taken: set[str] = set()
    for raw in raws:
        key = readable(raw, also="/\\")
        if (len(key.encode("utf-8")) > MAX_KEY_BYTES or key.casefold() in RESERVED
                or HASHED.search(key) or key.casefold() in taken
                or any(f"{key}.json".endswith(s) for s in format_suffixes)):
            key = _hashed_key(raw, key)
        taken.add(key.casefold())
        keys[raw] = key
    return keys


def roster(submissions: Path, format_suffixes: tuple[str, ...]) -> Roster:
    """Every student folder under `submissions`, sorted by name; anything else that is there
    (dot-folders, symlinks, files) is listed as skipped with the reason."""
    if not submissions.is_dir():
        raise GraderError("not a folder of submissions (one folder per student)", submissions)
    base = os.fsencode(submissions)
    result = Roster()
    raws = []
    with os.scandir(base) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = readable(entry.name)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:  # gone since it was listed
                result.skipped.append((name, f"cannot be examined ({exc.strerror})"))
                continue
            if entry.name.startswith(b"."):
                result.skipped.append((name, "a dot-folder or hidden file: not a student"))
            elif stat.S_ISLNK(mode):
                result.skipped.append((name, "a symbolic link: not followed"))
            elif not stat.S_ISDIR(mode):
                result.skipped.append((name, "not a folder: one folder per student"))
            else:
                raws.append(entry.name)
    keys = keys_for(raws, format_suffixes)
    for raw in raws:
        result.students.append(Student(raw, readable(raw), keys[raw],
                                       Path(os.fsdecode(os.path.join(base, raw)))))
    return result
