"""Plain data across the process boundary, without pickle.

A message is a JSON document plus raw array bytes. Only these cross: numpy arrays of bool or
numeric dtype (their bytes read straight into an array of a validated dtype and shape, never
unpickled, always a base `ndarray` that owns its data), numpy scalars of those dtypes (their
bytes in hexadecimal, rebuilt with a validated dtype, so `np.bool_`, `np.int64` or `np.float32`
arrive as themselves, and a check can tell them from Python's `bool`, `int` and `float`), Python
numbers, strings, None, lists, tuples and dicts of these, and `numpy.random.Generator`
*arguments* (their bit generator's state). Anything else is refused with a description a
learner can act on.

On a pipe a message is framed by its length (`send`, `read_message`), written with it in one
system call. Arrays of 1 KiB or more are copied into the region the two processes share
(`grader.sandbox.bulk`) and out of it into the arrays handed back; where there is none, or it is
full, large ones are written from their own memory and read straight into those arrays. A
message that fits in memory is parsed from slices of its bytes, each array copied out once; in
a larger one, small pieces are read ahead in one go, never past the message. The JSON is decoded
by the standard library's decoder, each tagged object rebuilt as it is read (`_from_json`): no
pass of ours over the whole document.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_DEPTH = 64
NUMERIC_KINDS = "biufc"
_PLAIN = frozenset({str, int, bool, type(None)})  # JSON as they are (exactly these types)
_SCALARS = _PLAIN | {float}  # the same, and floats when they are finite
_NESTED_FLOATS = (list, float)  # what a list `_float_rows` takes can start with
LARGE = 1 << 16  # bytes from which an array is written from its own memory, not copied first
FLOAT_LISTS = 4096  # values from which a nested list of floats crosses as bytes (`_float_rows`)
_LEN = struct.Struct("<Q")
FRAME = _LEN  # the length before each message on a pipe
SHARED = 1 << 63  # set in a blob's length: its bytes are in the shared region, at an offset
SHARED_FROM = 1024  # bytes from which an array crosses in the region, while it has room


class Unsupported(TypeError):
    """A value that is not plain data; the message says what it was."""


def describe(value: Any) -> str:
    """`a `Weights` object`: how feedback names a value of an unexpected type."""
    kind = type(value)
    if isinstance(value, np.ndarray):
        if kind is not np.ndarray:
            return f"a `{kind.__name__}` object (a numpy.ndarray subclass)"
        return f"a numpy array of dtype {value.dtype}"
    name = kind.__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} `{name}` object"


def encode(value: Any) -> bytes:
    return b"".join(encode_parts(value))


def encode_parts(value: Any, region: memoryview | None = None) -> list[Any]:
    """The message as buffers to write one after the other: arrays of `SHARED_FROM` bytes or
    more are copied into `region` (`grader.sandbox.bulk`) while it has room; arrays of `LARGE`
    bytes or more are else their own memory (not copied); everything else is joined into as few
    pieces as possible."""
    blobs: list[Any] = []
    doc = _to_json(value, blobs, 0)
    head = json.dumps(doc, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts: list[Any] = []
    small = [_LEN.pack(len(head)), head, _LEN.pack(len(blobs))]
    used = 0  # bytes of the region taken by this message
    for blob in blobs:
        size = blob.nbytes if isinstance(blob, np.ndarray) else len(blob)
        if size >= SHARED_FROM and region is not None and used + size <= len(region):
            region[used : used + size] = blob
            small += [_LEN.pack(size | SHARED), _LEN.pack(used)]
            used += size
        elif size < LARGE:
            small += [_LEN.pack(size), blob.tobytes() if isinstance(blob, np.ndarray) else blob]
        else:
            small.append(_LEN.pack(size))
            parts += [b"".join(small), blob]
            small = []
    return [*parts, b"".join(small)]


def send(fd: int, payload: bytes | list[Any]) -> None:
    """Write one framed message: `payload` is its bytes or its buffers (`encode_parts`)."""
    views = [memoryview(part).cast("B") for part in
             ([payload] if isinstance(payload, bytes) else payload)]
    views.insert(0, memoryview(FRAME.pack(sum(view.nbytes for view in views))))
    while views:  # the frame with the message, at once: the reader wakes once, to all of it
        written = os.writev(fd, views)
        while views and written >= views[0].nbytes:
            written -= views.pop(0).nbytes
        if views:
            views[0] = views[0][written:]


def decode(data: bytes | bytearray | memoryview, region: memoryview | None = None) -> Any:
    """A whole message held in memory (see `read_message`)."""
    return _parse(_Held(memoryview(data).cast("B")), region)


def read_message(fill: Callable[[memoryview], None], size: int,
                 region: memoryview | None = None) -> Any:
    """Decode a message of `size` bytes as it is read: `fill(buffer)` fills a buffer completely
    (or raises). A small message is read whole, at once; in a large one each array's bytes are
    read straight into the array handed back, allocated once its dtype and shape are validated
    and its length agrees with them, never beyond `size`. An array in `region` is copied out of
    it, only from within it, as the message is read: what the sender writes there later does
    not change it."""
    if size <= LARGE:
        data = memoryview(bytearray(size))
        fill(data)
        return decode(data, region)
    return _parse(_Streamed(fill, size), region)


class _Held:
    """A message's bytes, all in memory: pieces are slices of them."""

    def __init__(self, view: memoryview):
        self.view, self.pos = view, 0

    def left(self) -> int:
        return self.view.nbytes - self.pos

    def take(self, size: int) -> memoryview:
        if size > self.view.nbytes - self.pos:
            raise ValueError("a message longer than its length")
        self.pos += size
        return self.view[self.pos - size : self.pos]


