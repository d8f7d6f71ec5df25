"""Hostile submissions against the sandbox: each attacks for real, and each test checks that
nothing outside the worker's scratch folder was created, changed, read or left running, that the
verdict is fair, and that the grader finished. Layers the kernel lacks are skipped, with the
reason printed."""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import sysconfig
import textwrap
import threading
import time
from pathlib import Path

import pytest
from probe_deck import GOOD, gone, make_deck

from grader.checkapi.plugin import Run
from grader.checkapi.runner import run_checks
from grader.checking import check_cards
from grader.deck.project import Project
from grader.sandbox import seccomp
from grader.sandbox.confine import missing
from grader.sandbox.supervisor import Limits, Worker, shared_zygote

SECRET = "S3CRET-7f1c"


def _layers() -> dict[str, str]:
    worker = Worker(zygote=shared_zygote())
    try:
        worker.wait_ready()
        return worker.layers
    finally:
        worker.stop()


LAYERS = _layers() if sys.platform == "linux" else {}
MISSING = missing(LAYERS) if LAYERS else {"everything": "not Linux"}


def needs(*names: str):
    lacking = {n: MISSING[n] for n in names if n in MISSING}
    reason = "; ".join(f"{n} missing here: {why}" for n, why in lacking.items())
    if lacking:
        print(f"\nskipped: {reason}", file=sys.stderr)
    return pytest.mark.skipif(bool(lacking), reason=reason)


@pytest.fixture
def deck(tmp_path: Path) -> Project:
    project = make_deck(tmp_path, limit=5)
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "01_probe.py").write_text(f"# {SECRET}\n" + GOOD)
    (tmp_path / ".grader").mkdir()
    (tmp_path / ".grader" / "progress.json").write_text("{}")
    return project


