"""The interpreter state one learner file may change and the next file in the same worker must
not inherit.

A worker serves every file of one owner in turn (see `grader.checkapi.plugin.Run.same_owner`).
An honest file that sets `np.seterr(all="raise")`, a warnings filter, print options, the working
folder, an environment variable or the recursion limit would otherwise change how the next file
behaves, and numpy's "shown once" warnings would stay hidden for it. So before every file after
the first the worker puts these back as they were before the first.

This is not a security layer: it runs inside the worker, which the learner controls, and a file
that undoes it harms only its own owner's later files, which that owner could have written
anyway. The kernel's layers (`grader.sandbox.confine`) are what keep owners apart.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any


class Baseline:
    """Taken just before the first file is imported; `restore()` before each later one."""

    def __init__(self, np: Any, source_dir: str):
        self.np = np
        self.source_dir = os.path.join(source_dir, "")
        self.cwd = os.getcwd()
        self.path = list(sys.path)
        self.environ = dict(os.environ)
        self.recursion = sys.getrecursionlimit()
        self.errors = np.geterr()
        self.printing = np.get_printoptions()
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()

    def restore(self) -> None:
        """Put the state back; leaving and entering `catch_warnings` again also resets every
        module's record of warnings already shown."""
        self.warnings.__exit__(None, None, None)
        self.warnings = warnings.catch_warnings()
        self.warnings.__enter__()
        os.chdir(self.cwd)
        sys.path[:] = self.path
        os.environ.clear()
        os.environ.update(self.environ)
        sys.setrecursionlimit(self.recursion)
        self.np.seterr(**self.errors)
        self.np.set_printoptions(**self.printing)
        for name, module in list(sys.modules.items()):  # the files served before: not importable
            if str(getattr(module, "__file__", None) or "").startswith(self.source_dir):
                del sys.modules[name]