class _Streamed:
    """A message's bytes as `fill` reads them: small pieces (lengths, small blobs) come from a
    read-ahead of up to `LARGE` bytes, large blobs straight into their buffers; never a byte
    past `size`."""

    def __init__(self, fill: Callable[[memoryview], None], size: int):
        self.fill, self.unread = fill, size
        self.staged = memoryview(b"")  # bytes read ahead of the piece asked for

    def left(self) -> int:
        return self.unread + self.staged.nbytes

    def take(self, size: int) -> memoryview:
        if size > self.left():
            raise ValueError("a message longer than its length")
        buffer = memoryview(bytearray(size))
        self.into(buffer)
        return buffer

    def into(self, buffer: memoryview) -> None:
        if buffer.nbytes > self.left():
            raise ValueError("a message longer than its length")
        staged = self.staged
        if buffer.nbytes > staged.nbytes and buffer.nbytes - staged.nbytes < LARGE \
                and self.unread:
            ahead = memoryview(bytearray(min(self.unread, max(LARGE, buffer.nbytes))))
            self.fill(ahead)
            self.unread -= ahead.nbytes
            staged = memoryview(bytes(staged) + bytes(ahead)) if staged.nbytes else ahead
        taken = min(buffer.nbytes, staged.nbytes)
        buffer[:taken] = staged[:taken]
        self.staged = staged[taken:]
        if taken < buffer.nbytes:
            self.fill(buffer[taken:])
            self.unread -= buffer.nbytes - taken


