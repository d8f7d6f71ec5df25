"""`grader grade` and `grader merge` against a hostile class folder: planted and forged reports,
report paths made directories or symlinks, symlinked submissions, formula-injection, non-UTF-8,
overlong and dot names, two candidates, resubmissions, unverifiable shards. Each case must end in
a named problem or a fair verdict, and the gradebook is always written."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = "def xavier_normal(fan_in, fan_out, rng, gain=1.0):\n" \
       "    return rng.normal(0.0, 1.0, size=(fan_in, fan_out))\n"
WRONG = GOOD.replace("size=(fan_in, fan_out)", "size=(fan_out, fan_in)")
CHECK = ("import pytest\n\n\n@pytest.mark.limit(1)\n"
         "def test_shape(learner, rng):\n"
         '    """the shape is (fan_in, fan_out)"""\n'
         "    assert learner.xavier_normal(2, 3, rng).shape == (2, 3), 'wrong shape'\n")
LONG = b"l" * 250
NAMES = {b"ada": GOOD, b"=HYPERLINK(\"evil.example\")": GOOD, b"+cmd": GOOD,
         b"-2+3": GOOD, b"@SUM(A1)": GOOD, b"bad\xff\xfename": GOOD, LONG: GOOD,
         b"gradebook": GOOD, b"ctl\x1b[2Jname": GOOD}
VERDICTS = {  # each stays distinct in the gradebook's status column
    "loop": ("def xavier_normal(*a, **k):\n    while True:\n        pass\n", "timeout"),
    "crash": ("import os\ndef xavier_normal(*a, **k):\n    os._exit(3)\n", "crash"),
    "syn": ("def xavier_normal(:\n", "import_error"),
    "imp": ("import no_such_module_here\n", "import_error"),
    "stub": ("def xavier_normal(*a, **k):\n    raise NotImplementedError\n", "not_started"),
    "ben": (WRONG, "failed"),
}


def grader(deck: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GRADER_ROOT": str(deck), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader", *args], env=env, text=True,
                          capture_output=True, timeout=300, errors="replace", cwd=cwd)


def book(out: Path) -> dict[str, dict[str, str]]:
    with (out / "gradebook.csv").open(newline="") as handle:
        return {r["student"]: r for r in csv.DictReader(handle)}


def folder(subs: Path, raw: bytes) -> Path:
    return Path(os.fsdecode(os.path.join(os.fsencode(subs), raw)))


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A deck with exercise 03 and a one-check private checks folder, and a hostile class."""
    base = tmp_path_factory.mktemp("hostile")
    deck = base / "deck"
    (deck / "cards").mkdir(parents=True)
    shutil.copy(ROOT / "cards" / "03-xavier.md", deck / "cards")
    checks = base / "private"
    checks.mkdir()
    (checks / "test_03_xavier.py").write_text(CHECK)
    subs = base / "subs"
    for raw, source in NAMES.items():
        folder(subs, raw).mkdir(parents=True)
        (folder(subs, raw) / "03_mine.py").write_text(source)
    for name, (source, _) in VERDICTS.items():
        write(subs / name / "03_mine.py", source)
    (subs / ".git" / "objects").mkdir(parents=True)  # a dot-folder: reported, not a student
    write(subs / "repo" / "exercises" / "03_xavier.py", GOOD)  # a whole repository
    write(subs / "repo" / "solutions" / "03_xavier.py", WRONG)
    write(subs / "two" / "03_a.py", GOOD)
    write(subs / "two" / "old" / "03_b.py", GOOD)
    (subs / "peer").mkdir()
    (subs / "peer" / "03_x.py").symlink_to(subs / "ada" / "03_mine.py")  # a peer's work
    (subs / "spy").mkdir()
    (subs / "spy" / "03_x.py").symlink_to(checks / "test_03_xavier.py")  # the hidden checks
    return deck, checks, subs


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    deck, checks, subs = klass
    out = tmp_path_factory.mktemp("graded") / "out"
    result = grader(deck, "grade", str(subs), "--out", str(out), "--checks", str(checks),
                    "--jobs", "2", "--format", "gradescope")
    return out, result


def regrade(klass, out: Path, *extra: str) -> subprocess.CompletedProcess:
    deck, checks, subs = klass
    return grader(deck, "grade", str(subs), "--out", str(out), "--checks", str(checks), *extra)


