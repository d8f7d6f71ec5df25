"""`grader watch`: keys, choosing an exercise, workers forked from the zygote, and the whole loop
in a real terminal (tmux): spinner, endless loop, a pass on 40 rows, the list, 60 columns."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_learner_loop import copy_deck

from grader.deck.project import Project
from grader.errors import GraderError
from grader.sandbox.supervisor import shared_zygote
from grader.sandbox.zygote import ForkedProcess
from grader.watch import Watch, read_key


@pytest.fixture
def deck(tmp_path: Path) -> Project:
    return copy_deck(tmp_path)


def test_keys_arrive_as_names():
    read, write = os.pipe()
    try:
        for sent, key in [(b"N", "n"), (b"\x1b[A", "up"), (b"\x1bOB", "down"), (b"\n", "enter"),
                          (b"\x1b", "esc"), (b"\x1b[5~", "")]:
            os.write(write, sent)
            assert read_key(read) == key
            while select.select([read], [], [], 0)[0]:
                os.read(read, 1)  # what an unknown sequence left behind
        os.close(write)
        assert read_key(read) is None
    finally:
        os.close(read)


@pytest.mark.skipif(shared_zygote() is None, reason="no zygote on this system (no "
                    "SOCK_SEQPACKET): workers are started from scratch everywhere")
def test_watch_forks_its_workers_from_the_zygote_one_ahead(deck, monkeypatch):
    handed: list = []

    def check_cards(project, cards, early=None):
        handed.append(early)
        raise GraderError("stop here")

    monkeypatch.setattr("grader.watch.check_cards", check_cards)
    watch = Watch(deck, manual=True)
    try:
        watch.check()
        spare = watch.spare
        assert isinstance(handed[0].proc, ForkedProcess) and handed[0].stopped
        assert spare is not None and isinstance(spare.proc, ForkedProcess) and spare.alive()
        watch.check()  # the next check takes the worker forked ahead
        assert handed[1] is spare and watch.spare is not spare
    finally:
        if watch.spare is not None:
            watch.spare.stop()


def test_watch_picks_an_exercise_by_number_or_by_row(deck):
    watch = Watch(deck, manual=True, start=deck.card("03"))
    checked: list[str] = []
    watch.check = lambda: checked.append(watch.card.number)
    assert watch._key("l") and watch.picker is not None and watch.picker.cursor == 2
    watch.pick("1")  # 01, or the start of 10, 11, 12: wait for more
    assert checked == [] and watch.picker.typed == "1"
    watch.pick("2")
    assert checked == ["12"]
    watch._key("l")
    watch.pick("0")
    watch.pick("5")  # 05: nothing else starts with 5
    assert checked == ["12", "05"]
    watch._key("l")
    watch.pick("1")
    assert watch.picker.cursor == 0  # the cursor follows the number typed
    watch.pick("enter")  # 01, not 10, 11 or 12
    assert checked[-1] == "01" and watch.picker is None
    watch._key("l")
    watch.pick("9")
    assert checked[-1] == "09"
    watch._key("l")
    for key in ("down", "down", "up", "enter"):
        watch.pick(key)
    assert checked[-1] == "10"
    watch._key("p")
    assert checked[-1] == "09"
    watch._key("l")
    watch.pick("esc")
    assert watch.picker is None and checked[-1] == "09"
    watch._key("e")  # not passed: the explanation stays closed
    assert not watch.explained and "once this exercise passes" in str(watch.notes[0])



def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], text=True,
                          capture_output=True).stdout


def _wait_for(session: str, text: str, seconds: float = 60, save: Path | None = None,
              content: str = "", complete: bool = True) -> str:
    """Poll the pane until `text` shows, on a complete screen (its key line, printed last, is
    there too) unless `complete` is False. With `save`, write `content` there now and again
    every 10 s, in case the watcher missed the first save on a loaded machine."""
    deadline = time.time() + seconds
    saved = 0.0
    screen = ""
    while time.time() < deadline:
        if save is not None and time.time() - saved > 10:
            save.write_text(content)
            saved = time.time()
        screen = _screen(session)
        if text in screen and (not complete or "q quit" in screen):
            return screen
        time.sleep(0.1)
    size = subprocess.run(["tmux", "display", "-p", "-t", session, "#{pane_width}x"
                           "#{pane_height}"], text=True, capture_output=True).stdout.strip()
    raise AssertionError(f"{text!r} never appeared; the {size} screen shows:\n{screen}")


def _keys(session: str, *keys: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *keys], check=True)


ROWS = 40


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run "
                    "installs it); this test drives `grader watch` in a real terminal")
def test_watch_in_a_real_terminal(deck):
    """In an 80x40 terminal: start on a named exercise, see the spinner while an endless loop
    runs into its limit, read the loop's message once, see a pass with its verdict and header
    still on screen, open the explanation, choose an exercise from the list, go back, read a
    hint, narrow the terminal to 60 columns (every panel line keeps its border), quit."""
    session = f"grader-watch-{os.getpid()}"
    # The pane's own size, not a LINES/COLUMNS the tmux server may have been handed.
    command = (f"cd {deck.root} && unset LINES COLUMNS && GRADER_ROOT={deck.root} "
               f"{sys.executable} -m grader watch 03")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", str(ROWS),
                    command], check=True)
    card = deck.card("03")
    path = deck.exercise_file(card)
    solution = deck.solution_file(card).read_text()
    looping = solution.replace("    std = gain", "    while fan_in > 0:\n        fan_in += 1\n"
                               "    std = gain", 1)
    assert looping != solution
    try:
        screen = _wait_for(session, "not started")
        assert "exercise 03 of 12" in screen and "q quit" in screen
        _wait_for(session, "checking exercise 03", save=path, content=looping,
                  complete=False)  # the spinner, while the loop runs into its limit
        screen = _wait_for(session, "stopped after 5 s")
        assert "xavier_normal(3, 4, rng) stopped after 5 s: an endless loop" in screen
        assert "when it was stopped, your code was at:" in screen  # the sandbox's stack sample
        assert re.search(r"03_xavier\.py:\d+ in xavier_normal: (while fan_in > 0:|fan_in \+= 1)",
                         screen), screen
        assert screen.count("stopped after") == 1 and "skipped" not in screen
        assert "more checks for the same reason" in screen
        screen = _wait_for(session, "7/7 checks passed", save=path, content=solution)
        lines = screen.rstrip("\n").split("\n")
        assert "grader watch · exercise 03 of 12" in lines[0]  # nothing scrolled off the top
        assert len(lines) <= ROWS and "Why it works" in screen
        assert "Press n for the next exercise" in screen and "q quit" in lines[-1]
        _keys(session, "e")
        screen = _wait_for(session, "e closes")
        assert "grader watch · exercise 03 of 12" in screen.split("\n")[0]
        _keys(session, "l")
        _wait_for(session, "type a number")
        _keys(session, "0", "5")
        _wait_for(session, "exercise 05 of 12")
        _keys(session, "p")
        _wait_for(session, "exercise 04 of 12")
        _keys(session, "h")
        _wait_for(session, "Hint 1 of")
        subprocess.run(["tmux", "resize-window", "-t", session, "-x", "60"], check=True)
        deadline = time.time() + 30
        while time.time() < deadline:  # redrawn for the new width
            screen = _screen(session)
            panels = [line for line in screen.split("\n") if line and line[0] in "╭│╰"]
            if panels and all(len(line) == 60 for line in panels) and "q quit" in screen:
                break
            time.sleep(0.1)
        assert panels and all(len(line) == 60 and line[-1] in "╮│╯" for line in panels), screen
        _keys(session, "q")
        deadline = time.time() + 30
        while time.time() < deadline and subprocess.run(
                ["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            time.sleep(0.2)
        assert subprocess.run(["tmux", "has-session", "-t", session],
                              capture_output=True).returncode != 0, "watch did not quit on q"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

