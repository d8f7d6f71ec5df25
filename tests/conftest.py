"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty file named by $SESSION_LOG, where test decks' checks write what they saw."""
    path = tmp_path / "session.log"
    path.touch()
    monkeypatch.setenv("SESSION_LOG", str(path))
    return path