def _parse(source: _Held | _Streamed, region: memoryview | None) -> Any:
    def number() -> int:
        return _LEN.unpack(source.take(_LEN.size))[0]

    head = bytes(source.take(number()))
    count = number()
    held = type(source) is _Held
    specs = _array_specs(head) if count and not held else {}
    blobs: list[_Blob | memoryview] = []
    for index in range(count):
        nbytes = number()
        offset = -1
        if nbytes & SHARED:
            nbytes, offset = nbytes ^ SHARED, number()
            if region is None or offset + nbytes > len(region):
                raise ValueError("array data outside the shared region")
        elif nbytes > source.left():
            raise ValueError("a message longer than its length")
        if held:  # left where they are: each use copies them into an array of its own, now
            blobs.append(source.take(nbytes) if offset < 0
                         else region[offset : offset + nbytes])  # type: ignore[index]
            continue
        dtype, shape = specs.get(index, (None, ()))
        if dtype is not None and nbytes == dtype.itemsize * math.prod(shape):
            blob = _Blob(np.empty(shape, dtype=dtype))
        else:
            blob = _Blob(None, np.empty(nbytes, dtype=np.uint8))
        if offset < 0:
            source.into(memoryview(blob.data))
        else:
            memoryview(blob.data)[:] = region[offset : offset + nbytes]  # type: ignore[index]
        blobs.append(blob)
    if source.left():
        raise ValueError("trailing bytes after the message")
    return json.loads(head.decode("utf-8"), object_hook=lambda doc: _from_json(doc, blobs))


