"""One pytest session for many cards and students (issue 15): each checks module is collected
once per process, checks are classified without pytest's long failure report, a student's results
come back as soon as they are graded, and a broken checks module is named even among many."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from probe_deck import GOOD, make_cards

from grader.checking import check_cards
from grader.errors import GraderError
from grader.instructor.grade import grade_class
from grader.results import ERROR, FAILED, NOT_STARTED, PASSED, SKIPPED

# Every kind of outcome a check can have, and a record of what ran: imports of the module (in
# $SESSION_LOG) and a fixture's finalizer (in $SESSION_LOG too).
KINDS = '''
import os

import pytest

with open(os.environ["SESSION_LOG"], "a") as log:
    log.write(f"import {__name__} {os.getpid()}\\n")


@pytest.fixture
def skipping():
    pytest.skip("no fixture today")


@pytest.fixture
def broken():
    raise ValueError("bad fixture")


@pytest.fixture
def noted(request):
    def note():
        with open(os.environ["SESSION_LOG"], "a") as log:
            log.write(f"finalized {request.node.name}\\n")
    request.addfinalizer(note)


@pytest.fixture
def breaks_after():
    yield
    raise RuntimeError("teardown breaks")


def test_passes(learner, noted):
    """echo gives its argument back"""
    assert learner.echo(3) == 3, "echo(3) is not 3"


def test_fails(learner, noted):
    """echo(1) is 2"""
    assert learner.echo(1) == 2, "echo(1) gave 1, not 2"


def test_skips(learner):
    pytest.skip("not today")


def test_skips_in_setup(skipping):
    """never runs"""


def test_setup_breaks(broken):
    """never runs"""


@pytest.mark.xfail(reason="known to fail")
def test_expected_to_fail(learner):
    assert learner.echo(1) == 2


def test_teardown_breaks(learner, breaks_after):
    assert learner.echo(0) == 0


def test_learner_raises(learner):
    learner.boom()


def test_not_started(learner):
    learner.stub()
'''

LEARNER = GOOD + '''
def boom():
    return 1 / 0

def stub():
    raise NotImplementedError
'''


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The arguments of every pytest session started in this process."""
    started: list[list[str]] = []
    main = pytest.main

    def counted(args, plugins=None):
        started.append(list(args))
        return main(args, plugins=plugins)

    monkeypatch.setattr(pytest, "main", counted)
    return started


def test_every_outcome_is_classified_without_pytests_long_report(tmp_path, log, monkeypatch):
    from _pytest import nodes

    def no_long_report(*args, **kwargs):
        raise AssertionError("pytest's long failure report was built")

    monkeypatch.setattr(nodes.Node, "_repr_failure_py", no_long_report)
    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS})
    submission = tmp_path / "01_kinds.py"
    submission.write_text(LEARNER)
    [result] = check_cards(deck, [deck.card("01")], submission=submission)
    got = {c.name: (c.status, c.message) for c in result.checks}
    assert got["test_passes"] == (PASSED, "")
    assert got["test_fails"] == (FAILED, "echo(1) gave 1, not 2")
    assert got["test_skips"] == (SKIPPED, "not today")
    assert got["test_skips_in_setup"] == (SKIPPED, "no fixture today")
    assert got["test_setup_breaks"] == (ERROR, "the check itself broke (ValueError: bad "
                                               "fixture); this is a bug in the checks, please "
                                               "report it")
    assert got["test_expected_to_fail"] == (SKIPPED, "skipped")  # pytest's xfail: a skip
    assert got["test_teardown_breaks"] == (PASSED, "")  # a teardown's error is not the learner's
    assert got["test_learner_raises"][0] == ERROR
    assert "ZeroDivisionError: division by zero" in got["test_learner_raises"][1]
    learner_raises = next(c for c in result.checks if c.name == "test_learner_raises")
    assert learner_raises.learner_error["type"] == "ZeroDivisionError"
    assert got["test_not_started"][0] == NOT_STARTED
    finalized = [line for line in log.read_text().splitlines() if line.startswith("finalized")]
    assert finalized == ["finalized test_passes", "finalized test_fails"]


