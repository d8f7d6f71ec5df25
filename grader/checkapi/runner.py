"""Run a checks module over one or many learner files (see `grader.checkapi.plugin`) and score
the runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.checkapi.plugin import GraderPlugin, Run, RunOutcome
from grader.deck.card import Card
from grader.errors import GraderError
from grader.results import ExerciseResult
from grader.sandbox.supervisor import Limits, Worker, shared_zygote

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


def run_checks(card: Card, checks_file: Path, runs: list[Run], limits: Limits | None = None,
               visible_only: bool = False) -> list[ExerciseResult]:
    """Run `checks_file` once per run; results in the order of `runs`. With several runs,
    workers are forked from this process's zygote rather than started from scratch.
    `visible_only` (the learner's own run) leaves out checks whose visibility is not "visible"."""
    import pytest

    if not checks_file.is_file():
        raise GraderError(f"no checks for exercise {card.number}: expected {checks_file}")
    limits = limits or Limits()

    def prepare(index: int) -> None:
        # Start the next run's worker now so that its start-up overlaps this run's checks.
        if (index < len(runs) and runs[index].path is not None
                and runs[index].worker is None
                and (index == 0 or runs[index].path != runs[index - 1].path)):
            runs[index].worker = Worker(limits, shared_zygote() if len(runs) > 1 else None)

    prepare(0)
    results: list[ExerciseResult] = []

    def finish(outcome: RunOutcome) -> None:
        result = to_exercise(card, outcome)
        result.withheld = plugin.withheld
        results.append(result)

    plugin = GraderPlugin(runs, limits, on_result=finish, prepare=prepare,
                          visible_only=visible_only)
    _forget_other_module(checks_file)
    args = [str(checks_file), "--rootdir", str(checks_file.parent), "-c", os.devnull,
            *PYTEST_ARGS]
    try:
        with _quiet_pytest_env():
            code = pytest.main(args, plugins=[plugin])
    finally:
        for run in runs:
            if run.worker is not None and run.worker.alive():
                run.worker.stop()
    if plugin.marker_errors:
        raise plugin.marker_errors[0]
    if plugin.collect_errors:
        detail = plugin.collect_errors[0].strip().splitlines()[-1:]
        raise GraderError(f"the checks module could not be loaded: {' '.join(detail)}",
                          checks_file)
    if len(results) != len(runs):
        raise GraderError(f"the checks did not run (pytest exit code {int(code)})", checks_file)
    return results