def _to_json(value: Any, blobs: list[Any], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported(f"data nested more than {MAX_DEPTH} levels deep")
    kind = type(value)
    if kind in _PLAIN:  # exact types first, commonest first: no branch below could take them
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list or kind is tuple:
        floats = _float_rows(value) if kind is list and value \
            and type(value[0]) in _NESTED_FLOATS else None
        if floats is not None and depth + len(floats[0]) <= MAX_DEPTH:
            shape, flat = floats
            blobs.append(np.array(flat, dtype="<f8").view(np.uint8))
            return {"$floats": [len(blobs) - 1, list(shape)]}
        items = list(value) if _json_row(value) \
            else [_to_json(v, blobs, depth + 1) for v in value]
        return items if kind is list else {"$tuple": items}
    if kind is dict:
        if all(type(k) is str and not k.startswith("$") for k in value):
            # JSON's own object: the decoder hands it back as a dict with these keys
            return {k: _to_json(v, blobs, depth + 1) for k, v in value.items()}
        return {"$dict": [[_to_json(k, blobs, depth + 1), _to_json(v, blobs, depth + 1)]
                          for k, v in value.items()]}
    if kind is np.ndarray:
        if value.dtype.kind not in NUMERIC_KINDS:
            raise Unsupported(f"a numpy array of dtype {value.dtype} (only numbers and bools)")
        blobs.append(np.ascontiguousarray(value).reshape(-1).view(np.uint8))
        return {"$nd": [len(blobs) - 1, value.dtype.str, list(value.shape)]}
    if isinstance(value, str):  # a subclass of str: str itself was returned above
        return value
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return {"$np": [value.dtype.str, value.tobytes().hex()]}
    if isinstance(value, complex):
        return {"$complex": [value.real, value.imag]}
    if isinstance(value, np.random.Generator):
        bitgen = value.bit_generator
        return {"$rng": {"name": type(bitgen).__name__, "state": _state_json(bitgen.state)}}
    raise Unsupported(describe(value))


def _json_row(value: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every item is JSON as it is: a str, an int, a bool, None or a finite float
    (exactly these types). Their sum is finite only if every float is (a sum that overflows
    just takes the item-by-item way)."""
    return all(type(v) in _SCALARS for v in value) \
        and math.isfinite(sum(v for v in value if type(v) is float))


def _float_rows(value: list[Any]) -> tuple[tuple[int, ...], list[float]] | None:
    """The shape and the values, flattened, of a rectangular nested list of Python floats of
    `FLOAT_LISTS` values or more (`.tolist()` of a float array: a learner's "list instead of an
    array"), else None. Such a list crosses as raw float64 bytes and is rebuilt as the same
    lists of the same floats: as JSON, a 256 x 256 x 8 list took seconds each way."""
    shape: list[int] = []
    level: list[Any] = [value]
    while type(level[0]) is list:
        width = len(level[0])
        if width == 0 or any(type(v) is not list or len(v) != width for v in level):
            return None
        shape.append(width)
        level = [x for v in level for x in v]
    if len(level) < FLOAT_LISTS or any(type(x) is not float for x in level):
        return None
    return tuple(shape), level


def stack(values: list[Any]) -> np.ndarray | None:
    """One array for `repeat()`'s values when they are plain arrays of one shape (at least one
    dimension) and one native numeric dtype, so that one blob crosses instead of hundreds; None
    otherwise (the list crosses as it is, refused as it would be). `rows` undoes it."""
    first = values[0] if values else None
    if (type(first) is not np.ndarray or first.ndim == 0
            or first.dtype.kind not in NUMERIC_KINDS or not first.dtype.isnative):
        return None
    if any(type(v) is not np.ndarray or v.shape != first.shape or v.dtype != first.dtype
           for v in values):
        return None
    return np.stack(values)


def rows(stacked: Any, count: int) -> list[np.ndarray]:
    """`stack`'s array as the list it was made from: arrays equal in values, shape and dtype
    (views of one buffer, each its own rows). A reply that is not `count` rows is refused."""
    if not isinstance(stacked, np.ndarray) or stacked.ndim < 2 or stacked.shape[0] != count:
        raise ValueError("stacked values of the wrong shape")
    return list(stacked)


def _state_json(state: Any) -> Any:
    if isinstance(state, dict):
        return {str(k): _state_json(v) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return {"$state_nd": state.tolist(), "dtype": str(state.dtype)}
    if isinstance(state, np.generic):
        return state.item()
    return state


def _state_py(state: Any) -> Any:
    if isinstance(state, dict):
        if "$state_nd" in state:
            return np.asarray(state["$state_nd"], dtype=np.dtype(state["dtype"]))
        return {k: _state_py(v) for k, v in state.items()}
    return state


def generator_from_state(name: str, state: Any) -> np.random.Generator:
    bitgen_type = getattr(np.random, name, None)
    if bitgen_type is None or not (
        isinstance(bitgen_type, type) and issubclass(bitgen_type, np.random.BitGenerator)
    ):
        raise ValueError(f"unknown bit generator {name!r}")
    bitgen = bitgen_type(_SEEDS)
    bitgen.state = _state_py(state)
    return np.random.Generator(bitgen)


# What a bit generator is first seeded from before its state is set: without a seed it would
# gather fresh entropy from the OS, 10 us of a request's 30 for nothing.
_SEEDS = np.random.SeedSequence(0)


def generator_state(rng: np.random.Generator) -> Any:
    return _state_json(rng.bit_generator.state)


def set_generator_state(rng: np.random.Generator, state: Any) -> None:
    rng.bit_generator.state = _state_py(state)


class _Blob:
    """One array's bytes as read: straight into `owner`, the array its first `$nd` asked for,
    or into plain bytes when no valid `$nd` matched them."""

    def __init__(self, owner: np.ndarray | None, data: np.ndarray | None = None):
        self.owner = owner
        self.data = owner.reshape(-1).view(np.uint8) if owner is not None else data


def _spec(body: Any) -> tuple[int, np.dtype, tuple[int, ...]]:
    """A blob index, a dtype and a shape: only plain numeric dtypes are accepted, so no object
    (and no pickle) can ever be made from the data."""
    index, dtype_str, shape = body
    shape = tuple(map(int, shape))
    if shape and min(shape) < 0:
        raise ValueError("a negative dimension")
    return int(index), _dtype(str(dtype_str)), shape


@functools.lru_cache(maxsize=64)
def _dtype(text: str) -> np.dtype:
    """The dtype `text` names, if it is a plain numeric one (kept: a reply names a few, often)."""
    dtype = np.dtype(text)
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
        raise ValueError("array of a forbidden dtype")
    return dtype


# A tag with a blob, as `encode` writes it. A JSON string holds no bare quote, so this finds
# tags only; one written otherwise (with spaces) is still read, from a copy of its bytes.
_BLOB_TAG = re.compile(rb'\{"\$(nd|floats)":\[(\d+),(?:"([^"\\]{1,32})",)?\[([\d,]{0,640})\]\]\}')


def _array_specs(head: bytes) -> dict[int, tuple[np.dtype, tuple[int, ...]]]:
    """The dtype and shape each blob is first wanted as, where valid: its bytes are then read
    straight into an array of that dtype and shape (`_from_json` checks every tag again)."""
    specs: dict[int, tuple[np.dtype, tuple[int, ...]]] = {}
    for match in _BLOB_TAG.finditer(head):
        tag, index, dtype_str, dims = match.groups()
        if tag == b"nd" and dtype_str is None:
            continue
        try:  # the pattern admits digits only: no negative dimension to refuse
            dtype = _dtype(dtype_str.decode() if tag == b"nd" else "<f8")
        except (ValueError, TypeError):
            continue
        shape = tuple(int(n) for n in dims.split(b",")) if dims else ()
        specs.setdefault(int(index), (dtype, shape))
    return specs


def _array(body: Any, blobs: list[_Blob | memoryview]) -> np.ndarray:
    index, dtype, shape = _spec(body)
    blob = blobs[index]
    if type(blob) is memoryview:  # a message held in memory (`_parse`)
        if blob.nbytes != dtype.itemsize * math.prod(shape):
            raise ValueError("array data of the wrong size")
        return np.frombuffer(blob, dtype=dtype).reshape(shape).copy()
    assert isinstance(blob, _Blob)
    if blob.owner is not None and blob.owner.dtype == dtype and blob.owner.shape == shape:
        owner, blob.owner = blob.owner, None  # handed out once; a second use gets a copy
        return owner
    if blob.data.nbytes != dtype.itemsize * math.prod(shape):
        raise ValueError("array data of the wrong size")
    return np.frombuffer(blob.data, dtype=dtype).reshape(shape).copy()


def _floats_body(body: Any) -> list[Any]:
    """A `$floats` body ([blob, shape]) as the `$nd` body of its float64 bytes."""
    index, shape = body
    return [index, "<f8", shape]


def _from_json(doc: dict[str, Any], blobs: list[_Blob | memoryview]) -> Any:
    """One JSON object of the message as the value it stands for (called by the JSON decoder
    for each object, innermost first). A tag is an object with one key starting with "$";
    other objects are a generator's state, read by `generator_from_state`."""
    if len(doc) != 1:
        return doc
    (tag, body), = doc.items()
    if not tag.startswith("$"):
        return doc
    if tag == "$nd":
        return _array(body, blobs)
    if tag == "$np":
        dtype_str, data = body
        dtype = _dtype(str(dtype_str))
        raw = bytes.fromhex(str(data))
        if len(raw) != dtype.itemsize:
            raise ValueError("scalar data of the wrong size")
        return np.frombuffer(raw, dtype=dtype)[0]
    if tag == "$floats":
        shape = _floats_body(body)[2]
        if not isinstance(shape, list) or len(shape) < 1 or 0 in shape \
                or len(shape) > MAX_DEPTH:
            raise ValueError("malformed list of floats")
        return _array(_floats_body(body), blobs).tolist()
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise ValueError("malformed float")
        return float(body)
    if tag == "$complex":
        return complex(float(body[0]), float(body[1]))
    if tag == "$tuple":
        if not isinstance(body, list):
            raise ValueError("malformed tuple")
        return tuple(body)
    if tag == "$dict":
        out = {}
        for key, value in body:
            if isinstance(key, list | dict | np.ndarray):
                raise ValueError("unhashable dict key")
            out[key] = value
        return out
    if tag == "$rng":
        return generator_from_state(body["name"], body["state"])
    raise ValueError(f"unknown tag {tag!r}")
