"""Plain data across the process boundary, without pickle.

A message is a JSON document plus raw array bytes. Only these cross: numpy arrays of bool or
numeric dtype (rebuilt with `np.frombuffer` from a validated dtype and shape, never unpickled,
always a base `ndarray`), numpy scalars of those dtypes (rebuilt the same way, so `np.bool_`,
`np.int64` or `np.float32` arrive as themselves, and a check can tell them from Python's `bool`,
`int` and `float`), Python numbers, strings, None, lists, tuples and dicts of these, and
`numpy.random.Generator` *arguments* (their bit generator's state). Anything else is refused with
a description a learner can act on.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

MAX_DEPTH = 64
NUMERIC_KINDS = "biufc"
_LEN = struct.Struct("<Q")


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
    blobs: list[bytes] = []
    doc = _to_json(value, blobs, 0)
    head = json.dumps(doc, allow_nan=True, separators=(",", ":")).encode("utf-8")
    parts = [_LEN.pack(len(head)), head, _LEN.pack(len(blobs))]
    for blob in blobs:
        parts += [_LEN.pack(len(blob)), blob]
    return b"".join(parts)


def decode(data: bytes) -> Any:
    view = memoryview(data)
    (head_len,) = _LEN.unpack_from(view, 0)
    pos = _LEN.size
    doc = json.loads(bytes(view[pos : pos + head_len]).decode("utf-8"))
    pos += head_len
    (count,) = _LEN.unpack_from(view, pos)
    pos += _LEN.size
    blobs: list[bytes] = []
    for _ in range(count):
        (size,) = _LEN.unpack_from(view, pos)
        pos += _LEN.size
        blobs.append(bytes(view[pos : pos + size]))
        pos += size
    if pos != len(data):
        raise ValueError("trailing bytes after the message")
    return _from_json(doc, blobs, 0)


def _to_json(value: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported(f"data nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int) and type(value) is int:
        return value
    if isinstance(value, float) and type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        blobs.append(value.tobytes())
        return {"$np": [len(blobs) - 1, value.dtype.str]}
    if isinstance(value, complex):
        return {"$complex": [value.real, value.imag]}
    if type(value) is np.ndarray:
        if value.dtype.kind not in NUMERIC_KINDS:
            raise Unsupported(f"a numpy array of dtype {value.dtype} (only numbers and bools)")
        blobs.append(np.ascontiguousarray(value).tobytes())
        return {"$nd": [len(blobs) - 1, value.dtype.str, list(value.shape)]}
    if isinstance(value, np.random.Generator):
        bitgen = value.bit_generator
        return {"$rng": {"name": type(bitgen).__name__, "state": _state_json(bitgen.state)}}
    if type(value) in (list, tuple):
        items = [_to_json(v, blobs, depth + 1) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict:
        return {"$dict": [[_to_json(k, blobs, depth + 1), _to_json(v, blobs, depth + 1)]
                          for k, v in value.items()]}
    raise Unsupported(describe(value))


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
    bitgen = bitgen_type()
    bitgen.state = _state_py(state)
    return np.random.Generator(bitgen)


def generator_state(rng: np.random.Generator) -> Any:
    return _state_json(rng.bit_generator.state)


def set_generator_state(rng: np.random.Generator, state: Any) -> None:
    rng.bit_generator.state = _state_py(state)


def _array(body: Any, blobs: list[bytes]) -> np.ndarray:
    """Raw bytes plus a dtype string and a shape: only plain numeric dtypes are accepted, so no
    object (and no pickle) can ever be made from the data."""
    index, dtype_str, shape = body
    dtype = np.dtype(str(dtype_str))
    if dtype.kind not in NUMERIC_KINDS or dtype.hasobject or dtype.fields is not None:
        raise ValueError("array of a forbidden dtype")
    shape = tuple(int(n) for n in shape)
    data = blobs[int(index)]
    if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise ValueError("array data of the wrong size")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _from_json(doc: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if doc is None or isinstance(doc, bool | int | float | str):
        return doc
    if isinstance(doc, list):
        return [_from_json(v, blobs, depth + 1) for v in doc]
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ValueError("malformed message")
    (tag, body), = doc.items()
    if tag == "$nd":
        return _array(body, blobs)
    if tag == "$np":
        return _array([body[0], body[1], []], blobs)[()]
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise ValueError("malformed float")
        return float(body)
    if tag == "$complex":
        return complex(float(body[0]), float(body[1]))
    if tag == "$tuple":
        return tuple(_from_json(v, blobs, depth + 1) for v in body)
    if tag == "$dict":
        out = {}
        for key, value in body:
            key = _from_json(key, blobs, depth + 1)
            if isinstance(key, list | dict | np.ndarray):
                raise ValueError("unhashable dict key")
            out[key] = _from_json(value, blobs, depth + 1)
        return out
    if tag == "$rng":
        return generator_from_state(body["name"], body["state"])
    raise ValueError(f"unknown tag {tag!r}")
