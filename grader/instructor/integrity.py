"""Reports only the grader writes: each student report carries an HMAC-SHA256 of its content,
keyed with a secret that learner code never sees (`OUT/grader.key`, created 0600 on first use, or
`--key FILE` shared by the shards of one class). Resume and merge trust a report only if its
signature verifies: a report planted or edited by anyone without the key is refused by name.

The signature covers the report's canonical JSON (sorted keys, no spaces, ASCII), so the file may
be pretty-printed and still verify; it binds the student's name and key, the submission's
digest and the grading fingerprint (`fingerprint()`), so a genuine report moved to another
student, or kept after the checks changed, does not pass as current.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from grader import __version__
from grader.deck.project import Project
from grader.errors import GraderError
from grader.files import read_regular, sha256

KEY_FILE = "grader.key"
KEY_BYTES = 32


def key_path(out: Path, key_file: Path | None) -> Path:
    return key_file if key_file is not None else out / KEY_FILE


def load_key(path: Path, create: bool) -> bytes:
    """The signing key in `path` (hex text). With `create`, a missing key file is made, readable
    by its owner only. A key file others may read, or that is not a regular file, is refused."""
    if create:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    if not os.path.lexists(path):
        raise GraderError("no signing key: reports cannot be verified without the key they were "
                          "signed with (pass it with --key FILE)", path)
    text = read_regular(path, 4096)
    mode = os.lstat(path).st_mode
    if stat.S_IMODE(mode) & 0o077:
        raise GraderError("the signing key may be read by others: `chmod 600` it", path)
    key = text.strip()
    if len(key) < 2 * KEY_BYTES:
        raise GraderError(f"the signing key is too short: {2 * KEY_BYTES} hex digits or more",
                          path)
    return key


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(doc: dict[str, Any], key: bytes) -> dict[str, Any]:
    """`doc` with its `signature`."""
    return {**doc, "signature": hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()}


def verified(doc: Any, key: bytes) -> bool:
    """True when `doc` is a report signed with `key` and unchanged since."""
    if not isinstance(doc, dict) or not isinstance(doc.get("signature"), str):
        return False
    expected = hmac.new(key, _canonical(doc), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, doc["signature"])


def fingerprint(project: Project, seed: int) -> str:
    """What a grade depends on besides the submission: the grader's version, the seed, each
    card's points and the bytes of its checks and known mistakes. A report graded under another
    fingerprint is re-graded on resume."""
    parts: list[str] = [__version__, str(seed)]
    for card in project.cards:
        parts += [card.number, str(card.points)]
        for path in (project.checks_file(card), project.mistakes_file(card)):
            parts.append(sha256(path.read_bytes()) if path.is_file() else "-")
    return sha256("\n".join(parts))
