"""The pytest plugin that runs a deck's hidden checks against one or more learner files.

The checks modules of a session are collected once; `pytest_runtestloop` then takes the *runs*
(a learner file, a seed and the checks module to run) one after the other, as they come, and runs
every check of the run's module with the run's own worker process. That is how `grader verify`
repeats trials and `grader grade` goes through a class without paying for pytest's start-up and
collection again. Reports are lean: the outcome is classified from the exception itself, so
pytest's long traceback (most of its cost per failed check) is never built.
"""

from __future__ import annotations

import functools
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checkapi import expect, measure
from grader.checkapi.learner import DEFAULT_TIMEOUT, LearnerError, LearnerModule, LearnerProblem
from grader.errors import GraderError
from grader.results import (
    ERROR,
    FAILED,
    NO_FILE,
    NOT_STARTED,
    PASSED,
    SKIPPED,
    VISIBILITIES,
    CheckResult,
)
from grader.sandbox.supervisor import Limits, Worker, WorkerDied
from grader.sandbox.zygote import Zygote

if sys.version_info >= (3, 11):
    from builtins import BaseExceptionGroup
else:  # pytest's own backport
    from exceptiongroup import BaseExceptionGroup

DEFAULT_SEED = 20240513


@dataclass
class Run:
    """One pass over the checks: whose file, with which seed."""

    path: Path | None
    seed: int = DEFAULT_SEED
    label: str = ""
    missing: str = "no file"  # the message every check gets when `path` is None
    missing_kind: str = NO_FILE  # and their kind: NO_FILE, TWO_CANDIDATES or REFUSED_FILE
    worker: Worker | None = None  # a worker started early, to overlap with pytest's start-up
    checks: Path | None = None  # the checks module whose checks this run goes through
    owner: str = ""  # who wrote the file (a student's key): see `same_owner`

    def shares_worker_with(self, other: Run | None) -> bool:
        """Trials of one file against one checks module (grader verify) share a worker and
        its loaded module."""
        return other is not None and (other.path, other.checks) == (self.path, self.checks)

    def same_owner(self, other: Run | None) -> bool:
        """One author's files, one after another (a student's exercises), share a worker, each
        file loaded afresh in it: nothing one of them can do to another is beyond what either
        could do itself, and each worker start costs more than a small exercise's checks.
        Another author's file never gets it."""
        return other is not None and bool(self.owner) and other.owner == self.owner


@dataclass
class RunOutcome:
    run: Run
    checks: list[CheckResult] = field(default_factory=list)
    load_output: str = ""
    load_problem: str = ""
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


