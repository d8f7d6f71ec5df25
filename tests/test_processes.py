"""Every process the grader starts is waited for by the process that started it (worker by
keeper, keeper by zygote, zygote by the grader or its pool process), so `time` and
`getrusage(RUSAGE_CHILDREN)` count all of them. Proof: run the grader under a child subreaper,
which inherits every process whose parent ended without waiting for it; none may reach it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_CHILD_SUBREAPER is Linux's")

# Runs COMMAND as our child while we are a subreaper; prints its exit code and every other
# process that was handed to us (an orphan: its parent ended without waiting for it).
SUBREAPER = """
import ctypes, json, os, subprocess, sys, time
assert ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
stderr = child.communicate()[1].decode(errors="replace")
orphans, deadline = [], time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        pid, status = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid:
        orphans.append(pid)
    else:
        time.sleep(0.05)
print(json.dumps({"code": child.returncode, "orphans": orphans, "stderr": stderr}))
"""


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> tuple[Path, Path]:
    """A deck of exercises 03 and 04, and a class of four: solutions, and a known mistake in 03.
    A check of both exercises, or a pool of two grading batches of two students, forks its
    workers from a zygote; one student per batch, or one exercise, spawns their keepers."""
    base = tmp_path_factory.mktemp("processes")
    deck = base / "deck"
    (deck / "cards").mkdir(parents=True)
    for card in ("03-xavier.md", "04-he.md"):
        shutil.copy(ROOT / "cards" / card, deck / "cards")
    xavier = (ROOT / "solutions" / "03_xavier.py").read_text()
    lecun = xavier.replace("np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)")
    for name, source in (("ada", xavier), ("cy", lecun), ("dee", xavier), ("eve", lecun)):
        (base / "class" / name).mkdir(parents=True)
        (base / "class" / name / "03_xavier.py").write_text(source)
        shutil.copy(ROOT / "solutions" / "04_he.py", base / "class" / name)
    return deck, base / "class"


def orphans_of(deck: Path, *args: str) -> dict:
    env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", SUBREAPER, sys.executable, "-m", "grader",
                           *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("students", [4, 2], ids=["zygote", "spawned"])
def test_a_class_graded_by_a_pool_leaves_no_process_unwaited(deck, tmp_path, students):
    root, klass = deck
    picked = tmp_path / "class"
    for student in sorted(klass.iterdir())[:students]:
        shutil.copytree(student, picked / student.name)
    run = orphans_of(root, "grade", str(picked), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert run["code"] == 0, run["stderr"]
    assert run["orphans"] == []
    assert len((tmp_path / "out" / "gradebook.csv").read_text().splitlines()) == students + 1


def test_one_student_checked_leaves_no_process_unwaited(deck):
    root, klass = deck
    run = orphans_of(root, "check", "--all", "--submission", str(klass / "cy"))
    assert run["code"] == 1, run["stderr"]  # the known mistake fails
    assert run["orphans"] == []


def test_closing_the_zygote_stops_a_worker_still_running_and_waits_for_it():
    from grader.sandbox.supervisor import Limits, Worker, worker_env
    from grader.sandbox.zygote import Zygote

    zygote = Zygote(worker_env())
    worker = Worker(Limits(), zygote)
    worker.wait_ready()  # running, never stopped: the grader ends with it alive
    keeper = worker.proc.pid
    zygote.close()
    assert zygote.proc.returncode == 0  # it ended by itself, not killed after the time-out
    assert not os.path.exists(f"/proc/{worker.pid}")  # worker and keeper waited for: gone
    assert not os.path.exists(f"/proc/{keeper}")
    worker.stop()
