"""numpy scalars cross the process boundary as themselves, so a check's type guard can fail: a
learner's `np.bool_` is not a Python `bool`, an `np.int64` not an `int`. Rebuilt from validated
numeric dtypes and raw bytes, never from pickle."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

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


def _forged(head: Any, blobs: list[bytes]) -> bytes:
    """A message as a hostile worker could write it: any JSON head, any blobs."""
    text = json.dumps(head, separators=(",", ":")).encode()
    return b"".join([wire._LEN.pack(len(text)), text, wire._LEN.pack(len(blobs)),
                     *(wire._LEN.pack(len(blob)) + blob for blob in blobs)])


@pytest.mark.parametrize("body", [
    ["|O", "00" * 8],  # an object dtype: would dereference a pointer
    ["<M8[s]", "00" * 8],  # a datetime: not a number
    [[["a", "<f8"]], "00" * 8],  # a structured dtype
    ["<f8", "00" * 7],  # the wrong number of bytes
    ["<f8", "zz" * 8],  # not hexadecimal
], ids=["object", "datetime", "structured", "short", "not-hex"])
def test_a_forged_scalar_is_refused(body):
    with pytest.raises((ValueError, TypeError)):
        wire.decode(_forged({"$np": body}, []))


@pytest.mark.parametrize("tag", [
    {"$nd": [0, "|O", [1]]}, {"$nd": [0, "<f8", [2]]}, {"$nd": [0, "<f8", [-1]]},
    {"$nd": [1, "<f8", [1]]}, {"$floats": [0, []]}, {"$nd": [0, [1]]}, {"$what": 1},
], ids=["object", "short", "negative", "no-such-blob", "floats-no-shape", "no-dtype",
        "unknown-tag"])
def test_a_forged_array_is_refused(tag):
    """Whatever the head claims, an array is made only of a numeric dtype and of exactly its
    own bytes."""
    with pytest.raises((ValueError, TypeError, IndexError)):
        wire.decode(_forged([tag], [b"\0" * 8]))


def test_a_tag_written_with_spaces_still_reads_as_the_same_array():
    """The encoder writes no spaces; a head that has them gets its arrays all the same."""
    blob = np.arange(3.0).tobytes()
    text = b'[ { "$nd" : [0, "<f8", [3]] } ]'
    message = b"".join([wire._LEN.pack(len(text)), text, wire._LEN.pack(1),
                        wire._LEN.pack(len(blob)), blob])
    (back,) = wire.decode(message)
    assert back.tolist() == [0.0, 1.0, 2.0] and back.base is None and back.flags.writeable


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


@pytest.mark.parametrize("shape", [(3,), (0, 4), (300, 300)], ids=["small", "empty", "large"])
def test_arrays_arrive_as_arrays_of_their_own(shape):
    """Small and large (written from their own memory) alike: equal bits, a C-contiguous,
    aligned, writeable base array that owns its data, even when one blob is named twice."""
    sent = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.1
    back, back_t = wire.decode(wire.encode([sent, sent.T]))
    for got, want in ((back, sent), (back_t, sent.T)):
        assert type(got) is np.ndarray and got.shape == want.shape and got.dtype == want.dtype
        assert got.tobytes() == np.ascontiguousarray(want).tobytes()
        assert got.base is None and got.flags.writeable and got.flags.c_contiguous
        assert got.flags.aligned
    blob = np.array([1.0, 2.0]).tobytes()  # a forged message naming blob 0 twice
    first, second = wire.decode(_forged([{"$nd": [0, "<f8", [2]]}, {"$nd": [0, "<f8", [2]]}],
                                        [blob]))
    first[0] = 9.0
    assert second.tolist() == [1.0, 2.0]


def test_a_message_longer_or_shorter_than_its_frame_is_refused():
    data = wire.encode({"x": np.ones(5)})
    with pytest.raises(ValueError, match="trailing"):
        wire.decode(data + b"\0")
    with pytest.raises(ValueError, match="longer than its length"):
        wire.decode(data[:-1])
    head = b"{}"
    with pytest.raises(ValueError, match="longer than its length"):  # a huge declared blob
        wire.decode(b"".join([wire._LEN.pack(len(head)), head, wire._LEN.pack(1),
                              wire._LEN.pack(2**60)]))


def test_stack_takes_only_plain_arrays_of_one_shape_and_dtype():
    rows = [np.full((2, 3), k, dtype=np.float32) for k in range(4)]
    stacked = wire.stack(rows)
    assert stacked is not None and stacked.shape == (4, 2, 3) and stacked.dtype == np.float32
    back = wire.rows(wire.decode(wire.encode(stacked)), 4)
    assert [r.tobytes() for r in back] == [r.tobytes() for r in rows]
    assert all(type(r) is np.ndarray and r.dtype == np.float32 and r.shape == (2, 3)
               for r in back)
    for kept in ([], [np.float64(1.0), np.float64(2.0)], [np.array(1.0), np.array(2.0)],
                 [np.ones(2), np.ones(3)], [np.ones(2), np.ones(2, dtype=np.float32)],
                 [np.ones(2), [1.0, 1.0]], [np.ones(2, dtype=">f8")] * 2,
                 [np.ones(2).view(np.matrix)] * 2):
        assert wire.stack(kept) is None
    with pytest.raises(ValueError):
        wire.rows(stacked, 5)  # a reply claiming another count of rows
    with pytest.raises(ValueError):
        wire.rows(np.ones(4), 4)


REPEATED = """
import numpy as np

