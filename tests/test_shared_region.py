"""The memory region a worker shares with the grader for large arrays (`grader.sandbox.bulk`):
arrays cross it whole and equal, a message cannot point outside it, the worker cannot resize
it, and a worker that writes into it at any time changes nothing the grader holds."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from grader.checkapi.learner import LearnerModule
from grader.sandbox import bulk, wire
from grader.sandbox.supervisor import Limits


@pytest.fixture
def region():
    made = bulk.create()
    if made is None:
        pytest.skip("no sealed memfd on this machine")
    fd, mapping = made
    yield fd, mapping
    bulk.release(mapping)
    os.close(fd)


def test_large_arrays_cross_in_the_region_and_are_copied_out(region):
    _, mapping = region
    weights = [np.random.default_rng(k).normal(size=(256, 256)) for k in range(8)]
    bias = np.arange(wire.SHARED_FROM // 8, dtype=float)  # as small as goes in the region
    small = np.arange(10.0)
    message = b"".join(wire.encode_parts({"w": weights, "b": bias, "s": small}, mapping))
    assert len(message) < 1024  # the weights and the bias are in the region, not the message
    got = wire.decode(message, mapping)
    assert all(np.array_equal(a, b) for a, b in zip(got["w"], weights, strict=True))
    assert np.array_equal(got["b"], bias) and np.array_equal(got["s"], small)
    mapping[:] = b"\xff" * bulk.SIZE  # what the sender writes there afterwards
    assert all(np.array_equal(a, b) for a, b in zip(got["w"], weights, strict=True))


def test_what_does_not_fit_crosses_through_the_pipe(region):
    _, mapping = region
    huge = np.ones(bulk.SIZE // 8 + 1)  # a byte more than the region holds
    fits = np.full(1000, 2.0)
    message = b"".join(wire.encode_parts([fits, huge], mapping))
    assert len(message) > huge.nbytes
    got = wire.decode(message, mapping)
    assert np.array_equal(got[0], fits) and np.array_equal(got[1], huge)


def test_a_message_pointing_outside_the_region_is_refused(region):
    _, mapping = region
    message = b"".join(wire.encode_parts([np.ones(10_000)], mapping))
    with pytest.raises(ValueError, match="outside the shared region"):
        wire.decode(message)  # no region on this side
    text = b'[{"$nd":[0,"<f8",[10000]]}]'
    for offset in (bulk.SIZE - 8, 2**62):
        forged = b"".join([wire._LEN.pack(len(text)), text, wire._LEN.pack(1),
                           wire._LEN.pack(80_000 | wire.SHARED), wire._LEN.pack(offset)])
        with pytest.raises(ValueError, match="outside the shared region"):
            wire.decode(forged, mapping)


def test_the_region_can_neither_shrink_nor_grow(region):
    fd, mapping = region
    for size in (0, bulk.SIZE - 4096, bulk.SIZE * 2):
        with pytest.raises(PermissionError):
            os.ftruncate(fd, size)
    assert os.fstat(fd).st_size == bulk.SIZE
    mapping[bulk.SIZE - 1 :] = b"x"  # its last byte is still there to read and write


SCRIBBLER = """
import ctypes, gc, os, threading, time
import numpy as np

def _region(size):
    # the worker's own view of the region, found as any code in the process can find it
    for view in gc.get_objects():
        if isinstance(view, memoryview) and view.nbytes == size:
            return ctypes.addressof(view.obj), size
    return 0, 0

def scribble(seconds, size):
    low, size = _region(size)
    def loop():
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ctypes.memset(low, 0x7f, size)
    if size:
        threading.Thread(target=loop, daemon=True).start()
    return size

def open_memfds(size):
    found = []
    for fd in range(1024):  # every open file of the region's size
        try:
            if os.fstat(fd).st_size == size:
                found.append(fd)
        except OSError:
            pass
    return found

def big():
    return np.ones((512, 512))

def first(x):
    return float(x[0, 0])
"""


def test_a_worker_writing_into_the_region_changes_nothing_the_grader_holds(tmp_path: Path):
    path = tmp_path / "learner.py"
    path.write_text(textwrap.dedent(SCRIBBLER))
    module = LearnerModule(path, Limits())
    try:
        assert module.open_memfds(bulk.SIZE) == []  # the worker has the mapping, not the file
        assert module.scribble(3.0, bulk.SIZE) == bulk.SIZE  # a thread writes all of it, nonstop
        sent = np.zeros((512, 512))
        for _ in range(20):
            got = module.big()  # ones, or the scribbler's bytes: the learner's own answer
            seen = got.copy()
            time.sleep(0.01)
            assert np.array_equal(got, seen, equal_nan=True)  # copied out: it never changes
            module.first(sent)
            assert not sent.any()  # the grader's own array is never read back from the region
    finally:
        module.close()


def test_a_worker_that_cannot_map_the_region_gets_every_array_through_the_pipe(tmp_path: Path,
                                                                                monkeypatch):
    """A region the worker refuses (here: not the size it expects) is dropped by the grader
    when the worker says it is ready, before any request; calls then work as without one."""
    made = bulk.create

    def odd_sized():
        fd, mapping = made()
        bulk.release(mapping)
        os.close(fd)
        fd = os.memfd_create("grader-arrays", os.MFD_CLOEXEC)
        os.ftruncate(fd, 2 * bulk.SIZE)  # larger: the grader's mapping of SIZE stays valid
        return fd, bulk._map(fd)

    monkeypatch.setattr(bulk, "create", odd_sized)
    path = tmp_path / "learner.py"
    path.write_text("def double(x):\n    return 2 * x\n")
    module = LearnerModule(path, Limits())
    try:
        sent = np.arange(100_000.0)
        assert np.array_equal(module.double(sent), 2 * sent)
        assert module.worker is not None and module.worker.region is None
    finally:
        module.close()