def test_check_all_is_one_session_collecting_each_module_once(tmp_path, log, sessions):
    hidden = "\n\n@pytest.mark.visibility('hidden')\ndef test_hidden(learner):\n    pass\n"
    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS, "02-twin": KINDS + hidden,
                                         "03-third": KINDS + hidden + hidden.replace(
                                             "test_hidden", "test_hidden_too")})
    cards = deck.cards
    for card in cards:  # the learner's own files: only the checks visible to them run
        deck.exercise_file(card).parent.mkdir(exist_ok=True)
        deck.exercise_file(card).write_text(LEARNER)
    results = check_cards(deck, cards)
    assert len(sessions) == 1
    assert [r.number for r in results] == ["01", "02", "03"]
    assert [r.withheld for r in results] == [0, 1, 2]
    assert all("test_hidden" not in [c.name for c in r.checks] for r in results)
    assert [len(r.checks) for r in results] == [9, 9, 9]
    imports = [line.split()[1] for line in log.read_text().splitlines()
               if line.startswith("import")]
    assert sorted(imports) == ["test_01_kinds", "test_02_twin", "test_03_third"]
    # each run got its own fixtures: every run's finalizers ran
    assert log.read_text().count("finalized test_passes") == 3


@pytest.mark.parametrize(("broken", "expected"), [
    ("def test_oops(:\n", "the checks module could not be loaded: E   SyntaxError"),
    ("import pytest\n\n\n@pytest.mark.visibility('soon')\ndef test_later(learner):\n"
     "    pass\n", "test_later: visibility must be one of"),
], ids=["collect-error", "marker-error"])
def test_a_broken_module_among_many_is_named_with_its_file(tmp_path, log, broken, expected):
    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS, "02-broken": broken,
                                         "03-third": KINDS})
    submission = tmp_path / "work"
    submission.mkdir()
    with pytest.raises(GraderError) as raised:
        check_cards(deck, deck.cards, submission=submission)
    assert Path(raised.value.path) == deck.checks_dir / "test_02_broken.py"
    assert raised.value.message.startswith(expected), raised.value.message
    if "marker" in expected:
        assert raised.value.line == 4


def test_grading_in_one_process_is_one_session(tmp_path, log, sessions):
    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS, "02-twin": KINDS})
    subs = tmp_path / "subs"
    for name in ("ann", "bob", "cid"):
        (subs / name).mkdir(parents=True)
        (subs / name / "01.py").write_text(LEARNER)
        (subs / name / "02.py").write_text(LEARNER if name != "bob" else "raise ValueError('no')\n")
    arrived: list[int] = []
    run = grade_class(deck, subs, tmp_path / "out", jobs=1,
                      progress=lambda done, total: arrived.append(done))
    assert len(sessions) == 1
    assert arrived == [0, 1, 2, 3]
    assert list(run.reports) == ["ann", "bob", "cid"]
    assert [e.number for e in run.reports["bob"].results] == ["01", "02"]
    assert run.reports["bob"].results[1].status == "import_error"
    assert run.reports["ann"].results[1].to_dict() != run.reports["bob"].results[1].to_dict()
    imports = [line for line in log.read_text().splitlines() if line.startswith("import")]
    assert len(imports) == 2


# A check that, for the student whose file says "late", waits until every other student's report
# has been written: it passes only if reports are written while a student is still being graded.
WAITS = '''
import os
import time
from pathlib import Path

with open(os.environ["SESSION_LOG"], "a") as log:
    log.write(f"import {__name__} {os.getpid()}\\n")


def test_others_reported_first(learner):
    """the other students' reports exist"""
    if learner.who() != "late":
        return
    out = Path(os.environ["SESSION_OUT"])
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(out.glob("*.json"))) == 3, "the others were not reported before me"
'''


