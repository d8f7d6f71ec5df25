"""Run checks modules over one or many learner files in one pytest session (see
`grader.checkapi.plugin`) and score the runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.checkapi.plugin import GraderPlugin, Run, RunOutcome, stop_unused
from grader.deck.card import Card
from grader.errors import GraderError
from grader.results import ExerciseResult
from grader.sandbox.supervisor import Limits, Worker, shared_zygote
from grader.sandbox.zygote import Zygote

# Built-in pytest plugins the checks never use: not loading them saves start-up time.
UNUSED_PLUGINS = ["cacheprovider", "stepwise", "terminal", "doctest", "junitxml", "pastebin",
                  "nose", "legacypath", "setuponly", "setupplan", "unittest", "debugging",
                  "faulthandler", "logging", "capture",
                  # collects garbage five times per session: 60 ms a session, for nothing here
                  "unraisableexception", "threadexception"]
PYTEST_ARGS = [*(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
               "--import-mode=importlib", "-o", "addopts=",
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]


@contextmanager
def _quiet_pytest_env() -> Iterator[None]:
    """No third-party pytest plugins and no user PYTEST_ADDOPTS in the grader's sessions."""
    saved = {k: os.environ.get(k) for k in ("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_ADDOPTS")}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def to_exercise(card: Card, outcome: RunOutcome) -> ExerciseResult:
    result = ExerciseResult(
        number=card.number, slug=card.slug, title=card.title,
        file=str(outcome.run.path) if outcome.run.path else "",
        checks=outcome.checks, load_output=outcome.load_output, seconds=outcome.seconds,
        notes=list(outcome.notes),
    )
    if outcome.run.path is None:
        result.problem = outcome.run.missing
    elif outcome.load_problem:
        result.problem = outcome.load_problem
    result.scale(card.points)
    return result


def _forget_other_module(checks_file: Path) -> None:
    """pytest's importlib mode names a checks module by its file name and reuses a module of
    that name already imported: another deck's checks of the same name must not be run."""
    module = sys.modules.get(checks_file.stem)
    if module is not None and Path(getattr(module, "__file__", "") or "").resolve() \
            != checks_file.resolve():
        del sys.modules[checks_file.stem]


class _Prestarted:
    """The runs, taken one at a time, each only when the one before is done (a grading process
    takes its next student only when it is free). The first run's worker starts before pytest
    does; with `spare`, each time a run is handed out a worker starts for whichever run comes
    next, so that its start-up overlaps this run's checks. The plugin uses or stops the worker of
    each run it is handed; `close()` stops the rest."""

    def __init__(self, runs: Iterable[Run], limits: Limits, zygote: Zygote | None, spare: bool):
        self._runs = iter(runs)
        self._limits = limits
        self._zygote = zygote
        self._spare_wanted = spare
        self._spare: Worker | None = None
        self._holder: Run | None = None  # the last run taken with a file: its worker goes on
        self._first = self._take()

    def _take(self) -> Run | None:
        run = next(self._runs, None)
        if run is None:
            return None
        if run.worker is None and run.path is not None and not (
                run.shares_worker_with(self._holder) or run.same_owner(self._holder)):
            run.worker = self._spare or Worker(self._limits, self._zygote)
            self._spare = None
        if run.path is not None:
            self._holder = run
        return run

    def __iter__(self) -> Iterator[Run]:
        run = self._first
        while run is not None:
            if self._spare_wanted and self._spare is None:
                self._spare = Worker(self._limits, self._zygote)
            yield run
            run = self._take()

    def close(self) -> None:
        """Stop the spare worker, and the first and last runs' workers if the session ended
        before the plugin could use or stop them."""
        first = self._first.worker if self._first else None
        last = self._holder.worker if self._holder else None
        for worker in (self._spare, first, last):
            if worker is not None and not worker.stopped:
                stop_unused(worker)


def run_cards(cards: list[tuple[Card, Path]], runs: Iterable[Run],
              on_result: Callable[[Run, ExerciseResult], None], limits: Limits | None = None,
              visible_only: bool = False, forked: bool = True, spare: bool = True) -> None:
    """One pytest session: the checks module of each card (card, checks file) is collected once,
    then each run goes through its module's checks (`run.checks`) with a worker of its own, and
    its result is handed to `on_result` as soon as it is done, in the order of `runs` (which may
    be a generator: runs are taken one at a time). `forked`: workers are forked from this
    process's zygote rather than started from scratch, and with `spare` a worker is started
    ahead for the next owner's first run. `visible_only` (the learner's own run) leaves out
    checks whose visibility is not "visible"."""
    import pytest

    if not cards:
        return  # no checks module, so no run can have checks to go through
    for card, checks_file in cards:
        if not checks_file.is_file():
            raise GraderError(f"no checks for exercise {card.number}: expected {checks_file}")
    limits = limits or Limits()
    modules = {checks_file.resolve(): card for card, checks_file in cards}
    zygote = shared_zygote() if forked else None
    prestarted = _Prestarted(runs, limits, zygote, spare=forked and spare)

    def finish(outcome: RunOutcome) -> None:
        module = outcome.run.checks.resolve() if outcome.run.checks else None
        if module not in modules:
            raise GraderError(f"{outcome.run.checks} is not a checks module of this session")
        result = to_exercise(modules[module], outcome)
        result.withheld = plugin.withheld.get(module, 0)
        on_result(outcome.run, result)

    plugin = GraderPlugin(prestarted, limits, finish, zygote, visible_only=visible_only)
    for _, checks_file in cards:
        _forget_other_module(checks_file)
    root = os.path.commonpath([str(checks_file.parent.resolve()) for _, checks_file in cards])
    args = [*(str(checks_file) for _, checks_file in cards), "--rootdir", root, "-c", os.devnull,
            *PYTEST_ARGS]
    try:
        with _quiet_pytest_env():
            code = pytest.main(args, plugins=[plugin])
    finally:
        prestarted.close()
    _raise_setup_error(plugin, [checks_file for _, checks_file in cards])
    if plugin.error is not None:
        raise plugin.error
    if not plugin.finished:
        raise GraderError(f"the checks did not run (pytest exit code {int(code)})",
                          cards[0][1] if len(cards) == 1 else None)


def _raise_setup_error(plugin: GraderPlugin, checks_files: list[Path]) -> None:
    """The first checks module (in the cards' order) with a bad marker or that did not load,
    named with its file (and line)."""
    for checks_file in checks_files:
        module = checks_file.resolve()
        for error in plugin.marker_errors:
            if error.path is not None and Path(error.path).resolve() == module:
                raise error
        for where, text in plugin.collect_errors:
            if where == module:
                raise _not_loaded(text, checks_file)
    if plugin.marker_errors:
        raise plugin.marker_errors[0]
    if plugin.collect_errors:
        raise _not_loaded(plugin.collect_errors[0][1], plugin.collect_errors[0][0])


def _not_loaded(text: str, where: Path) -> GraderError:
    detail = text.strip().splitlines()[-1:]
    return GraderError(f"the checks module could not be loaded: {' '.join(detail)}", where)


def run_checks(card: Card, checks_file: Path, runs: list[Run], limits: Limits | None = None,
               visible_only: bool = False) -> list[ExerciseResult]:
    """Run `checks_file` once per run; results in the order of `runs`. With several runs,
    workers are forked from this process's zygote rather than started from scratch."""
    results: list[ExerciseResult] = []
    for run in runs:
        run.checks = checks_file
    run_cards([(card, checks_file)], runs, lambda _, result: results.append(result), limits,
              visible_only=visible_only, forked=len(runs) > 1)
    return results