def snapshot(*roots: Path) -> dict[str, str]:
    """Every file and folder under `roots` with a digest of its content."""
    seen: dict[str, str] = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file():
                seen[str(path)] = "dir" if path.is_dir() else "other"
            else:
                seen[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def submit(deck: Project, source: str, name: str = "submission.py") -> Path:
    path = deck.root / "submitted" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def grade(deck: Project, source: str):
    [result] = check_cards(deck, [deck.card("01")], submission=submit(deck, source),
                           limits=Limits(memory=512 * 1024**2))
    return result


def everything_said(result) -> str:
    """All the text a report of this result could carry back."""
    parts = [result.load_output, result.problem]
    for check in result.checks:
        parts += [check.message, check.output, str(check.learner_error or "")]
    return "\n".join(parts)


def attack(deck: Project, code: str, *extra: Path, functions: str = GOOD):
    """Grade `code` (run at import) followed by `functions`, and prove that nothing outside the
    worker's scratch folder changed."""
    path = submit(deck, code + functions)
    before = snapshot(deck.root, *extra)
    [result] = check_cards(deck, [deck.card("01")], submission=path,
                           limits=Limits(memory=512 * 1024**2))
    after = snapshot(deck.root, *extra)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, f"the submission changed {sorted(changed)}"
    return result


# ---- forging the grade: the grader's memory, signals, ptrace --------------------------------

@needs("landlock", "namespaces")
def test_cannot_write_the_graders_memory(deck):
    code = f"""
try:
    with open("/proc/{os.getpid()}/mem", "r+b") as mem:
        mem.seek(0x400000)
        mem.write(b"\\x90" * 16)
    print("WROTE")
except OSError as exc:
    print("refused", exc.errno)
"""
    result = attack(deck, code, functions="def weights(n, rng):\n    return 'wrong'\n"
                                          "def echo(x):\n    return x\n")
    assert "WROTE" not in result.load_output
    assert result.score == 1 and not result.passed  # weights is wrong, and stays wrong


@needs("landlock", "namespaces")
def test_cannot_signal_the_grader_the_zygote_or_a_sibling(deck):
    zygote = shared_zygote()
    sibling = Worker(zygote=zygote)
    sibling.wait_ready()
    targets = [os.getpid(), zygote.proc.pid, sibling.pid]
    code = f"""
import os, signal
for pid in {targets}:
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        try:
            os.kill(pid, sig)
            print("SIGNALLED", pid)
        except OSError as exc:
            print("refused", pid, exc.errno)
"""
    try:
        result = attack(deck, code)
        assert "SIGNALLED" not in result.load_output
        assert result.passed
        assert zygote.alive() and sibling.alive()
    finally:
        sibling.stop()


@needs("seccomp", "landlock")
def test_cannot_ptrace_the_grader(deck):
    code = f"""
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print("ATTACHED" if libc.ptrace(16, {os.getpid()}, 0, 0) == 0 else "refused")
"""
    result = attack(deck, code)
    assert "ATTACHED" not in result.load_output and result.passed


# ---- code planted for the grader to load later ----------------------------------------------

@needs("landlock")
def test_cannot_plant_conftest_or_pth(deck, tmp_path):
    purelib = Path(sysconfig.get_paths()["purelib"])
    targets = [deck.checks_override / "conftest.py", deck.root / "conftest.py",
               tmp_path.parent / "conftest.py", purelib / "zz_grader_pwn.pth",
               Path(__file__).resolve().parents[1] / "grader" / "checks" / "conftest.py"]
    code = f"""
for target in {[str(t) for t in targets]!r}:
    try:
        open(target, "w").write("import os; os._exit(0)\\n")
        print("PLANTED", target)
    except OSError as exc:
        print("refused", exc.errno)
"""
    result = attack(deck, code)
    assert "PLANTED" not in result.load_output
    assert not any(t.exists() for t in targets)


# ---- other students, reports, the learner's own progress ------------------------------------

@needs("landlock")
def test_cannot_touch_a_peer_in_the_same_batch(deck, tmp_path):
    peer = tmp_path / "class" / "bob" / "01_probe.py"
    mallory = tmp_path / "class" / "mallory" / "01_probe.py"
    peer.parent.mkdir(parents=True)
    mallory.parent.mkdir(parents=True)
    peer.write_text("def weights(n, rng):\n    return 'bob is wrong'\ndef echo(x):\n    return x\n")
    mallory.write_text(f"""
for path in ({str(peer)!r},):
    try:
        open(path, "w").write({GOOD!r})
        print("OVERWROTE")
    except OSError as exc:
        print("refused", exc.errno)
    try:
        print(open(path).read())
    except OSError as exc:
        print("unreadable", exc.errno)
""" + GOOD)
    before = peer.read_bytes()
    runs = [Run(mallory, label="mallory"), Run(peer, label="bob")]
    card = deck.card("01")
    results = run_checks(card, deck.checks_file(card), runs)
    assert peer.read_bytes() == before
    said = results[0].load_output
    assert "OVERWROTE" not in said and "bob is wrong" not in said
    assert results[0].passed and not results[1].passed  # bob is graded on his own file


@needs("landlock")
def test_cannot_fake_self_study_progress(deck):
    code = f"""
import json
for path in ({str(deck.root / ".grader" / "progress.json")!r},
             {str(deck.root / "solutions" / "01_probe.py")!r},
             {str(deck.root / "exercises" / ".manifest.json")!r}):
    try:
        open(path, "w").write(json.dumps({{"01": "done"}}))
        print("FORGED", path)
    except OSError as exc:
        print("refused", exc.errno)
"""
    result = attack(deck, code)
    assert "FORGED" not in result.load_output


# ---- reading what it must not ----------------------------------------------------------------

@needs("landlock")
def test_cannot_read_checks_cards_solutions_or_secrets(deck, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_TOKEN", SECRET)
    package_checks = Path(__file__).resolve().parents[1] / "grader" / "checks"
    targets = [deck.root / "solutions" / "01_probe.py", deck.root / "cards" / "01-probe.md",
               deck.checks_override / "test_01_probe.py", package_checks / "test_03_xavier.py",
               Path("/etc/shadow"), Path(f"/proc/{os.getpid()}/environ")]
    code = f"""
import os
print(os.environ.get("GRADER_TEST_TOKEN", "no token"))
for target in {[str(t) for t in targets]!r}:
    try:
        print(open(target, errors="replace").read())
    except OSError as exc:
        print("refused", exc.errno)
def echo(x):
    raise ValueError(open({str(targets[0])!r}).read())
"""
    result = grade(deck, code + GOOD.replace("def echo", "def _echo"))
    said = everything_said(result)
    assert SECRET not in said and "expect_close" not in said and "BEGIN SOLUTION" not in said
    assert "no token" in result.load_output


def test_a_symlinked_submission_is_refused_not_followed(deck):
    link = deck.root / "submitted" / "01_probe.py"
    link.parent.mkdir()
    link.symlink_to(deck.root / "solutions" / "01_probe.py")
    [result] = check_cards(deck, [deck.card("01")], submission=link)
    assert not result.passed and SECRET not in everything_said(result)
    assert "symbolic link" in everything_said(result)


# ---- network ---------------------------------------------------------------------------------

def _listen(family: int, address):
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(4)
    server.settimeout(0.2)
    accepted: list[bool] = []

    def serve():
        deadline = time.time() + 20
        while time.time() < deadline and not accepted:
            try:
                server.accept()
                accepted.append(True)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, accepted


@needs("seccomp", "namespaces", "landlock")
def test_no_socket_reaches_anything(deck, tmp_path):
    tcp, tcp_hits = _listen(socket.AF_INET, ("127.0.0.1", 0))
    path = tmp_path / "service.sock"
    unix, unix_hits = _listen(socket.AF_UNIX, str(path))
    abstract_name = f"\0grader-test-{os.getpid()}"
    abstract, abstract_hits = _listen(socket.AF_UNIX, abstract_name)
    code = f"""
import socket
tries = [(socket.AF_INET, ("127.0.0.1", {tcp.getsockname()[1]})),
         (socket.AF_UNIX, {str(path)!r}), (socket.AF_UNIX, {abstract_name!r})]
for family, address in tries:
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(address)
        print("CONNECTED", address)
    except OSError as exc:
        print("refused", exc.errno)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("RESOLVED")
except OSError as exc:
    print("no dns", exc.errno)
"""
    try:
        result = attack(deck, code)
        time.sleep(0.3)
        assert "CONNECTED" not in result.load_output and "RESOLVED" not in result.load_output
        assert not (tcp_hits or unix_hits or abstract_hits)
    finally:
        for server in (tcp, unix, abstract):
            server.close()


# ---- a kill nothing escapes -------------------------------------------------------------------

@needs("namespaces")
def test_escapes_from_the_kill_die_with_the_worker(deck):
    code = """
import os, subprocess, ctypes
subprocess.Popen(["sleep", "300.5101"], start_new_session=True, env={})
if os.fork() == 0:
    os.setsid()
    os.execve("/bin/sleep", ["sleep", "300.5102"], {})
def chain(depth):
    pid = os.fork()
    if pid == 0:
        if depth:
            chain(depth - 1)
        else:
            os.execv("/bin/sleep", ["sleep", "300.5103"])
        os._exit(0)
chain(20)
"""
    result = attack(deck, code)
    assert result.passed
    assert gone("300.510"), "a process outlived its worker"


# ---- limits the learner cannot lift -----------------------------------------------------------

@needs("processes", "namespaces")
def test_a_fork_bomb_stops_at_the_process_bound(deck):
    code = """
import os, time
children = 0
try:
    for _ in range(500):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as exc:
    print("stopped after", children, exc.errno)
"""
    result = attack(deck, code)
    assert "stopped after" in result.load_output
    assert int(result.load_output.split("stopped after")[1].split()[0]) < 100
    assert result.passed


@pytest.mark.skipif("memory cgroup" not in LAYERS.get("processes", ""),
                    reason="no memory cgroup here (needs root and a v1 memory hierarchy)")
def test_memory_is_bounded_across_all_the_workers_processes(deck):
    code = """
import os
import time
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = b"x" * (200 * 1024 * 1024)
            time.sleep(1.5)  # hold it while the others allocate theirs, however busy the machine
        finally:
            os._exit(0)  # whatever happened: a fork of the worker must never serve requests
    children.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in children]
print("killed", sum(os.WIFSIGNALED(s) for s in statuses), statuses)
"""
    result = attack(deck, code)  # 4 x 200 MiB, each under its own 512 MiB address-space cap
    assert "killed" in result.load_output, everything_said(result)
    assert int(result.load_output.split("killed")[1].split()[0]) >= 1
    assert result.passed


@needs("scratch_disk", "landlock")
def test_disk_fill_stops_at_the_scratch_cap(deck):
    code = """
import os
written = 0
try:
    for i in range(1000):
        with open(f"fill{i}", "wb") as f:
            f.write(b"x" * 1024 * 1024)
        written += 1
except OSError as exc:
    print("stopped after", written, "MiB:", exc.errno)
try:
    open("/tmp/grader-fill-test", "wb").write(b"x")
    print("TMP WRITTEN")
except OSError as exc:
    print("no /tmp", exc.errno)
"""
    result = attack(deck, code)
    assert "stopped after" in result.load_output and "TMP WRITTEN" not in result.load_output
    assert not Path("/tmp/grader-fill-test").exists()
    assert result.passed


def test_a_huge_reply_is_refused_before_it_is_read(deck):
    code = "import numpy as np\ndef echo(x):\n    return np.zeros(100_000_000, dtype=np.uint8)\n"
    result = grade(deck, GOOD + code)
    assert "returned more than 64 MB" in everything_said(result)


def test_the_output_cap_holds_when_the_worker_is_patched(deck):
    code = """
import sys
class Loud:
    def write(self, text):
        sys.__stdout__.write(text)
        return len(text)
    def flush(self):
        pass
import grader.sandbox.worker as w
w.BoundedText = lambda: type("T", (), {"write": lambda s, t: 0, "text": lambda s: "y" * 10**8,
                                       "flush": lambda s: None})()
def echo(x):
    print("z" * 10**7)
    return x
"""
    result = grade(deck, GOOD + code)
    assert all(len(c.output) < 10_000 for c in result.checks)
    assert len(result.load_output) < 10_000


@needs("rlimits", "identity")
def test_the_memory_limit_cannot_be_lifted(deck):
    code = """
import resource
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    print("LIFTED")
except (ValueError, OSError) as exc:
    print("refused", exc)
"""
    result = attack(deck, code)
    assert "LIFTED" not in result.load_output


# ---- the machinery itself --------------------------------------------------------------------

def test_every_layer_is_reported():
    worker = Worker(zygote=shared_zygote())
    try:
        worker.wait_ready()
        assert set(worker.layers) >= {"identity", "landlock", "seccomp", "namespaces"}
        assert worker.pid > 0
    finally:
        worker.stop()
    for name, why in MISSING.items():
        print(f"layer missing here: {name}: {why}", file=sys.stderr)


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHES))
def test_the_seccomp_program_checks_the_architecture_first(machine):
    program = seccomp.program(machine)
    assert program[0] == (seccomp.LD_W_ABS, 0, 0, 4)
    assert program[1][3] == seccomp.ARCHES[machine][0]
    assert program[-1] == (seccomp.RET_K, 0, 0, seccomp.RET_ALLOW)
    assert len(program) < 100


@needs("scratch_disk")
def test_strict_mode_refuses_a_worker_missing_a_layer(monkeypatch):
    """A tmpfs the kernel refuses (a negative size) leaves the scratch disk unbounded: auto
    grades and says so, strict refuses before any learner code runs."""
    from grader.sandbox.supervisor import SandboxRefused

    broken = Limits(disk=-1)
    worker = Worker(broken, shared_zygote())
    try:
        worker.wait_ready()
        assert "scratch_disk" in missing(worker.layers)
    finally:
        worker.stop()
    monkeypatch.setenv("GRADER_SANDBOX", "strict")
    worker = Worker(broken, shared_zygote())
    try:
        with pytest.raises(SandboxRefused, match="scratch_disk"):
            worker.wait_ready()
    finally:
        worker.stop()
