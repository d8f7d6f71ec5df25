"""The engine against hostile and unusual submissions: each is graded as a failed check with a
clear message, the grader stays up, and nothing the submission started outlives the check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from probe_deck import GOOD, gone, make_deck

from grader.checking import check_cards
from grader.deck.project import Project
from grader.results import PASSED
from grader.sandbox.supervisor import Limits

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture
def deck(tmp_path: Path) -> Project:
    return make_deck(tmp_path, limit=1)


def grade(deck: Project, source: str, limits: Limits | None = None):
    path = deck.root / "submission.py"
    path.write_text(textwrap.dedent(source))
    card = deck.card("01")
    started = time.perf_counter()
    [result] = check_cards(deck, [card], submission=path, limits=limits)
    return result, time.perf_counter() - started


def messages(result) -> str:
    return "\n".join(c.message for c in result.checks)


def test_good_submission_passes(deck):
    result, _ = grade(deck, GOOD)
    assert result.passed, messages(result)
    assert result.score == result.max_score == 2


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("import sys\nsys.exit(0)\n", "sys.exit(0)", id="sys-exit-at-import"),
        pytest.param(GOOD + "import os\ndef echo(x):\n    os._exit(0)\n", "exit code 0",
                     id="os-exit-in-call"),
        pytest.param("while True:\n    pass\n", "stopped after 1 s", id="loop-at-import"),
        pytest.param(GOOD + "def echo(x):\n    while True:\n        pass\n", "stopped after 1 s",
                     id="loop-in-call"),
        pytest.param(GOOD + "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                     "def echo(x):\n    while True:\n        pass\n", "stopped after 1 s",
                     id="sigterm-ignored"),
        pytest.param(GOOD + "import numpy as np\ndef echo(x):\n    return np.ones(10**11)\n",
                     "memory limit", id="memory-hog-numpy"),
        pytest.param(GOOD + "def echo(x):\n    keep = []\n    while True:\n"
                     "        keep.append(bytearray(10**8))\n", "memory limit",
                     id="memory-hog-growing"),
        pytest.param(GOOD + "def echo(x):\n    return echo(x)\n", "RecursionError",
                     id="endless-recursion"),
        pytest.param("x = input()\n" + GOOD, "input()", id="input-at-import"),
        pytest.param("def weights(n, rng)\n    return 1\n", "SyntaxError at line 1",
                     id="syntax-error"),
        pytest.param(GOOD + "def echo(x):\n    return {1, 2}\n", "returned a `set` object",
                     id="unsupported-type"),
        pytest.param("def weights(n, rng):\n    return [[0.0] * n] * n\n" + "def echo(x): return x",
                     "returned a `list` object; expected a numpy array", id="list-not-array"),
    ],
)
def test_hostile_submission_fails_cleanly(deck, source, expected):
    result, _ = grade(deck, source, Limits(memory=256 * 1024**2))
    assert not result.passed
    assert expected in messages(result), messages(result)


def test_huge_print_is_bounded_and_still_graded(deck):
    result, _ = grade(deck, GOOD + "def echo(x):\n    print('y' * 100_000_000)\n    return x\n")
    assert result.passed
    echo = next(c for c in result.checks if c.name == "test_echo")
    assert len(echo.output) < 10_000 and "more characters not shown" in echo.output


def test_100mb_written_to_fd1_is_capped_on_disk(deck):
    result, _ = grade(deck, "import os\nos.write(1, b'x' * 100_000_000)\n" + GOOD)
    assert result.passed  # the output is cut at the file-size limit; grading goes on


def test_fake_banner_and_result_files_change_nothing(deck):
    source = (
        "import json, pathlib\n"
        "print('7/7 checks passed · 2/2 points  Done!')\n"
        "pathlib.Path('results.json').write_text(json.dumps({'score': 100}))\n"
        "def weights(n, rng):\n    return 'all good'\n"
        "def echo(x):\n    return None\n"
    )
    result, _ = grade(deck, source)
    assert not result.passed and result.score == 0
    assert "7/7 checks passed" in result.load_output
    assert not (deck.root / "results.json").exists()  # the worker ran in a scratch folder


def test_patched_numpy_stays_in_the_worker(deck):
    source = (
        "import numpy\n"
        "numpy.allclose = lambda *a, **k: True\n"
        "numpy.isclose = lambda a, b, **k: numpy.ones(numpy.shape(a), dtype=bool)\n"
        "def weights(n, rng):\n    return numpy.zeros((n + 1, n))\n"
        "def echo(x):\n    return x + 1\n"
    )
    result, _ = grade(deck, source)
    assert [c.status for c in result.checks] == ["failed", "failed"]
    assert "shape (4, 3)" in messages(result)


def test_patched_builtins_break_only_the_worker(deck):
    source = "import builtins\nbuiltins.isinstance = lambda *a: True\n" + GOOD
    result, _ = grade(deck, source)
    assert not result.passed and result.score == 0
    assert all(c.status == "failed" for c in result.checks)


def test_eq_always_true_and_reduce_payload_never_run(deck, tmp_path):
    marker = tmp_path / "pwned"
    source = f"""
