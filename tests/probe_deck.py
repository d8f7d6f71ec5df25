"""A two-function deck for engine and sandbox tests, and a way to find processes left running."""

from __future__ import annotations

import time
from pathlib import Path

from grader.deck.project import Project

CARD = '''---
title: Probe
points: 2
---
> [!question] Probe
> Write `weights(n, rng)` and `echo(x)`.

> [!success]- Answer
> ```python solution
> def weights(n, rng):
>     """n by n standard normal draws."""
>     # BEGIN SOLUTION
>     return rng.normal(size=(n, n))
>     # END SOLUTION
>
>
> def echo(x):
>     # BEGIN SOLUTION
>     return x
>     # END SOLUTION
> ```
'''

CHECKS = '''
import numpy as np
import pytest

from grader.checkapi.expect import expect_array, expect_close


@pytest.mark.limit(seconds=LIMIT)
def test_weights(learner, rng):
    """weights has the right shape"""
    expect_array(learner.weights(3, rng), "weights(3, rng)", shape=(3, 3))


@pytest.mark.limit(seconds=LIMIT)
def test_echo(learner):
    """echo returns its argument"""
    x = np.arange(4.0)
    expect_close(learner.echo(x), x, "echo(x)")
'''

GOOD = """
def weights(n, rng):
    return rng.normal(size=(n, n))

def echo(x):
    return x
"""


def make_deck(root: Path, limit: float) -> Project:
    """The probe card and its checks (each call limited to `limit` seconds) under `root`."""
    (root / "cards").mkdir()
    (root / "cards" / "01-probe.md").write_text(CARD)
    (root / "checks").mkdir()
    (root / "checks" / "test_01_probe.py").write_text(CHECKS.replace("LIMIT", repr(limit)))
    return Project(root, root / "checks")


def make_cards(root: Path, checks: dict[str, str]) -> Project:
    """A deck of one probe card per entry of `checks` (e.g. "01-kinds": its checks module)."""
    (root / "cards").mkdir(parents=True)
    (root / "checks").mkdir()
    for name, source in checks.items():
        (root / "cards" / f"{name}.md").write_text(CARD)
        (root / "checks" / f"test_{name.replace('-', '_')}.py").write_text(source)
    return Project(root, root / "checks")


def running_with(marker: str) -> list[int]:
    """Host processes whose command line holds `marker` (a learner cannot write us its pids:
    it can write nothing outside its scratch folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes()
                    and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def gone(marker: str, seconds: float = 3.0) -> bool:
    """Whether every process with `marker` in its command line is gone within `seconds`."""
    deadline = time.time() + seconds
    while running_with(marker) and time.time() < deadline:
        time.sleep(0.05)
    return not running_with(marker)
