"""Reading process state from Linux's /proc: whether a process is a zombie."""

from __future__ import annotations

from pathlib import Path


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first, then ppid, pgrp...);
    None when the process is gone or /proc cannot tell."""
    try:
        text = Path(f"/proc/{pid}/stat").read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()
