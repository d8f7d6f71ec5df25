"""One worker per owner (issue 15): a student's exercises are served one after another by one
worker, each file loaded afresh in it and finding the interpreter as the first file found it; no
other student's file ever gets that worker; a worker that died or spent half its CPU budget is
not handed on."""

from __future__ import annotations

import json
from pathlib import Path

from probe_deck import make_cards

from grader.checking import check_cards
from grader.instructor.grade import grade_class
from grader.results import PASSED
from grader.sandbox.policy import Limits
from grader.sandbox.zygote import Zygote

# Each check writes what the learner's function returned to $SESSION_LOG, one JSON line.
REPORTS = '''
import json
import os

import pytest


@pytest.mark.limit(seconds=LIMIT)
def test_report(learner):
    """the learner's report() is logged"""
    with open(os.environ["SESSION_LOG"], "a") as log:
        log.write(json.dumps(learner.report()) + "\\n")
'''

MARKS = '''
import os

with open(os.path.join(os.environ["HOME"], "mark"), "w") as mark:
    mark.write(OWNER)

def report():
    return "marked"
'''

READS_MARK = '''
import os

def report():
    mark = os.path.join(os.environ["HOME"], "mark")
    return open(mark).read() if os.path.exists(mark) else "none"
'''

# Changes every piece of interpreter state an honest file might change at import.
CHANGES_STATE = '''
import os
import sys
import warnings

import numpy as np

np.mean(np.array([]))  # numpy's "Mean of empty slice" warning, shown once per place
np.seterr(all="raise")
np.set_printoptions(precision=2)
warnings.simplefilter("error")
os.chdir("/")
os.environ["FROM_FIRST"] = "1"
sys.setrecursionlimit(200)

def report():
    return "changed"
'''

SHOWS_STATE = '''
import importlib.util
import os
import sys
import warnings

import numpy as np

def report():
    np.mean(np.array([]))
    return {"errors": np.geterr(), "precision": np.get_printoptions()["precision"],
            "filters": [f[0] for f in warnings.filters[:2]], "cwd": os.path.basename(os.getcwd()),
            "from_first": os.environ.get("FROM_FIRST"), "recursion": sys.getrecursionlimit(),
            "first_importable": importlib.util.find_spec("01") is not None}
'''


def deck(root: Path, limit: float = 5.0):
    checks = REPORTS.replace("LIMIT", repr(limit))
    return make_cards(root, {"01-first": checks, "02-second": checks})


def logged(log: Path) -> list:
    return [json.loads(line) for line in log.read_text().splitlines()]


def submit(folder: Path, first: str | None, second: str) -> Path:
    folder.mkdir(parents=True)
    if first is not None:
        (folder / "01.py").write_text(first)
    (folder / "02.py").write_text(second)
    return folder


def test_a_students_exercises_share_a_worker_that_no_other_student_gets(
        tmp_path, log, monkeypatch):
    project = deck(tmp_path / "deck")
    subs = tmp_path / "subs"
    submit(subs / "ann", MARKS.replace("OWNER", "'ann'"), READS_MARK)
    submit(subs / "bob", "def report():\n    return 'no mark'\n", READS_MARK)
    submit(subs / "cid", None, READS_MARK)  # no first file: nothing to hand on
    spawned = []
    spawn = Zygote.spawn
    monkeypatch.setattr(Zygote, "spawn", lambda self, *a: spawned.append(1) or spawn(self, *a))
    run = grade_class(project, subs, tmp_path / "out", jobs=1)
    assert logged(log) == ["marked", "ann", "no mark", "none", "none"]
    assert all(r.passed for report in run.reports.values() for r in report.results[1:])
    # a worker per student, and a spare started ahead for a next student
    assert len(spawned) <= len(run.reports) + 1


def test_each_file_finds_the_interpreter_as_the_first_file_found_it(tmp_path, log):
    project = deck(tmp_path / "deck")
    submission = submit(tmp_path / "sub", CHANGES_STATE, SHOWS_STATE)
    after_first = check_cards(project, project.cards, submission=submission)
    alone = check_cards(project, project.cards[1:], submission=submission)
    first, shared, own = logged(log)
    assert first == "changed"
    assert shared == own
    assert shared["errors"]["divide"] == "warn" and shared["precision"] == 8
    assert "error" not in shared["filters"] and shared["cwd"] == "work"
    assert (shared["from_first"], shared["first_importable"]) == (None, False)
    assert shared["recursion"] != 200
    warned = [c.output for c in after_first[1].checks]
    assert warned == [c.output for c in alone[0].checks]
    assert "Mean of empty slice" in warned[0]


def test_a_worker_that_timed_out_is_not_handed_on(tmp_path, log):
    project = deck(tmp_path / "deck", limit=1.0)
    loops = "def report():\n    while True:\n        pass\n"
    submission = submit(tmp_path / "sub", loops, "def report():\n    return 'second'\n")
    results = check_cards(project, project.cards, submission=submission)
    assert results[0].checks[0].kind == "timeout"
    assert results[1].checks[0].status == PASSED
    assert logged(log) == ["second"]


def test_a_worker_that_spent_half_its_cpu_budget_is_not_handed_on(tmp_path, log):
    project = deck(tmp_path / "deck")
    spends = MARKS.replace("OWNER", "'spent'").replace(
        'return "marked"', 'import time\n    end = time.process_time() + 1.2\n'
        '    while time.process_time() < end:\n        pass\n    return "spent"')
    submission = submit(tmp_path / "sub", spends, READS_MARK)
    check_cards(project, project.cards, submission=submission, limits=Limits(cpu=2))
    assert logged(log) == ["spent", "none"]  # a new worker: the first one's folder is gone
    log.write_text("")
    check_cards(project, project.cards, submission=submission, limits=Limits(cpu=3))
    assert logged(log) == ["spent", "spent"]  # 1.2 s of 3: still handed on


def test_a_worker_without_landlock_is_not_handed_on(tmp_path, log, monkeypatch):
    """Where Landlock is missing, the learner's code might write to the folders where the grader
    places the next file: every file then gets a worker of its own."""
    from grader.sandbox import confine

    missing = confine.missing
    monkeypatch.setattr(confine, "missing",
                        lambda layers: {**missing(layers), "landlock": "off for this test"})
    project = deck(tmp_path / "deck")
    submission = submit(tmp_path / "sub", MARKS.replace("OWNER", "'first'"), READS_MARK)
    check_cards(project, project.cards, submission=submission)
    assert logged(log) == ["marked", "none"]


def test_placing_a_file_never_writes_through_a_link_left_in_src(tmp_path):
    """Defence in depth for a machine where the worker could write to `src/`: what is there is
    removed, and the new file is created afresh, never followed through a link."""
    from grader.checkapi.plugin import stop_unused
    from grader.sandbox.source import Source
    from grader.sandbox.supervisor import Worker

    target = tmp_path / "grader-owned.txt"
    target.write_text("keep me")
    worker = Worker(Limits())
    try:
        (worker.scratch / "src" / "02.py").symlink_to(target)
        path = worker.place(Source(b"def report():\n    return 2\n", "02.py"))
        assert target.read_text() == "keep me"
        assert Path(path).read_bytes() == b"def report():\n    return 2\n"
        assert not Path(path).is_symlink()
    finally:
        stop_unused(worker)