def copy_of(graded, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(graded[0], out, symlinks=True)
    return out


def test_every_name_is_graded_under_a_safe_reversible_name(klass, graded):
    out, result = graded
    assert result.returncode == 0, result.stderr
    rows = book(out)
    raws = {unquote_to_bytes(name.removeprefix("'")) for name in rows}
    assert raws == {*NAMES, *(n.encode() for n in VERDICTS), b"repo", b"two", b"peer", b"spy"}
    for name, row in rows.items():
        assert not name.startswith(("=", "+", "-", "@"))  # escaped: read as text
        expected = "0" if name in ("two", "peer", "spy", *VERDICTS) else "10"
        assert row["03_xavier"] == expected, name
    assert rows["'=HYPERLINK(\"evil.example\")"]["03_xavier status"] == "passed"
    assert rows["bad%FF%FEname"]["03_xavier"] == "10"
    assert rows["ctl%1B[2Jname"]["03_xavier"] == "10"
    assert "\x1b" not in result.stdout  # the name's escape sequence never reaches the terminal
    long_report = [p for p in out.glob("llll*.json") if not p.name.endswith(".gradescope.json")]
    assert len(long_report) == 1 and len(long_report[0].name) < 100
    assert json.loads(long_report[0].read_text())["student"]["name"] == LONG.decode()
    assert not (out / "gradebook.json").exists()  # the reserved name got a hashed key
    assert ".git" in result.stdout and "dot-folder" in result.stdout


def test_statuses_and_layouts_are_reported(graded):
    out, result = graded
    rows = book(out)
    assert {n: rows[n]["03_xavier status"] for n in VERDICTS} == {
        n: status for n, (_, status) in VERDICTS.items()}
    assert rows["two"]["03_xavier status"] == "two_candidates"
    assert rows["peer"]["03_xavier status"] == rows["spy"]["03_xavier status"] == "refused_file"
    assert rows["repo"]["03_xavier"] == "10"  # exercises/ wins over the copied solutions/
    spy = json.loads((out / "spy.json").read_text())
    assert "symbolic link" in spy["exercises"][0]["checks"][0]["message"]
    assert "assert learner" not in json.dumps(spy)  # nothing of the checks leaked into feedback
    attention = (out / "report.html").read_text()
    assert "03 two_candidates" in attention and "03 refused_file" in attention
    repo = json.loads((out / "repo.json").read_text())
    assert repo["submission"]["picked"]["03"]["path"] == "exercises/03_xavier.py"
    assert repo["submission"]["ignored"][0]["path"] == "solutions/03_xavier.py"
    assert repo["exercises"][0]["file"] == "exercises/03_xavier.py"
    for words in ("files picked in exercises/", "2 candidate files for exercise 03",
                  "03_x.py: a symbolic link: not followed",
                  "03 two candidates", "03 refused file"):  # the per-student rows flag them
        assert words in result.stdout


def test_resume_reuses_unchanged_reports_and_regrades_changed_submissions(klass, graded,
                                                                          tmp_path):
    out = copy_of(graded, tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"}
    result = regrade(klass, out)
    assert result.returncode == 0, result.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".json"}
    assert after == before  # nothing re-graded, the 250-character name included
    ben = klass[2] / "ben" / "03_mine.py"
    try:
        ben.write_text(GOOD)  # ben resubmits a fixed file
        result = regrade(klass, out)
    finally:
        ben.write_text(WRONG)
    assert "re-graded: the submission changed" in result.stdout
    assert book(out)["ben"]["03_xavier"] == "10"
    assert (out / "ada.json").read_bytes() == before["ada.json"]


def test_planted_and_forged_reports_are_refused_and_regraded(klass, graded, tmp_path):
    out = copy_of(graded, tmp_path)
    ben = json.loads((out / "ben.json").read_text())
    forged = {**ben, "score": 10.0}
    forged["exercises"][0].update(status="passed", score=10.0)
    forged["exercises"][0]["checks"][0].update(status="passed", points=10.0)
    (out / "ben.json").write_text(json.dumps(forged))  # changed score, old signature
    ada = (out / "ada.json").read_text()
    (out / "two.json").write_text(ada)  # a genuine report, under another student's name
    (out / "+cmd.json").write_text(json.dumps({"score": 1, "exercises": []}))  # unsigned
    result = regrade(klass, out)
    assert result.returncode == 0, result.stderr
    rows = book(out)
    assert rows["ben"]["03_xavier"] == "0" and rows["two"]["03_xavier"] == "0"
    assert "ben.json refused (its signature does not match" in result.stdout
    assert "two.json refused" in result.stdout and "+cmd.json refused" in result.stdout
    assert json.loads((out / "ben.json").read_text())["score"] == 0


def test_report_paths_made_directories_or_symlinks_are_named_and_the_gradebook_written(
        klass, graded, tmp_path):
    out = copy_of(graded, tmp_path)
    (out / "ben.json").unlink()
    (out / "ben.json").mkdir()
    (out / "ben.json" / "keep").write_text("x")
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    (out / "ada.json").unlink()
    (out / "ada.json").symlink_to(victim)
    (out / "feedback" / "two.md").unlink()
    (out / "feedback" / "two.md").mkdir()  # in the way of hand-back feedback to fill in
    result = regrade(klass, out)
    assert result.returncode == 1  # a report could not be written: the run says so
    assert "ben.json not written: a directory is in the way" in result.stdout
    assert "ada.json not written: a symbolic link is in the way" in result.stdout
    assert "two.md not written: a directory is in the way" in result.stdout
    assert victim.read_text() == "untouched" and (out / "ben.json" / "keep").is_file()
    rows = book(out)
    assert rows["ada"]["03_xavier"] == "10" and rows["ben"]["03_xavier"] == "0"


def test_formats_missing_on_a_rerun_are_written_and_stale_outputs_named(klass, graded,
                                                                         tmp_path):
    out = copy_of(graded, tmp_path)
    (out / "ada.gradescope.json").unlink()
    (out / "ghost.json").write_text("{}")  # a student who is no longer in the class
    result = regrade(klass, out, "--format", "gradescope", "--format", "junit")
    assert json.loads((out / "ada.gradescope.json").read_text())["score"] == 10
    assert (out / "ada.junit.xml").is_file() and (out / "ben.junit.xml").is_file()
    assert "ghost.json: no student folder has this name any more" in result.stdout
    os.utime(out / "ben.junit.xml", (1, 1))  # older than ben's report
    result = regrade(klass, out)
    assert "ben.junit.xml is older than the student's report: add --format junit" \
        in result.stdout


def test_merge_refuses_reports_it_cannot_verify(klass, tmp_path):
    deck, checks, subs = klass
    key = tmp_path / "class.key"
    shards = [tmp_path / "one", tmp_path / "two"]
    for index, shard in enumerate(shards, 1):
        assert grader(deck, "grade", str(subs), "--out", str(shard), "--checks", str(checks),
                      "--shard", f"{index}/2", "--key", str(key)).returncode == 0
    genuine = next(p for p in shards[0].glob("*.json"))
    doc = json.loads(genuine.read_text())
    doc["student"] = {"name": "mallory", "key": "mallory"}
    (shards[1] / "mallory.json").write_text(json.dumps(doc))  # re-labelled, signature stale
    merged = tmp_path / "merged"
    result = grader(deck, "merge", *map(str, shards), "--out", str(merged), "--key", str(key))
    assert result.returncode == 1
    assert "mallory.json refused" in result.stdout.replace("\n", "")
    rows = book(merged)
    assert "mallory" not in rows and len(rows) == len(NAMES) + len(VERDICTS) + 4
    result = grader(deck, "grade", str(subs), "--out", str(shards[1]), "--checks", str(checks),
                    "--shard", "2/2", "--key", str(key), "--seed", "5")
    assert "re-graded: the checks, cards or seed changed" in result.stdout
    result = grader(deck, "merge", *map(str, shards), "--out", str(merged), "--key", str(key))
    assert "graded with 2 different sets of checks" in result.stdout
    other = tmp_path / "other.key"
    result = grader(deck, "merge", *map(str, shards), "--out", str(tmp_path / "m2"),
                    "--key", str(other.with_suffix(".missing")))
    assert result.returncode == 2 and "--key" in result.stderr


def test_check_submission_uses_the_same_rule(klass):
    deck, checks, subs = klass
    result = grader(deck, "check", "03", "--submission", "repo", "--checks", str(checks),
                    "--format", "json", cwd=subs)  # a relative folder, as people type it
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["exercises"][0]["file"].endswith("exercises/03_xavier.py")
    result = grader(deck, "check", "03", "--submission", str(subs / "two"), "--checks",
                    str(checks), "--format", "json")
    assert result.returncode == 1
    assert "2 candidate files" in json.loads(result.stdout)["exercises"][0]["problem"]


def test_out_or_key_inside_the_submissions_is_refused(klass):
    deck, _, subs = klass
    for extra in (["--out", str(subs / "grades")],
                  ["--out", str(subs.parent / "elsewhere"), "--key", str(subs / "ada" / "k")]):
        result = grader(deck, "grade", str(subs), *extra)
        assert result.returncode == 2 and "inside the submissions folder" in result.stderr
    assert not (subs / "grades").exists() and not (subs / "ada" / "k").exists()
