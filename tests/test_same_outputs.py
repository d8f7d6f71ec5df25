"""benchmarks/same_outputs.py: two class outputs are the same when only timings, signatures,
the checks' fingerprint and machine paths differ; a verdict or a word of feedback is not."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from same_outputs import compare  # noqa: E402

REPORT = {"version": 1, "score": 1.5, "signature": "a" * 64, "graded_with": "b" * 64,
          "exercises": [{"number": "03", "seconds": 0.52, "checks": [
              {"name": "test_std", "status": "failed", "points": 0.0, "seconds": 0.01,
               "message": "the std is 0.0913; expected 0.0735",
               "output": "/tmp/grader-worker-ab_12/src/03_xavier.py:4: RuntimeWarning: x\n"
                         "/work/.venv/lib/python3.11/site-packages/numpy/_core/x.py:9"}]}]}


def write(folder: Path, report: dict, summary: str = "graded in 2 min 3.4 s",
          panel: str = "<span>│ overflow in</span>\n<span>│ square &amp; more │</span>") -> Path:
    (folder / "feedback").mkdir(parents=True)
    (folder / "ada.json").write_text(json.dumps(report))
    (folder / "feedback" / "ada.html").write_text(f"<pre>{panel}</pre>")
    (folder / "gradebook.csv").write_text("student,points\nada,1.5\n")
    (folder / "feedback" / "ada.md").write_text(f"# ada\n{summary}\n")
    (folder / "grader.key").write_text("secret of this run")
    return folder


def test_timings_signatures_keys_and_machine_paths_do_not_count(tmp_path):
    other = copy.deepcopy(REPORT)
    other.update(signature="c" * 64, graded_with="d" * 64)
    check = other["exercises"][0]["checks"][0]
    check["seconds"], other["exercises"][0]["seconds"] = 0.9, 1.7
    check["output"] = ("/tmp/grader-worker-zz_99/src/03_xavier.py:4: RuntimeWarning: x\n"
                       "/usr/lib/python3/site-packages/numpy/_core/x.py:9")
    before = write(tmp_path / "before", REPORT)
    after = write(tmp_path / "after", other, summary="graded in 45 s",
                  panel="<span>│ overflow in square &amp;</span>\n<span>│ more      │</span>")
    (after / "grader.key").write_text("another key")
    (after / "summary.txt").write_text("only in the new run")
    assert compare(before, after) == (4, [], ["summary.txt"])


def test_a_verdict_a_message_or_a_missing_file_counts(tmp_path):
    verdict, message = copy.deepcopy(REPORT), copy.deepcopy(REPORT)
    verdict["exercises"][0]["checks"][0].update(status="passed", points=1.5)
    message["exercises"][0]["checks"][0]["message"] = "the std is 0.0912; expected 0.0735"
    before = write(tmp_path / "before", REPORT)
    assert compare(before, write(tmp_path / "v", verdict))[1] == ["differs: ada.json"]
    assert compare(before, write(tmp_path / "m", message))[1] == [
        "differs: ada.json (feedback only)"]
    (tmp_path / "m" / "gradebook.csv").unlink()
    (tmp_path / "m" / "feedback" / "ada.html").write_text("<pre>│ overflow in cube</pre>")
    assert compare(before, tmp_path / "m")[1] == ["differs: ada.json (feedback only)",
                                                  "differs: feedback/ada.html",
                                                  "missing: gradebook.csv"]


def test_the_printed_summary_may_name_its_own_folder_wrapped_anywhere(tmp_path):
    before, after = tmp_path / "kept-before", tmp_path / "a-much-longer-folder-name-after"
    for folder in (before, after):
        write(folder, REPORT)
    (before / "summary.txt").write_text(f"20 students\nwrote {before}/gradebook.csv, 20 student\n"
                                        f"reports in {before}/feedback\n")
    (after / "summary.txt").write_text(f"20 students\nwrote {after}/gradebook.csv,\n20 student "
                                       f"reports in\n{after}/feedback\n")
    assert compare(before, after)[1] == []
    (after / "summary.txt").write_text(f"21 students\nwrote {after}/gradebook.csv, 20 student "
                                       f"reports in {after}/feedback\n")
    assert compare(before, after)[1] == ["differs: summary.txt"]