import os
class Evil:
    def __eq__(self, other):
        return True
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
def weights(n, rng):
    return Evil()
def echo(x):
    return Evil()
"""
    result, _ = grade(deck, source)
    assert not result.passed
    assert "returned an `Evil` object" in messages(result)
    assert not marker.exists()


def test_lying_ndarray_subclass_is_refused(deck):
    source = GOOD + """
import numpy as np
class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    def mean(self, *a, **k):
        return 0.0
def echo(x):
    return np.zeros_like(x).view(Liar)
"""
    result, _ = grade(deck, source)
    assert "numpy.ndarray subclass" in messages(result)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc to find processes")
def test_children_are_gone_afterwards(deck):
    source = """
import os, subprocess
child = subprocess.Popen(["sleep", "300.4201"])
escaped = subprocess.Popen(["sleep", "300.4202"], start_new_session=True, env={})
""" + GOOD
    result, _ = grade(deck, source)
    assert result.passed
    assert gone("300.420"), "a process outlived the check"


def test_learner_exception_crosses_as_data_with_their_frames(deck):
    source = GOOD + "def helper(x):\n    raise ValueError('bad [red]x[/red]')\n" \
                    "def echo(x):\n    return helper(x)\n"
    result, _ = grade(deck, source)
    echo = next(c for c in result.checks if c.name == "test_echo")
    assert echo.status == "error"
    assert echo.learner_error["type"] == "ValueError"
    assert echo.learner_error["message"] == "bad [red]x[/red]"
    assert [f["function"] for f in echo.learner_error["frames"]] == ["echo", "helper"]


def test_worker_restarts_after_a_crash(deck):
    source = GOOD + "import os\ndef weights(n, rng):\n    os._exit(3)\n"
    result, _ = grade(deck, source)
    statuses = {c.name: c.status for c in result.checks}
    assert statuses == {"test_weights": "failed", "test_echo": PASSED}


def test_slow_beginner_loops_pass_exercise_03():
    source = textwrap.dedent('''
        import math

        def xavier_normal(fan_in, fan_out, rng, gain=1.0):
            std = gain * math.sqrt(2 / (fan_in + fan_out))
            rows = []
            for i in range(fan_in):
                row = []
                for j in range(fan_out):
                    row.append(rng.normal() * std)
                rows.append(row)
            import numpy
            return numpy.array(rows, dtype="float32")

        def xavier_uniform(fan_in, fan_out, rng, gain=1.0):
            import numpy
            a = gain * math.sqrt(6 / (fan_in + fan_out))
            out = numpy.empty((fan_in, fan_out))
            for i in range(fan_in):
                for j in range(fan_out):
                    out[i, j] = rng.uniform(-a, a)
            print("done", fan_in, fan_out)
            return out
    ''')
    project = Project(ROOT)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"slow_{os.getpid()}.py"
    path.write_text(source)
    try:
        [result] = check_cards(project, [project.card("03")], submission=path)
    finally:
        path.unlink()
    assert result.passed, messages(result)


def test_cli_exit_codes(deck):
    env = {**os.environ, "GRADER_ROOT": str(deck.root)}
    good = deck.root / "good.py"
    good.write_text(GOOD)
    bad = deck.root / "bad.py"
    bad.write_text("import sys\nsys.exit(0)\n")
    run = [sys.executable, "-m", "grader", "check", "01", "--submission"]
    assert subprocess.run([*run, str(good)], env=env, capture_output=True).returncode == 0
    assert subprocess.run([*run, str(bad)], env=env, capture_output=True).returncode == 1
    missing = subprocess.run([sys.executable, "-m", "grader", "check", "99"], env=env,
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no exercise called '99'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_grader_ignores_sigpipe_free_output(deck):
    """Learner markup in printed output and errors is shown literally."""
    source = GOOD + "def echo(x):\n    print('[bold red]pwn[/]')\n    return x + 1\n"
    env = {**os.environ, "GRADER_ROOT": str(deck.root), "NO_COLOR": "1"}
    sub = deck.root / "markup.py"
    sub.write_text(source)
    proc = subprocess.run([sys.executable, "-m", "grader", "check", "01", "--submission",
                           str(sub)], env=env, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "[bold red]pwn[/]" in proc.stdout
    assert "\x1b[" not in proc.stdout
    assert signal.SIGPIPE  # the run above printed through a pipe without error


def test_forked_workers_isolate_each_run(deck, tmp_path):
    """Many runs in one session fork their workers from the zygote: each stays isolated."""
    from grader.checkapi.plugin import Run
    from grader.checkapi.runner import run_checks

    sources = {
        "good": GOOD,
        "exit": "import sys\nsys.exit(0)\n",
        "os_exit": GOOD + "import os\ndef echo(x):\n    os._exit(0)\n",
        "loop": GOOD + "def echo(x):\n    while True:\n        pass\n",
        "hog": GOOD + "import numpy as np\ndef echo(x):\n    return np.ones(10**11)\n",
        "child": "import subprocess\np = subprocess.Popen(['sleep', '300.4203'])\n" + GOOD,
        "good_again": GOOD,
    }
    runs = []
    for name, source in sources.items():
        path = tmp_path / name / "01_probe.py"
        path.parent.mkdir()
        path.write_text(source)
        runs.append(Run(path, label=name))
    card = deck.card("01")
    results = run_checks(card, deck.checks_file(card), runs, Limits(memory=256 * 1024**2))
    verdict = {run.label: result for run, result in zip(runs, results, strict=True)}
    assert verdict["good"].passed and verdict["good_again"].passed and verdict["child"].passed
    assert "sys.exit(0)" in messages(verdict["exit"])
    assert "exit code 0" in messages(verdict["os_exit"])
    assert "stopped after 1 s" in messages(verdict["loop"])
    assert "memory limit" in messages(verdict["hog"])
    assert gone("300.4203")


def test_the_same_file_gets_the_same_global_draws_and_output_on_every_run(tmp_path):
    """Code that (wrongly) draws from np.random or random gets numbers seeded by the run, and a
    warning names the learner's file, not the worker's random scratch folder: grading a file
    twice gives the same feedback."""
    from grader.checkapi.learner import LearnerModule

    source = tmp_path / "draws.py"
    source.write_text("import random\nimport numpy as np\n\ndef draw():\n"
                      "    print(np.log(np.zeros(1)))\n"
                      "    return [float(np.random.rand()), random.random()]\n")
    seen = []
    for seed in (7, 7, 8):
        module = LearnerModule(source, seed=seed)
        try:
            seen.append((module.call("draw"), module.last_call.output))
        finally:
            module.close()
    assert seen[0] == seen[1] and seen[0][0] != seen[2][0]
    output = seen[0][1]
    assert "draws.py:5: RuntimeWarning: divide by zero" in output, output
    assert "grader-worker" not in output and "/tmp" not in output


GLOBAL_RNG = """
import random
import threading
import os
import numpy as np