class GraderPlugin:
    """Runs `runs` (taken one at a time, so they may come from a queue) and hands each run's
    outcome to `on_result` as soon as it is done; `finished` once every run has been taken."""

    def __init__(self, runs: Iterable[Run], limits: Limits,
                 on_result: Callable[[RunOutcome], None], zygote: Zygote | None = None,
                 visible_only: bool = False):
        self.runs = runs
        self.visible_only = visible_only  # the learner's own run: only checks visible to them
        # checks left out per checks module because they are not visible to the learner
        self.withheld: dict[Path, int] = {}
        self.limits = limits
        self.on_result = on_result
        self.zygote = zygote  # where replacement workers are forked from (None: started afresh)
        self.collect_errors: list[tuple[Path, str]] = []  # the collector's path, pytest's text
        self.marker_errors: list[GraderError] = []  # a bad visibility value, with file and line
        self.error: BaseException | None = None  # what stopped the runs, raised after pytest
        self.finished = False
        self.module: LearnerModule | None = None  # the current run's learner proxy
        self.module_run: Run | None = None  # the run `module` was made for
        self.run: Run | None = None
        self.item: pytest.Item | None = None  # the check being run
        self._rootpath = Path()
        self._phases: dict[str, tuple[str, BaseException | None]] = {}

    # -- configuration and fixtures -------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): the check's weight (default 1)")
        config.addinivalue_line("markers", "limit(seconds): time limit per call into the learner")
        config.addinivalue_line("markers", "visibility(who): visible (default), after_due_date, "
                                "after_published or hidden: when the learner sees the check")
        self._rootpath = config.rootpath

    # The fixtures read the check being run from `self.item`, not from pytest's `request`: a
    # fixture that asks for `request` costs pytest a new fixture definition, signature
    # inspection included, every time it runs (about 10 ms a student for these two).

    @pytest.fixture
    def learner(self) -> LearnerModule:
        assert self.module is not None and self.item is not None
        marker = self.item.get_closest_marker("limit")
        seconds = DEFAULT_TIMEOUT
        if marker is not None:
            seconds = float(marker.kwargs.get("seconds", marker.args[0] if marker.args else 5))
        self.module.timeout = seconds
        return self.module

    @pytest.fixture
    def seed(self) -> int:
        assert self.run is not None
        return self.run.seed

    @pytest.fixture
    def rng(self, seed: int) -> np.random.Generator:
        assert self.item is not None
        return np.random.default_rng([seed, zlib.crc32(self.item.name.encode())])

    # -- collection -----------------------------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            where = self._rootpath / report.nodeid.split("::", 1)[0]
            self.collect_errors.append((where.resolve(), str(report.longrepr)))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]
                                      ) -> None:
        """Check every visibility marker; in the learner's own run, leave out what they do not
        see (and count it, so the feedback can say how many more checks grading runs)."""
        for item in items:
            try:
                visibility(item)
            except GraderError as error:
                self.marker_errors.append(error)
        if not self.visible_only or self.marker_errors:
            return
        hidden = [item for item in items if visibility(item) != "visible"]
        if hidden:
            config.hook.pytest_deselected(items=hidden)
            items[:] = [item for item in items if item not in hidden]
        for item in hidden:
            module = item.path.resolve()
            self.withheld[module] = self.withheld.get(module, 0) + 1

    # -- running --------------------------------------------------------------------------------

    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.collect_errors or self.marker_errors:
            return True
        by_module: dict[Path, list[pytest.Item]] = defaultdict(list)
        for item in session.items:
            by_module[item.path.resolve()].append(item)
        # After a run's last check, pytest tears down what the next item does not share: given
        # nothing, that is all of it, so the next run set the session and the package up again
        # (importing the package's __init__ each time). Given the first check of another module,
        # only the module and the check are torn down, as when two modules run one after another.
        firsts = [items[0] for items in by_module.values()]
        # Each `item.ihook` asks for the hooks of the item's folder, which looks its conftest
        # modules up again (several times per check, about 1% of the grading process). Once
        # collection is over no conftest can be added, so the answer per folder is kept.
        session.gethookproxy = functools.cache(session.gethookproxy)  # type: ignore[method-assign]
        previous: Run | None = None
        try:
            for run in self.runs:
                items = by_module.get(run.checks.resolve(), []) if run.checks else []
                after = next((f for f in firsts if items and f.path != items[0].path), None)
                self.on_result(self._run_one(run, items, run.shares_worker_with(previous),
                                             after))
                previous = run
            self.finished = True
        except (Exception, KeyboardInterrupt) as error:  # raised again after pytest, unchanged
            self.error = error
        finally:
            self._close_learner()
        return True

    def _run_one(self, run: Run, items: list[pytest.Item], shared: bool,
                 after: pytest.Item | None) -> RunOutcome:
        started = time.perf_counter()
        outcome = RunOutcome(run)
        self.run = run
        if run.path is None:
            if run.worker is not None:  # handed in for a file that turned out to be missing
                stop_unused(run.worker)
            outcome.checks = [_result(item, FAILED, run.missing) for item in items]
            for check in outcome.checks:
                check.kind = run.missing_kind
            return outcome
        if self.module is None or not shared:
            worker = run.worker
            if worker is None and self.module is not None and run.same_owner(self.module_run):
                worker = self.module.release_worker()
            self._close_learner()
            self.module = LearnerModule(run.path, self.limits, worker=worker,
                                        zygote=self.zygote, seed=run.seed)
            self.module_run = run
        elif run.worker is not None:
            run.worker.stop()
        self.module.timed_out.clear()  # each run (a verify trial too) meets its own time limits
        for i, item in enumerate(items):
            nextitem = items[i + 1] if i + 1 < len(items) else after
            outcome.checks.append(self._run_item(item, nextitem))
        outcome.load_output = self.module.load_output
        outcome.load_problem = self.module.load_problem
        outcome.notes = self.module.notes
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _close_learner(self) -> None:
        if self.module is not None:
            self.module.close()
            self.module = None

    def _run_item(self, item: pytest.Item, nextitem: pytest.Item | None) -> CheckResult:
        assert self.module is not None
        self.item = item
        self._phases = {}
        self.module.calls.clear()
        expect.take_figures()
        measure.take_measurements()
        started = time.perf_counter()
        item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        result = self._classify(item)
        result.seconds = time.perf_counter() - started
        result.output = "".join(c.output for c in self.module.calls)
        result.figures = expect.take_figures()
        result.measurements = measure.take_measurements()
        return result

    @pytest.hookimpl(specname="pytest_runtest_makereport", tryfirst=True)
    def pytest_lean_report(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
        """The phase's report with pytest's outcome but without its long traceback, which costs
        about 20 ms a failed check and which nothing here reads (`_classify` reads the
        exception). Registered as `pytest_runtest_makereport`, before pytest's own."""
        error = call.excinfo.value if call.excinfo is not None else None
        longrepr: tuple[str, int, str] | str | None = None
        if error is None:
            outcome = "passed"
        elif _skipped(error):
            outcome = "skipped"
            longrepr = (str(item.path), (item.location[1] or 0) + 1,
                        f"Skipped: {_skip_reason(error)}")
        else:
            outcome = "failed"
            longrepr = f"{type(error).__name__} (the grader classifies it, not pytest)"
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        if call.when in ("setup", "call"):
            error = call.excinfo.value if call.excinfo is not None else None
            self._phases[call.when] = (report.outcome, error)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Nothing to print: results are rendered by the grader, not by pytest."""

    def _classify(self, item: pytest.Item) -> CheckResult:
        for phase in ("setup", "call"):
            outcome, error = self._phases.get(phase, ("passed", None))
            if outcome == "skipped":
                return _result(item, SKIPPED, _skip_reason(error))
            if error is not None:
                return _from_error(item, error)
        if "call" not in self._phases:
            return _result(item, ERROR, "the check did not run")
        return _result(item, PASSED)


def stop_unused(worker: Worker) -> None:
    """Stop a worker no run used, once it has told us its pid: stopped while still starting,
    its keeper would be killed before it could wait for it, leaving it to init."""
    try:
        worker.wait_ready()
    except (WorkerDied, GraderError):
        pass  # it could not start: stopping it is all there is to do
    worker.stop()


def _title(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    first = doc.strip().split("\n", 1)[0].strip()
    title = first or item.name.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return title
    try:  # a parametrized check may name its parameters in its title: "{question}: {topic}"
        formatted = title.format(**callspec.params)
    except (KeyError, IndexError, ValueError):
        formatted = title
    return formatted if formatted != title else f"{title} [{callspec.id}]"


def _weight(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    return float(marker.args[0] if marker.args else marker.kwargs.get("n", 1))


def visibility(item: pytest.Item) -> str:
    """The check's `@pytest.mark.visibility(...)`, "visible" without one."""
    marker = item.get_closest_marker("visibility")
    if marker is None:
        return "visible"
    value = marker.args[0] if marker.args else marker.kwargs.get("who", "")
    if value not in VISIBILITIES:
        line = item.location[1]
        raise GraderError(f"{item.name}: visibility must be one of {', '.join(VISIBILITIES)}, "
                          f"not {value!r}", item.path, (line or 0) + 1)
    return str(value)


def _result(item: pytest.Item, status: str, message: str = "") -> CheckResult:
    return CheckResult(name=item.name, title=_title(item), status=status, weight=_weight(item),
                       message=message, visibility=visibility(item))


def _skip_reason(error: BaseException | None) -> str:
    return str(getattr(error, "msg", "") or "skipped")


def _skipped(error: BaseException) -> bool:
    """pytest's own rule (`TestReport.from_item_and_call`): a skip, or a group of skips only."""
    if isinstance(error, pytest.skip.Exception):
        return True
    return isinstance(error, BaseExceptionGroup) and error.split(pytest.skip.Exception)[1] is None


def _from_error(item: pytest.Item, error: BaseException) -> CheckResult:
    if isinstance(error, LearnerError):
        status = NOT_STARTED if error.not_started else ERROR
        message = "not started yet: replace `raise NotImplementedError` with your code" \
            if error.not_started else f"{error.during} raised {error.summary()}"
        if error.during == "importing your file" and not error.not_started:
            message = f"your file could not be imported: {error.summary()}"
        result = _result(item, status, message)
        result.learner_error = {"type": error.type_name, "message": error.message,
                                "frames": error.frames, "during": error.during}
        return result
    if isinstance(error, LearnerProblem):
        result = _result(item, FAILED, error.message)
        result.kind = error.kind
        return result
    if isinstance(error, expect.CheckFailure):
        return _result(item, FAILED, str(error))
    if isinstance(error, AssertionError):
        text = str(error).split("\nassert ", 1)[0].strip()
        return _result(item, FAILED, text or "the check's condition does not hold")
    return _result(item, ERROR, f"the check itself broke ({type(error).__name__}: {error}); "
                                "this is a bug in the checks, please report it")
