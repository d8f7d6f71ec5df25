"""Whether a request used the global random generators (numpy's legacy `np.random.*` and Python's
`random`), cheap enough to ask after every request.

The worker keeps one snapshot: the state after one request is the state before the next (nothing
of the grader's runs in the worker between requests). numpy's own `get_state()` copies the
Mersenne Twister's 624 words one by one in Python (about 70 µs, twice per request before); here
the words and the position are read as raw bytes through the bit generator's documented ctypes
`state_address` (checked once against `get_state()`, else the slow way is used), and the cached
Gaussian of the legacy `RandomState` through its `get_state()` with the bit generator's export
bypassed; Python's `random` likewise from its object's C struct (`_python_snapshot`). What the
learner's code reports here is feedback about its answer, never trusted for a verdict (see
`expect_reproducible`).
"""

from __future__ import annotations

import ctypes
import random
import struct
from typing import Any

import numpy as np

MT_WORDS = 624  # numpy's mt19937_state: uint32_t key[624]; int pos
MT_BYTES = MT_WORDS * 4 + struct.calcsize("=i")


class _NamedOnly:
    """Stands in for the legacy generator's bit generator while its cached Gaussian is read:
    `RandomState.get_state` then skips the slow export of the 624 words."""

    state = property(lambda self: {"bit_generator": "MT19937", "state": {}})


_NAMED_ONLY = _NamedOnly()


def _raw_matches(bitgen: Any) -> bool:
    """The raw bytes at `state_address` are the key and position `bitgen.state` reports."""
    state = bitgen.state["state"]
    expected = np.asarray(state["key"], dtype=np.uint32).tobytes() + struct.pack(
        "=i", int(state["pos"]))
    return ctypes.string_at(bitgen.ctypes.state_address, MT_BYTES) == expected


_RAW_OK = _raw_matches(np.random.MT19937(0))

# Python's `random` keeps its Mersenne Twister in the C struct of `random._inst` (CPython's
# RandomObject: the object header, `int index`, `uint32_t state[624]`): read as raw bytes
# (about 0.5 us) where that layout is checked to hold, else through `getstate()` (8 us).
_PY_OFFSET = object.__basicsize__
_PY_BYTES = struct.calcsize("=i") + MT_WORDS * 4


def _python_raw(inst: random.Random) -> bytes:
    return ctypes.string_at(id(inst) + _PY_OFFSET, _PY_BYTES)


def _python_raw_matches() -> bool:
    probe = random.Random(12345)
    words = probe.getstate()[1]
    expected = struct.pack(f"=i{MT_WORDS}I", words[-1], *words[:-1])
    return type(probe).__basicsize__ >= _PY_OFFSET + _PY_BYTES \
        and _python_raw(probe) == expected


_PY_RAW_OK = _python_raw_matches()


def _python_snapshot() -> Any:
    inst = random._inst  # type: ignore[attr-defined]
    if _PY_RAW_OK and type(inst) is random.Random:
        return _python_raw(inst), inst.gauss_next
    return random.getstate()


_LEGACY = np.random.mtrand._rand  # the RandomState behind every np.random.* function


def _legacy_snapshot() -> tuple[Any, ...]:
    """The legacy generator's state: (bit generator name, state, has_gauss, gauss). A thread of
    the learner's that reads the state while the stand-in is in place reads a wrong one: that can
    only change its own answer."""
    legacy = _LEGACY
    bitgen = legacy._bit_generator
    if _RAW_OK and type(bitgen) is np.random.MT19937:
        raw = ctypes.string_at(bitgen.ctypes.state_address, MT_BYTES)
        legacy._bit_generator = _NAMED_ONLY
        try:
            extra = legacy.get_state(legacy=False)
        finally:
            legacy._bit_generator = bitgen
        return "MT19937", raw, extra["has_gauss"], extra["gauss"]
    full = legacy.get_state(legacy=False)
    return full["bit_generator"], full["state"], full.get("has_gauss"), full.get("gauss")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bytes) or isinstance(b, bytes):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


class GlobalRng:
    """The last snapshot of both global generators; `changed()` compares and keeps the new one."""

    def __init__(self) -> None:
        self.last = self._snapshot()

    @staticmethod
    def _snapshot() -> tuple[tuple[Any, ...], Any]:
        return _legacy_snapshot(), _python_snapshot()

    def changed(self) -> bool:
        now = self._snapshot()
        (np_a, py_a), (np_b, py_b) = self.last, now
        self.last = now
        return py_a != py_b or not all(_equal(x, y) for x, y in zip(np_a, np_b, strict=True))
