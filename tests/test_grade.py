"""Instructor grading: a class graded end to end, shards merged into the same gradebook, resume."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> tuple[Path, Path]:
    """A deck with exercise 03 only, and a class of six very different students."""
    base = tmp_path_factory.mktemp("class")
    deck = base / "deck"
    (deck / "cards").mkdir(parents=True)
    shutil.copy(ROOT / "cards" / "03-xavier.md", deck / "cards")
    subs = base / "submissions"
    solution = (ROOT / "solutions" / "03_xavier.py").read_text()
    students = {
        "ada": solution,
        "ben": (ROOT / "exercises" / "03_xavier.py").read_text(),
        "cy": solution.replace("np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)"),
        "dee": "import sys\nsys.exit(0)\n",
        "eve": "import os\nos.system('echo pwned > /tmp/eve')\ndef xavier_normal(*a, **k):\n"
               "    os._exit(0)\n",
        "fay": None,  # submitted nothing
    }
    for name, source in students.items():
        (subs / name).mkdir(parents=True)
        if source is not None:
            (subs / name / "03_mine.py").write_text(source)
    return deck, subs


def grader(deck: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True,
                          capture_output=True, timeout=300)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_class_grades_into_every_format(klass, tmp_path):
    deck, subs = klass
    out = tmp_path / "out"
    result = grader(deck, "grade", str(subs), "--out", str(out), "--jobs", "2",
                    "--format", "junit", "--format", "gradescope", "--format", "classroom")
    assert result.returncode == 0, result.stderr
    book = {r["student"]: r for r in rows(out / "gradebook.csv")}
    assert list(book) == ["ada", "ben", "cy", "dee", "eve", "fay"]
    assert book["ada"]["03_xavier"] == book["ada"]["max"] == "10"
    assert book["ben"]["total"] == "0" and book["fay"]["total"] == "0"
    assert 0 < float(book["cy"]["total"]) < 10  # a wrong scale loses the scale checks only
    report = json.loads((out / "fay.json").read_text())
    assert report["exercises"][0]["problem"] == "no file"
    cy = json.loads((out / "cy.json").read_text())
    assert "LeCun" in json.dumps(cy)
    for student in book:
        for suffix in ("json", "junit.xml", "gradescope.json", "classroom.json"):
            assert (out / f"{student}.{suffix}").is_file()
    assert json.loads((out / "ada.gradescope.json").read_text())["score"] == 10
    assert "Checks most often failed" in result.stdout


def test_shards_merge_into_the_same_gradebook(klass, tmp_path):
    deck, subs = klass
    whole, one, two, merged = (tmp_path / n for n in ("whole", "one", "two", "merged"))
    key = tmp_path / "class.key"  # created 0600 by the first shard, shared by the others
    assert grader(deck, "grade", str(subs), "--out", str(whole)).returncode == 0
    assert grader(deck, "grade", str(subs), "--out", str(one), "--shard", "1/2",
                  "--key", str(key)).returncode == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert grader(deck, "grade", str(subs), "--out", str(two), "--shard", "2/2",
                  "--key", str(key)).returncode == 0
    first = {r["student"] for r in rows(one / "gradebook.csv")}
    second = {r["student"] for r in rows(two / "gradebook.csv")}
    assert first and second and not first & second
    result = grader(deck, "merge", str(one), str(two), "--out", str(merged))
    assert result.returncode == 2 and "--key" in result.stderr  # no key, nothing verifies
    assert grader(deck, "merge", str(one), str(two), "--out", str(merged),
                  "--key", str(key)).returncode == 0
    assert (merged / "gradebook.csv").read_text() == (whole / "gradebook.csv").read_text()


def test_resume_skips_graded_students_unless_forced(klass, tmp_path):
    deck, subs = klass
    out = tmp_path / "out"
    assert grader(deck, "grade", str(subs), "--out", str(out)).returncode == 0
    report = out / "ada.json"
    report.write_text(report.read_text().replace('"title"', '"title"', 1) + " ")
    marker = report.read_text()
    assert grader(deck, "grade", str(subs), "--out", str(out)).returncode == 0
    assert report.read_text() == marker  # not graded again
    assert grader(deck, "grade", str(subs), "--out", str(out), "--force").returncode == 0
    assert report.read_text() != marker


def test_bad_shard_is_a_usage_error(klass, tmp_path):
    deck, subs = klass
    result = grader(deck, "grade", str(subs), "--out", str(tmp_path), "--shard", "3/2")
    assert result.returncode == 2 and "--shard" in result.stderr


def test_private_checks_folder_replaces_the_shipped_checks(klass, tmp_path):
    deck, subs = klass
    private = tmp_path / "private"
    private.mkdir()
    (private / "test_03_xavier.py").write_text(
        "def test_secret(learner, rng):\n"
        '    """a hidden check the students never saw"""\n'
        "    assert learner.xavier_normal(2, 2, rng).shape == (2, 2), 'wrong shape'\n")
    out = tmp_path / "out"
    result = grader(deck, "grade", str(subs), "--out", str(out), "--checks", str(private))
    assert result.returncode == 0, result.stderr
    ada = json.loads((out / "ada.json").read_text())
    titles = [c["title"] for c in ada["exercises"][0]["checks"]]
    assert titles == ["a hidden check the students never saw"]
    assert ada["score"] == ada["max_score"] == 10


def test_the_documented_ci_matrix_is_valid_yaml_and_shares_one_key():
    import re

    import yaml

    text = (ROOT / "docs" / "grading.md").read_text()
    workflow = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", text, re.S)[0])
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    commands = [r for r in runs if r.startswith(("grader grade", "grader merge"))]
    assert len(commands) == 2
    assert all('--key "$RUNNER_TEMP/grader.key"' in c for c in commands)


def test_a_broken_view_is_a_failing_note_and_the_class_goes_on():
    from grader.instructor.classrun import ClassResult, write_or_note

    run = ClassResult()
    written = []
    write_or_note(run, "ada", lambda: 1 / 0)
    write_or_note(run, "grace", lambda: written.append("grace"))
    assert written == ["grace"] and run.failed
    assert [(n.student, n.kind) for n in run.notes] == [("ada", "unwritten")]
    assert "ZeroDivisionError" in run.notes[0].text and "bug in the grader" in run.notes[0].text
