"""numpy scalars cross the process boundary as themselves, so a check's type guard can fail: a
learner's `np.bool_` is not a Python `bool`, an `np.int64` not an `int`. Rebuilt from validated
numeric dtypes and raw bytes, never from pickle."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.checkapi.expect import CheckFailure, expect_close, expect_equal, is_number
from grader.checkapi.learner import LearnerModule
from grader.sandbox import wire
from grader.sandbox.supervisor import Limits

SCALARS = [np.bool_(True), np.bool_(False), np.int8(-7), np.int64(2**62 + 1), np.uint64(2**64 - 1),
           np.float16(0.1), np.float32(0.1), np.float64(0.1), np.float64("nan"),
           np.float32("-inf"), np.complex64(1 - 2j), np.complex128(3 + 0.5j),
           True, False, 0, -(2**70), 0.1, float("inf")]


@pytest.mark.parametrize("value", SCALARS, ids=lambda v: f"{type(v).__name__}({v!r})")
def test_a_scalar_round_trips_with_its_type_and_bits(value):
    back = wire.decode(wire.encode(value))
    assert type(back) is type(value)
    if isinstance(value, np.generic):
        assert back.tobytes() == value.tobytes()
    else:
        assert back == value or (back != back and value != value)


def test_scalars_inside_containers_keep_their_types():
    value = {"flags": [np.bool_(True), True], "n": (np.int64(3), 3), "x": np.float32(2.5)}
    back = wire.decode(wire.encode(value))
    assert [type(v) for v in back["flags"]] == [np.bool_, bool]
    assert [type(v) for v in back["n"]] == [np.int64, int]
    assert type(back["x"]) is np.float32


def _forged(tag_body: list, blob: bytes) -> bytes:
    """A message as a hostile worker could write it: one `$np` scalar and one blob."""
    head = json.dumps({"$np": tag_body}).encode()
    return b"".join([wire._LEN.pack(len(head)), head, wire._LEN.pack(1),
                     wire._LEN.pack(len(blob)), blob])


@pytest.mark.parametrize(("body", "blob"), [
    ([0, "|O"], b"\0" * 8),  # an object dtype: would dereference a pointer
    ([0, "<M8[s]"], b"\0" * 8),  # a datetime: not a number
    ([0, [["a", "<f8"]]], b"\0" * 8),  # a structured dtype
    ([0, "<f8"], b"\0" * 7),  # the wrong number of bytes
], ids=["object", "datetime", "structured", "short"])
def test_a_forged_scalar_is_refused(body, blob):
    with pytest.raises((ValueError, TypeError)):
        wire.decode(_forged(body, blob))


def test_numpy_numbers_are_numbers_and_bools_are_not():
    assert all(is_number(v) for v in (1, 1.5, np.int64(1), np.float32(1.5), np.uint8(1)))
    assert not any(is_number(v) for v in (True, np.bool_(True), "1", None, np.array(1.0)))
    expect_close(np.float32(0.5), 0.5, "f()")  # a float32 number is a number


def test_expect_equal_tells_a_numpy_bool_from_a_python_bool():
    expect_equal(True, True, "f()")
    with pytest.raises(CheckFailure, match=r"numpy bool .*expected the Python bool True: "
                                           r"convert it with bool\(\.\.\.\)"):
        expect_equal(np.bool_(True), True, "f()")
    with pytest.raises(CheckFailure, match="expected the Python int 21"):
        expect_equal(np.int64(21), 21, "f()")


LEARNER = """
import numpy as np

def flag():
    return np.all(np.zeros(3) == 0)

def plain_flag():
    return bool(np.all(np.zeros(3) == 0))

def count():
    return np.prod([3, 7])

def kinds(x, y, z):
    return [type(x).__name__, type(y).__name__, type(z).__name__]
"""


@pytest.fixture
def learner(tmp_path: Path):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(LEARNER))
    module = LearnerModule(path, Limits())
    yield module
    module.close()


def test_what_the_learner_returns_arrives_as_it_is(learner):
    assert type(learner.flag()) is np.bool_
    assert type(learner.plain_flag()) is bool
    assert type(learner.count()) is np.int64


def test_what_a_check_passes_arrives_as_it_is(learner):
    assert learner.kinds(np.float32(1), 1.0, np.bool_(False)) == ["float32", "float", "bool"]
