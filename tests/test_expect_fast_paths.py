"""The shortcuts in `expect` give the verdicts and messages of the plain computation they skip:
distinct rows by their bytes (`expect_distinct`); and finiteness (`expect_array`) holds on the
edge cases under any errstate a check runs in."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest

from grader.checkapi.expect import CheckFailure, expect_array, expect_distinct

FINITENESS = [
    np.array([1e308, 1e308]),  # finite entries whose sum overflows
    np.array([np.float16(6e4), np.float16(6e4)]),  # the same in float16's own sum
    np.array([1.0, np.inf]), np.array([np.inf, -np.inf]), np.array([1.0, np.nan]),
    np.array([[0.0, -0.0], [5.0, 1e-300]]), np.zeros((0, 3)),
]


@pytest.mark.parametrize("value", FINITENESS, ids=repr)
@pytest.mark.filterwarnings("error")
def test_finiteness_is_what_np_isfinite_says(value):
    finite = bool(np.all(np.isfinite(value)))
    with np.errstate(all="raise"), pytest.raises(CheckFailure) if not finite else nullcontext():
        expect_array(value, "f()", kind="n")
    if finite:
        assert expect_array(value, "f()", kind="n") is value
    else:
        with pytest.raises(CheckFailure, match="expected finite numbers"):
            expect_array(value, "f()", kind="n")


DISTINCT = [
    np.array([[0.0, 1.0], [-0.0, 1.0]]),  # equal values, different bytes
    np.array([[np.nan, 1.0], [np.nan, 1.0]]),
    np.array([[1, 2], [1, 2]]), np.array([[1, 2], [2, 1]]),
    np.array([[True], [False]]),
    np.array([[1.0], [1.0]], dtype=np.float32), np.array([[1 + 1j], [1 + 1j]]),
    np.random.default_rng(0).normal(size=(40, 3)),
    np.repeat(np.random.default_rng(1).normal(size=(1, 6)), 3, axis=0),
]


@pytest.mark.parametrize("value", DISTINCT, ids=repr)
def test_distinct_rows_are_what_np_unique_says(value):
    for axis, lines in ((0, value), (1, value.T)):
        repeats = lines.shape[0] - np.unique(lines.reshape(lines.shape[0], -1), axis=0).shape[0]
        if repeats == 0:
            expect_distinct(value, "f()", axis=axis)
        else:
            with pytest.raises(CheckFailure, match=f"f\\(\\): {repeats} of its "):
                expect_distinct(value, "f()", axis=axis)