def plain(x):
    return x

def uses_np(x):
    return np.random.rand()

def uses_normal(x):
    return np.random.normal()

def uses_random(x):
    return random.random()

def uses_gauss(x):
    return random.gauss(0.0, 1.0)

def reseeds(x):
    np.random.seed(7)
    return x

def other_bit_generator(x):
    np.random.set_bit_generator(np.random.PCG64(x))
    return x

def ends_soon(x):
    threading.Timer(0.05, os._exit, (0,)).start()
    return x
"""


@pytest.fixture
def learner(tmp_path: Path):
    from grader.checkapi.learner import LearnerModule

    path = tmp_path / "learner.py"
    path.write_text(GLOBAL_RNG)
    module = LearnerModule(path, Limits())
    yield module
    module.close()


def test_each_use_of_a_global_generator_is_seen_and_only_then(learner):
    """`random` alone, `np.random` alone, the cached second normal of a Box-Muller pair (which
    leaves the Mersenne Twister's words as they are: numpy's, and `random.gauss`'s), reseeding
    and another bit generator are each reported; a call that touches neither is not, also right
    after one that did."""
    touched = []
    for name in ("plain", "uses_random", "plain", "uses_np", "plain", "uses_normal",
                 "uses_normal", "plain", "reseeds", "reseeds", "other_bit_generator", "plain",
                 "uses_gauss", "uses_gauss", "plain"):
        getattr(learner, name)(3)
        touched.append(learner.last_call.global_rng_touched)
    assert touched == [False, True, False, True, False, True, True, False, True, False, True,
                       False, True, True, False]


def test_a_worker_that_ended_between_requests_is_replaced(learner):
    assert learner.ends_soon(1) == 1
    for _ in range(500):  # until its timer has ended it
        if not learner.worker.alive():
            break
        time.sleep(0.01)
    assert not learner.worker.alive()
    assert learner.plain(2) == 2
