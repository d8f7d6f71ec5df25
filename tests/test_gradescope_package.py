"""`grader gradescope OUT.zip` works as Gradescope runs it: unpack the zip into a temporary
/autograder tree, place a submission, run `run_autograder` and validate results.json field by field
against the autograder specification."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "visibility"}
HIDDEN_CHECK = '''

@pytest.mark.visibility("after_due_date")
def test_kept_for_later(learner, rng):
    """a check shown after the due date"""
    assert learner.xavier_normal(2, 3, rng).shape == (2, 3), "wrong shape"
'''


def grader(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_ROOT": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    """The deck's autograder, with a private checks folder that adds an after-due-date check."""
    base = tmp_path_factory.mktemp("package")
    private = base / "private"
    shutil.copytree(ROOT / "grader" / "checks", private,
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = private / "test_03_xavier.py"
    checks.write_text(checks.read_text() + HIDDEN_CHECK)
    target = base / "autograder.zip"
    run = grader("gradescope", str(target), "--checks", str(private))
    assert run.returncode == 0, run.stderr
    return target


def autograder(package: Path, tmp_path: Path, files: dict[str, str]) -> Path:
    """A fresh /autograder tree with the zip in source/ and `files` as the submission."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore permissions
            mode = info.external_attr >> 16
            if mode:
                (root / "source" / info.filename).chmod(stat.S_IMODE(mode))
    for name, text in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_autograder(root: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    env.pop("GRADER_ROOT", None)
    run = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env,
                         text=True, capture_output=True, timeout=600, check=False)
    return run, json.loads((root / "results" / "results.json").read_text())


def test_the_zip_has_the_scripts_at_its_root_executable_and_is_reproducible(package, tmp_path):
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert "cards/03-xavier.md" in names and "grader/cli.py" in names
    assert "checks/test_03_xavier.py" in names  # the private checks ship as the deck's own
    assert not any("__pycache__" in n or n.startswith("/") or ".." in n for n in names)
    pins = [line for line in requirements.splitlines() if not line.startswith("#")]
    assert all("==" in pin for pin in pins)
    assert {p.split("==")[0].lower() for p in pins} >= {"numpy", "pytest", "rich", "pyyaml",
                                                        "markdown-it-py"}
    again = tmp_path / "again.zip"
    private = tmp_path / "private"
    with zipfile.ZipFile(package) as archive:
        for name in names:
            if name.startswith("checks/"):
                archive.extract(name, tmp_path)
    (tmp_path / "checks").rename(private)
    assert grader("gradescope", str(again), "--checks", str(private)).returncode == 0
    assert again.read_bytes() == package.read_bytes()


def test_run_autograder_grades_a_submission_into_a_results_json_gradescope_accepts(
        package, tmp_path):
    solution = (ROOT / "solutions" / "03_xavier.py").read_text()
    wrong = (ROOT / "solutions" / "04_he.py").read_text().replace("np.sqrt(2.0 / fan_in)",
                                                                   "np.sqrt(1.0 / fan_in)")
    root = autograder(package, tmp_path, {"03_xavier.py": solution, "04_he.py": wrong})
    run, doc = run_autograder(root)
    assert run.returncode == 0, run.stderr
    assert not (root / "results" / "results.json.partial").exists()
    # Top level, field by field.
    assert isinstance(doc["score"], float) and doc["score"] == round(doc["score"], 2)
    assert doc["score"] == round(sum(t["score"] for t in doc["tests"]), 2)
    assert isinstance(doc["execution_time"], int) and doc["execution_time"] >= 1
    assert doc["output_format"] == doc["test_output_format"] == "md"
    assert doc["test_name_format"] == "text"
    assert doc["visibility"] in VISIBILITIES and doc["stdout_visibility"] in VISIBILITIES
    assert isinstance(doc["output"], str) and "no file" in doc["output"]
    # Each test.
    numbers = [t["number"] for t in doc["tests"]]
    assert len(set(numbers)) == len(numbers)
    for test in doc["tests"]:
        assert set(test) == TEST_FIELDS
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"] and test["score"] == round(test["score"], 2)
        assert (test["status"] == "passed") == (test["score"] == test["max_score"] > 0)
    by_exercise: dict[str, list[dict]] = {}
    for test in doc["tests"]:
        by_exercise.setdefault(test["number"].split(".")[0], []).append(test)
    xavier, he = by_exercise["3"], by_exercise["4"]
    assert all(t["status"] == "passed" for t in xavier)
    assert round(sum(t["max_score"] for t in xavier), 2) == 10
    assert xavier[-1]["name"].endswith("a check shown after the due date")
    assert xavier[-1]["visibility"] == "after_due_date"
    assert {t["visibility"] for t in xavier[:-1]} == {"visible"}
    assert any("LeCun" in t["output"] for t in he if t["status"] == "failed")
    assert all(t["score"] == 0 and t["output"] == "```text\nno file\n```"
               for t in by_exercise["1"])


def test_run_autograder_writes_a_results_json_even_when_the_grader_cannot_run(package, tmp_path):
    root = autograder(package, tmp_path, {"03_xavier.py": "x = 1\n"})
    broken = root / "source" / "cards" / "03-xavier.md"
    broken.write_text("---\npoints: [unclosed\n---\n")
    run, doc = run_autograder(root)
    assert run.returncode == 0
    assert doc["score"] == 0 and doc["tests"] == []
    assert "could not grade this submission" in doc["output"]
    assert "03-xavier.md" in doc["output"] and "03-xavier.md" in run.stdout