def grader(deck: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], text=True,
                          capture_output=True, timeout=300, check=False,
                          env={**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", **env})


def test_each_students_report_is_written_as_soon_as_they_are_graded(tmp_path, log):
    deck = make_cards(tmp_path / "deck", {"01-wait": WAITS})
    subs, out = tmp_path / "subs", tmp_path / "out"
    # the late student comes second: with batches, the first one's report would wait for them
    for name, who in (("s1", "early"), ("s2", "late"), ("s3", "early"), ("s4", "early")):
        (subs / name).mkdir(parents=True)
        (subs / name / "01.py").write_text(f"def who():\n    return {who!r}\n")
    result = grader(deck.root, "grade", str(subs), "--out", str(out), "--jobs", "2",
                    SESSION_OUT=str(out))
    assert result.returncode == 0, result.stderr
    reports = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert sorted(reports) == ["s1", "s2", "s3", "s4"]
    assert all(r["exercises"][0]["checks"][0]["status"] == PASSED for r in reports.values())
    imports = [line.split()[2] for line in log.read_text().splitlines()]
    assert len(imports) == len(set(imports)) <= 2  # once per grading process


def test_a_broken_checks_module_stops_grading_with_its_file(tmp_path, log):
    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS, "02-broken": "def test_oops(:\n"})
    subs = tmp_path / "subs"
    for name in ("s1", "s2", "s3"):
        (subs / name).mkdir(parents=True)
    result = grader(deck.root, "grade", str(subs), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"grader: {deck.checks_dir / 'test_02_broken.py'}: the "
                                    "checks module could not be loaded"), result.stderr
    assert "Traceback" not in result.stderr


def test_a_grading_process_that_dies_is_named_and_the_others_go_on(tmp_path, log):
    dies = WAITS.split("def test_")[0] + '''
def test_kills_the_grader(learner):
    if learner.who() == "late":
        os._exit(3)
'''
    deck = make_cards(tmp_path / "deck", {"01-dies": dies})
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name, who in (("s1", "early"), ("s2", "late"), ("s3", "early"), ("s4", "early")):
        (subs / name).mkdir(parents=True)
        (subs / name / "01.py").write_text(f"def who():\n    return {who!r}\n")
    result = grader(deck.root, "grade", str(subs), "--out", str(out), "--jobs", "2")
    assert result.returncode == 2
    assert "a grading process ended with exit code 3" in result.stderr, result.stderr
    assert sorted(p.stem for p in out.glob("*.json")) == ["s1", "s3", "s4"]


@pytest.mark.parametrize("names, forked", [(["--all"], True), (["02"], False)])
def test_check_of_several_exercises_forks_every_worker_from_the_zygote(
        tmp_path, log, monkeypatch, names, forked):
    """`check --all` starts the zygote at once and forks every worker from it: a first worker
    started from scratch as well would be a second Python and numpy start. One exercise gets
    one worker started from scratch, early, and the command starts no zygote."""
    from grader.cli import main
    from grader.sandbox import supervisor

    deck = make_cards(tmp_path / "deck", {"01-kinds": KINDS, "02-twin": KINDS})
    for card in deck.cards:
        deck.exercise_file(card).parent.mkdir(exist_ok=True)
        deck.exercise_file(card).write_text(LEARNER)
    spawned, zygotes = [], []
    spawn, start = supervisor.Worker._spawn, supervisor.shared_zygote
    monkeypatch.setattr(supervisor.Worker, "_spawn",
                        lambda self, *a: spawned.append(1) or spawn(self, *a))
    monkeypatch.setattr(supervisor, "shared_zygote", lambda: zygotes.append(1) or start())
    code = main(["--root", str(deck.root), "check", *names, "--checks", str(deck.checks_dir),
                 "--format", "json"])
    assert code == 1  # the learner's files fail some checks: the run itself went through
    assert (spawned, bool(zygotes)) == (([] if forked else [1]), forked)