def draw(rng):
    return rng.normal(size=(3, 2))

def ragged(rng):
    return rng.normal(size=(int(rng.integers(1, 3)), 2))

def zero_d(rng):
    return np.array(rng.normal())

def echo(x):
    return x
"""


def test_repeat_hands_the_checks_a_list_of_separate_arrays(tmp_path: Path):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(REPEATED))
    module = LearnerModule(path, Limits())
    try:
        draws = module.repeat(50, "draw", np.random.default_rng(7))
        expected_rng = np.random.default_rng(7)
        expected = [expected_rng.normal(size=(3, 2)) for _ in range(50)]
        assert type(draws) is list and len(draws) == 50
        assert all(type(d) is np.ndarray and d.shape == (3, 2) and d.dtype == np.float64
                   for d in draws)
        assert all(np.array_equal(d, e) for d, e in zip(draws, expected, strict=True))
        draws[0] += 1.0  # an in-place edit of one changes no other
        assert np.array_equal(draws[1], expected[1]) and not np.shares_memory(draws[0],
                                                                              draws[1])
        ragged = module.repeat(20, "ragged", np.random.default_rng(1))
        assert {d.shape for d in ragged} == {(1, 2), (2, 2)}
        zero_d = module.repeat(3, "zero_d", np.random.default_rng(1))
        assert all(type(d) is np.ndarray and d.shape == () for d in zero_d)
        big = np.random.default_rng(2).normal(size=(600, 500))  # 2.4 MB each way
        assert np.array_equal(module.echo([big, big[::2]])[1], big[::2])
    finally:
        module.close()


def test_a_large_nested_list_of_floats_crosses_as_bytes_and_comes_back_as_the_same_lists():
    """A learner's `.tolist()` of a weight tensor: the same lists of the same Python floats
    (nan, inf and -0.0 too), in a message about the size of the array, not of its JSON."""
    rows = np.random.default_rng(0).normal(size=(8, 64, 64)).tolist()
    rows[0][0][:3] = [float("nan"), float("inf"), -0.0]
    message = wire.encode({"W": rows})
    assert len(message) < 8 * 64 * 64 * 8 + 200
    back = wire.decode(message)["W"]
    assert type(back) is list and type(back[7]) is list and type(back[7][63][63]) is float
    assert math.isnan(back[0][0][0]) and back[0][0][1] == math.inf
    assert math.copysign(1.0, back[0][0][2]) == -1.0
    assert back[1:] == rows[1:] and back[0][1:] == rows[0][1:]


@pytest.mark.parametrize("value", [
    [[1.0] * 5000, [1.0] * 4999 + [np.float64(1.0)]],  # one numpy scalar: kept as it is
    [[1.0] * 5000, [1.0] * 4999],  # ragged
    [1] * 5000,  # ints
    [True] + [1.0] * 5000,  # a bool is not a float
    ([1.0] * 5000, [2.0] * 5000),  # a tuple
])
def test_lists_that_are_not_plain_floats_keep_their_exact_types(value):
    back = wire.decode(wire.encode(value))
    assert back == value and type(back) is type(value)
    assert [type(x) for x in _leaves(back)] == [type(x) for x in _leaves(value)]


def _leaves(value):
    if isinstance(value, list | tuple):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


def test_a_head_nested_beyond_reason_is_refused():
    """The decoder's own recursion bound: the grader refuses the reply (as garbled)."""
    with pytest.raises(RecursionError):
        wire.decode(_forged(None, []).replace(b"null", b"[" * 100_000).replace(
            wire._LEN.pack(4), wire._LEN.pack(100_000), 1))
