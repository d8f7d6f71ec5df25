"""The learner's loop: progress file, hints, reset, next, list, and `grader watch` in a real
terminal (tmux)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.deck.project import Project
from grader.progress import Progress, reset_exercise

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def deck(tmp_path: Path) -> Project:
    """A copy of the shipped deck (checks come from the package)."""
    for folder in ("cards", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return Project(tmp_path)


def grader(deck: Project, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADER_ROOT": str(deck.root), "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True,
                          capture_output=True, timeout=120, **kwargs)


def solve(deck: Project, number: str) -> None:
    card = deck.card(number)
    shutil.copy(deck.solution_file(card), deck.exercise_file(card))


def test_progress_records_by_hash_and_goes_stale_on_edit(deck):
    solve(deck, "03")
    assert grader(deck, "check", "03").returncode == 0
    card = deck.card("03")
    progress = Progress.load(deck)
    assert progress.state(card).key == "done"
    assert progress.state(deck.card("04")).key == "not_started"
    with deck.exercise_file(card).open("a") as handle:
        handle.write("\n# an edit\n")
    assert Progress.load(deck).state(card).key == "unchecked"


def test_list_rechecks_only_changed_files(deck):
    solve(deck, "03")
    listing = grader(deck, "list")
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if " 03 " in line)
    assert "done" in row
    assert "not started" in next(line for line in listing.stdout.splitlines() if " 04 " in line)
    entry = json.loads((deck.state_dir / "progress.json").read_text())["exercises"]["03"]
    checked = entry["checked"]
    time.sleep(1.1)
    grader(deck, "list")
    again = json.loads((deck.state_dir / "progress.json").read_text())["exercises"]["03"]
    assert again["checked"] == checked  # unchanged file: not re-run
    assert "done" in grader(deck, "list", "--done").stdout
    assert " 03 " not in grader(deck, "list", "--pending").stdout


def test_damaged_progress_file_is_rebuilt(deck):
    deck.state_dir.mkdir()
    (deck.state_dir / "progress.json").write_text("{not json")
    result = grader(deck, "list")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert list(deck.state_dir.glob("progress.damaged-*.json"))
    assert json.loads((deck.state_dir / "progress.json").read_text())["version"] == 1


def test_hints_one_at_a_time_then_all(deck):
    card = deck.card("03")
    first = grader(deck, "hint", "03")
    assert f"Hint 1 of {len(card.hints)}" in first.stdout
    second = grader(deck, "hint", "03")
    assert f"Hint 2 of {len(card.hints)}" in second.stdout and "Hint 1" not in second.stdout
    every = grader(deck, "hint", "03", "--all")
    assert all(f"Hint {i} of" in every.stdout for i in range(1, len(card.hints) + 1))
    assert Progress.load(deck).hints_shown(card) == len(card.hints)


def test_reset_backs_up_then_restores_the_stub(deck):
    card = deck.card("03")
    path = deck.exercise_file(card)
    stub = path.read_text()
    path.write_text("my work\n")
    result = grader(deck, "reset", "03")
    assert result.returncode == 0
    assert path.read_text() == stub
    [backup] = (deck.state_dir / "backups").glob("03_xavier.*.py")
    assert backup.read_text() == "my work\n"
    assert str(backup.relative_to(deck.root)) in result.stdout.replace("\n", "")
    assert reset_exercise(deck, card) is None  # nothing to back up when already the stub


def test_next_names_the_first_exercise_not_done(deck):
    solve(deck, "01")
    grader(deck, "check", "01")
    result = grader(deck, "next")
    assert "02" in result.stdout and deck.card("02").title in result.stdout


def test_edit_without_an_editor_is_a_clear_error(deck):
    env_less = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    result = subprocess.run([sys.executable, "-m", "grader", "edit", "03"], text=True,
                            capture_output=True, env={**env_less, "GRADER_ROOT": str(deck.root)})
    assert result.returncode == 2 and "$EDITOR" in result.stderr


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], text=True,
                          capture_output=True).stdout


def _wait_for(session: str, text: str, seconds: float = 30) -> str:
    deadline = time.time() + seconds
    screen = ""
    while time.time() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen shows:\n{screen}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run "
                    "installs it); this test drives `grader watch` in a real terminal")
def test_watch_in_a_real_terminal(deck):
    session = f"grader-watch-{os.getpid()}"
    command = f"cd {deck.root} && GRADER_ROOT={deck.root} {sys.executable} -m grader watch"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "50",
                    command], check=True)
    try:
        _wait_for(session, "not started")
        assert "0/" in _screen(session) and "q quit" in _screen(session)
        solve(deck, "01")  # the learner saves a working solution
        screen = _wait_for(session, "Press n for the next exercise")
        assert "Why it works" in screen
        assert "solutions/01_forward.py" in screen
        assert "exercise 01" in screen  # no jump to the next exercise until `n`
        subprocess.run(["tmux", "send-keys", "-t", session, "h"], check=True)
        _wait_for(session, "Hint 1 of")
        subprocess.run(["tmux", "send-keys", "-t", session, "n"], check=True)
        _wait_for(session, "exercise 02")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.time() + 10
        while time.time() < deadline and subprocess.run(
                ["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            time.sleep(0.2)
        assert subprocess.run(["tmux", "has-session", "-t", session],
                              capture_output=True).returncode != 0, "watch did not quit on q"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_check_without_a_name_takes_the_first_exercise_not_done(deck):
    solve(deck, "01")
    assert grader(deck, "check", "01").returncode == 0
    result = grader(deck, "check")
    assert result.returncode == 1
    assert "checking 02 symmetry, the first exercise not done yet" in result.stderr
    assert "Exercise 02" in result.stdout
