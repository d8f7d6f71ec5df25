"""Unit tests of the class-folder rules: student names, submission discovery, CSV cells, report
signatures. The end-to-end attacks are in test_batch_integrity.py."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from grader.errors import GraderError
from grader.files import atomic_write, read_regular
from grader.instructor import integrity
from grader.instructor.formats.tables import csv_text, safe_cell
from grader.instructor.names import MAX_KEY_BYTES, keys_for, readable, roster
from grader.instructor.submissions import MAX_FILE_BYTES, discover, exercise_number
from grader.results import NO_FILE, REFUSED_FILE, TWO_CANDIDATES

SUFFIXES = (".gradescope.json", ".classroom.json", ".junit.xml")
HOSTILE_NAMES = [b"ada", b"Ada", b"=HYPERLINK(\"http://x\")", b"a%41", b"\xff\xfe\x00z"[:3],
                 b"gradebook", b"x" * 250, b"ada.gradescope", b"a\x1b[2Jb", b"a\\b",
                 b"rtl\xe2\x80\xaeexe.py", b"z~0123456789abcdef", "josé".encode()]


def test_names_are_reversible_distinct_and_fit_the_file_system():
    keys = keys_for(HOSTILE_NAMES, SUFFIXES)
    assert len(set(k.casefold() for k in keys.values())) == len(HOSTILE_NAMES)
    for raw in HOSTILE_NAMES:
        name = readable(raw)
        assert unquote_to_bytes(name) == raw  # the documented decoding gives the folder back
        assert name.isprintable()
        key = keys[raw]
        assert "/" not in key and "\\" not in key and key.isprintable()
        assert len(f".{key}.gradescope.json.abcdefgh.tmp".encode()) <= 255
    assert keys[b"ada"] == "ada" and keys["josé".encode()] == "josé"
    assert keys[b"Ada"] != "Ada" or keys[b"ada"] != "ada"  # one of them is hashed
    assert keys[b"gradebook"].startswith("gradebook~")
    assert keys[b"ada.gradescope"] != "ada.gradescope"  # would clash with ada's Gradescope file
    assert len(keys[b"x" * 250].encode()) < MAX_KEY_BYTES
    assert readable(b"a\x1b[2Jb") == "a%1B[2Jb" and readable(b"a%41") == "a%2541"


def test_roster_reports_everything_that_is_not_a_student(tmp_path):
    base = os.fsencode(tmp_path)
    for raw in (b".git", b".hidden", b"ada", b"bad\xff"):
        os.mkdir(os.path.join(base, raw))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "alias").symlink_to(tmp_path / "ada")
    klass = roster(tmp_path, SUFFIXES)
    assert [s.name for s in klass.students] == ["ada", "bad%FF"]
    assert klass.students[1].folder.is_dir()
    skipped = dict(klass.skipped)
    assert set(skipped) == {".git", ".hidden", "alias", "notes.txt"}
    assert "symbolic link" in skipped["alias"] and "dot-folder" in skipped[".git"]


def test_exercise_numbers_follow_the_documented_rule():
    names = {"03.py": "03", "03_xavier.py": "03", "03-mine.py": "03", "03.v2.py": "03",
             "3_x.py": None, "03x.py": None, "103_x.py": None, "03_x.pyc": None,
             "test_03.py": None}
    assert {n: exercise_number(n) for n in names} == names


def write(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_files_are_found_at_any_depth_preferring_exercises(tmp_path):
    write(tmp_path / "repo" / "exercises" / "03_xavier.py", "mine")
    write(tmp_path / "repo" / "solutions" / "03_xavier.py", "copied")
    write(tmp_path / "deep" / "er" / "04_he.py")
    write(tmp_path / "helpers.py")
    write(tmp_path / "99_extra.py")
    write(tmp_path / ".git" / "03_evil.py")
    write(tmp_path / "__pycache__" / "03_xavier.py")
    found = discover(tmp_path, {"03", "04", "05"})
    assert found.files["03"].shown == "repo/exercises/03_xavier.py"
    assert found.files["03"].data == b"mine"
    assert found.files["04"].shown == "deep/er/04_he.py"
    assert found.problem("05") == (NO_FILE, "no file")
    ignored = dict(found.ignored)
    assert "exercises/ folder" in ignored["repo/solutions/03_xavier.py"]
    assert "exercise number" in ignored["helpers.py"]
    assert "no exercise 99" in ignored["99_extra.py"]
    assert "dot-folder" in ignored[".git/"]
    assert not any("__pycache__" in p for p in ignored)
    report = found.to_dict()
    assert report["picked"]["03"]["path"] == "repo/exercises/03_xavier.py"


def test_two_candidates_are_a_problem_not_a_choice(tmp_path):
    write(tmp_path / "03_a.py")
    write(tmp_path / "old" / "03_b.py")
    found = discover(tmp_path, {"03"})
    assert "03" not in found.files
    kind, why = found.problem("03")
    assert kind == TWO_CANDIDATES and "03_a.py" in why and "old/03_b.py" in why


def test_links_special_and_oversized_files_are_refused(tmp_path):
    peer = write(tmp_path / "peer" / "03_x.py", "the peer's work")
    me = tmp_path / "me"
    me.mkdir()
    (me / "03_x.py").symlink_to(peer)
    (me / "deep").symlink_to(tmp_path / "peer", target_is_directory=True)
    os.mkfifo(me / "04_x.py")
    write(me / "05_x.py", "#" * (MAX_FILE_BYTES + 1))
    found = discover(me, {"03", "04", "05"})
    assert not found.files
    for number, words in (("03", "symbolic link"), ("04", "named pipe"), ("05", "limit")):
        kind, why = found.problem(number)
        assert kind == REFUSED_FILE and words in why, number
    assert "symbolic link" in dict(found.ignored)["deep"]  # a linked folder is not searched


def test_an_unreadable_file_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode: no unreadable file can be made")
    path = write(tmp_path / "03_x.py")
    path.chmod(0)
    assert discover(tmp_path, {"03"}).problem("03")[0] == REFUSED_FILE


def test_the_digest_follows_the_picked_bytes(tmp_path):
    path = write(tmp_path / "03_x.py", "a")
    first = discover(tmp_path, {"03"}).digest
    assert discover(tmp_path, {"03"}).digest == first
    path.write_text("b")
    assert discover(tmp_path, {"03"}).digest != first


def test_csv_cells_never_start_a_formula():
    cells = ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "a,=b", 'say "hi"', "plain", "10"]
    text = csv_text([cells])
    back = next(csv.reader(io.StringIO(text)))
    assert back[:5] == ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx"]
    assert back[5:] == ["a,=b", 'say "hi"', "plain", "10"]
    assert all(f'"{c}"' in text for c in ("plain", "10"))  # every cell quoted, whatever the
    # separator a spreadsheet guesses
    assert safe_cell("\rx") == "'\rx" and safe_cell("\0x") == "'\0x"


def test_signed_documents_detect_any_change(tmp_path):
    key = integrity.load_key(tmp_path / "k", create=True)
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"
    assert integrity.load_key(tmp_path / "k", create=True) == key  # created once
    doc = integrity.sign({"score": 3.0, "student": {"name": "ada"}}, key)
    assert integrity.verified(doc, key)
    assert not integrity.verified({**doc, "score": 10.0}, key)
    assert not integrity.verified({**doc, "signature": "0" * 64}, key)
    assert not integrity.verified(integrity.sign(doc, b"f" * 64), key)
    assert not integrity.verified([doc], key)


def test_a_key_others_can_read_or_a_linked_key_is_refused(tmp_path):
    integrity.load_key(tmp_path / "k", create=True)
    (tmp_path / "k").chmod(0o644)
    with pytest.raises(GraderError, match="chmod 600"):
        integrity.load_key(tmp_path / "k", create=False)
    (tmp_path / "k").chmod(0o600)
    (tmp_path / "link").symlink_to(tmp_path / "k")
    with pytest.raises(GraderError, match="symbolic link"):
        integrity.load_key(tmp_path / "link", create=True)
    with pytest.raises(GraderError, match="--key"):
        integrity.load_key(tmp_path / "missing", create=False)


def test_writes_refuse_a_planted_directory_or_symlink(tmp_path):
    (tmp_path / "dir.json").mkdir()
    victim = write(tmp_path / "victim.txt", "keep")
    (tmp_path / "link.json").symlink_to(victim)
    for name in ("dir.json", "link.json"):
        with pytest.raises(GraderError, match="not replaced"):
            atomic_write(tmp_path / name, "new")
    assert victim.read_text() == "keep" and (tmp_path / "dir.json").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(GraderError, match="symbolic link"):
        read_regular(tmp_path / "link.json", 100)


def test_a_huge_or_deep_tree_is_cut_short_and_says_so(tmp_path, monkeypatch):
    from grader.instructor import submissions

    monkeypatch.setattr(submissions, "MAX_ENTRIES", 20)
    for i in range(50):
        write(tmp_path / "junk" / f"f{i:02d}.txt")
    deep = tmp_path.joinpath(*(f"d{i}" for i in range(submissions.MAX_DEPTH + 1)))
    write(deep / "04_he.py")
    found = discover(tmp_path, {"04"})
    assert ("…", "stopped looking after 20 entries") in found.ignored
    monkeypatch.setattr(submissions, "MAX_ENTRIES", 10_000)
    found = discover(tmp_path, {"04"})
    assert found.problem("04")[0] == NO_FILE
    assert any("deeper than" in why for _, why in found.ignored)


def test_a_report_with_undecodable_text_is_still_written_and_verifies(tmp_path):
    from grader.instructor.student_report import json_text

    key = integrity.load_key(tmp_path / "k", create=True)
    doc = integrity.sign({"output": "bad byte \udcff, café"}, key)
    text = json_text(doc)
    atomic_write(tmp_path / "r.json", text)  # a lone surrogate cannot be UTF-8: escaped instead
    back = json.loads((tmp_path / "r.json").read_text())
    assert back == doc and integrity.verified(back, key)
    assert "café" in json_text(integrity.sign({"output": "café"}, key))  # readable when it can
