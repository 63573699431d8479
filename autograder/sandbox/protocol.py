"""Values that cross the sandbox boundary, in a form that cannot carry code.

A value is encoded as a JSON tree plus a list of arrays. Decoding uses ``json.loads`` and
``numpy.frombuffer`` only, checks every array's dtype against an allow-list and rebuilds
plain ``torch.Tensor`` objects, so nothing the submission returns can run code or pretend
to be something it is not.

Frames on the wire are an 8-byte length followed by the payload; a message is one frame
of JSON, whose ``"arrays"`` lists each array's dtype and shape, followed (when there are
arrays) by one frame of their bytes, back to back.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import re
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_VALUE_BYTES = 64 * 1024 * 1024
MAX_NODES = 200_000
MAX_ARRAYS = 10_000
MAX_DEPTH = 32
MAX_DIMENSIONS = 32
ALLOWED_DTYPES = {
    "bool",
    "uint8",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
}


class ProtocolError(Exception):
    """The other side sent something that is not a valid message."""


@dataclass(frozen=True)
class Opaque:
    """Stands for a returned object that is not data (a model, a function, ...)."""

    type_name: str  # a name from KNOWN_TYPE_NAMES, else "" (a name the submission chose is never kept)

    def __repr__(self) -> str:
        return f"<{self.type_name or 'unknown'} object>"


def encode(value: Any) -> tuple[Any, list[np.ndarray]]:
    """Turn a value into a JSON-compatible tree and the arrays it refers to."""
    arrays: list[np.ndarray] = []
    return _encode(value, arrays, 0), arrays


def _encode(value: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH:
        return {"opaque": "deeply nested object"}
    if value is None or isinstance(value, (bool, int, float, str)):
        if type(value) in (bool, int, float, str, type(None)):
            return value
        return _encode(_plain_scalar(value), arrays, depth)
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value, arrays)
    if isinstance(value, np.ndarray):
        arrays.append(np.array(value, dtype=value.dtype.newbyteorder("="), order="C", copy=True))
        return {"ndarray": len(arrays) - 1}
    if isinstance(value, np.generic):
        return _encode(value.item(), arrays, depth)
    if isinstance(value, (list, tuple)):
        items = [_encode(item, arrays, depth + 1) for item in value]
        return {"tuple": items} if isinstance(value, tuple) else {"list": items}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"dict": [[key, _encode(item, arrays, depth + 1)] for key, item in value.items()]}
    return {"opaque": type(value).__qualname__}


def _plain_scalar(value: Any) -> Any:
    """Subclasses of built-in scalars (e.g. a ``float`` subclass) become plain ones."""
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    return value


def _encode_tensor(tensor: torch.Tensor, arrays: list[np.ndarray]) -> Any:
    plain = torch.Tensor.detach(tensor).cpu()
    dtype = str(plain.dtype).removeprefix("torch.")
    if plain.is_complex() or plain.dtype not in _NUMPY_DTYPES:
        plain = plain.to(torch.float64)
    arrays.append(np.array(plain.numpy(), order="C", copy=True))
    return {
        "tensor": len(arrays) - 1,
        "dtype": dtype,
        "requires_grad": bool(tensor.requires_grad),
    }


_NUMPY_DTYPES = {
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
    torch.float64,
}


TENSOR_DTYPES = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (*_NUMPY_DTYPES, torch.bfloat16, torch.complex64, torch.complex128)
}


def _type_names() -> frozenset[str]:
    """Names of built-in, torch and numpy types: the only ones an opaque value may show."""
    spaces = [builtins, torch, torch.nn, torch.optim, torch.utils.data, np]
    names = {name for space in spaces for name, value in vars(space).items() if isinstance(value, type)}
    return frozenset(names | {"function", "method", "module", "generator", "builtin_function_or_method"})


KNOWN_TYPE_NAMES = _type_names()
KNOWN_EXCEPTION_NAMES = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """Rebuild a value from :func:`encode`'s output, validating every node.

    Decoding is bounded before it allocates: at most ``MAX_NODES`` nodes, ``MAX_DEPTH``
    levels and ``MAX_VALUE_BYTES`` of arrays (an array referred to k times counts k
    times). Anything wrong, including errors numpy or torch raise, is a ProtocolError
    whose text quotes nothing of the value.
    """
    budget = _Budget()
    try:
        return _decode(tree, arrays, 0, budget)
    except ProtocolError:
        raise
    except (MemoryError, RecursionError, ValueError, TypeError, RuntimeError, OverflowError):
        raise ProtocolError("a value that cannot be rebuilt") from None


class _Budget:
    """What decoding one value may still use."""

    def __init__(self) -> None:
        self.nodes, self.bytes = MAX_NODES, MAX_VALUE_BYTES

    def spend(self, nodes: int, size: int = 0) -> None:
        self.nodes -= nodes
        self.bytes -= size
        if self.nodes < 0:
            raise ProtocolError(f"a value of more than {MAX_NODES} parts")
        if self.bytes < 0:
            raise ProtocolError(f"a value larger than {MAX_VALUE_BYTES // 2**20} MiB")


def _decode(node: Any, arrays: list[np.ndarray], depth: int, budget: _Budget) -> Any:
    budget.spend(1)
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("a value nested too deeply")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if type(node) is not dict or len(node) == 0:
        raise ProtocolError("a malformed value")
    if "tensor" in node:
        array = _array(arrays, node["tensor"])
        dtype = TENSOR_DTYPES.get(node.get("dtype"))
        if dtype is None:
            raise ProtocolError("a tensor of an unsupported dtype")
        element = max(array.itemsize, dtype.itemsize)
        budget.spend(0, array.size * element)
        tensor = torch.from_numpy(array.copy())
        if dtype != tensor.dtype:
            tensor = tensor.to(dtype)
        if node.get("requires_grad") is True and tensor.is_floating_point():
            tensor.requires_grad_(True)
        return tensor
    if "ndarray" in node:
        array = _array(arrays, node["ndarray"])
        budget.spend(0, array.nbytes)
        return array.copy()
    if "list" in node:
        return [_decode(item, arrays, depth + 1, budget) for item in _sequence(node["list"])]
    if "tuple" in node:
        return tuple(_decode(item, arrays, depth + 1, budget) for item in _sequence(node["tuple"]))
    if "dict" in node:
        pairs = _sequence(node["dict"])
        if not all(type(p) is list and len(p) == 2 and type(p[0]) is str for p in pairs):
            raise ProtocolError("a malformed dict")
        return {key: _decode(item, arrays, depth + 1, budget) for key, item in pairs}
    if "opaque" in node:
        name = node["opaque"]
        return Opaque(name if type(name) is str and name in KNOWN_TYPE_NAMES else "")
    raise ProtocolError("a malformed value")


def _sequence(value: Any) -> list:
    if type(value) is not list:
        raise ProtocolError("a malformed sequence")
    return value


def _array(arrays: list[np.ndarray], index: Any) -> np.ndarray:
    if type(index) is not int or not 0 <= index < len(arrays):
        raise ProtocolError("an array reference out of range")
    return arrays[index]


def size_of(value: Any) -> int:
    """Roughly how much memory a decoded value holds, in bytes."""
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.numel()
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(map(size_of, value)) + 64
    if isinstance(value, dict):
        return sum(map(size_of, value.values())) + 64
    return 64


def roundtrip(value: Any) -> Any:
    """An independent copy of a value, exactly as it would cross the boundary."""
    tree, arrays = encode(value)
    return decode(tree, arrays)


def digest(value: Any) -> str:
    """A hash of a value as it would cross the boundary: equal for equal values (tensors by dtype, shape and bytes)."""
    tree, arrays = encode(value)
    hasher = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    for array in arrays:
        hasher.update(str((array.dtype, array.shape)).encode())
        hasher.update(array.tobytes())
    return hasher.hexdigest()


def array_spec(array: np.ndarray) -> list:
    """What the header says of an array: its dtype's name and its shape."""
    return [array.dtype.name, list(array.shape)]


def layout(specs: Any) -> list[tuple[str, tuple[int, ...], int]]:
    """Each array's dtype, shape and size in bytes, from the header's ``specs``, checked.

    Nothing is parsed but JSON: every spec names an allowed dtype (native byte order) and a
    shape of at most ``MAX_DIMENSIONS`` sizes, and all of them fit in ``MAX_MESSAGE_BYTES``.
    """
    if type(specs) is not list or len(specs) > MAX_ARRAYS:
        raise ProtocolError("a malformed message header")
    arrays = []
    for dtype, shape in map(_checked_spec, specs):
        arrays.append((dtype, shape, math.prod(shape) * np.dtype(dtype).itemsize))
    if sum(size for _, _, size in arrays) > MAX_MESSAGE_BYTES:
        raise ProtocolError("a message larger than the grader accepts")
    return arrays


def load_arrays(specs: Any, data: bytes) -> list[np.ndarray]:
    """Arrays from their header ``specs`` and the one frame of their bytes, back to back in C order.

    The bytes must be exactly what the specs account for. Each array is a read-only view of
    ``data``; a boolean array is rebuilt from its bytes (any byte not zero is True), so that no
    bool holds a value other than 0 or 1.
    """
    found = layout(specs)
    if sum(size for _, _, size in found) != len(data):
        raise ProtocolError("arrays whose size does not match the header")
    arrays, offset = [], 0
    for dtype, shape, size in found:
        if dtype == "bool":
            array = np.frombuffer(data, dtype=np.uint8, count=size, offset=offset) != 0
        else:
            array = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize, offset=offset)
        arrays.append(array.reshape(shape))
        offset += size
    return arrays


def _checked_spec(spec: Any) -> tuple[str, tuple[int, ...]]:
    if type(spec) is not list or len(spec) != 2 or type(spec[1]) is not list:
        raise ProtocolError("a malformed array header")
    dtype, shape = spec
    if type(dtype) is not str or dtype not in ALLOWED_DTYPES:
        raise ProtocolError("an array of an unsupported dtype")
    if len(shape) > MAX_DIMENSIONS or not all(type(size) is int and 0 <= size <= MAX_MESSAGE_BYTES for size in shape):
        raise ProtocolError("an array of an impossible shape")
    if math.prod(max(size, 1) for size in shape) > MAX_MESSAGE_BYTES:  # even empty: numpy cannot index it
        raise ProtocolError("an array of an impossible shape")
    return dtype, tuple(shape)


def send(sock: socket.socket, message: dict, arrays: list[np.ndarray] = (), deadline: float | None = None) -> None:
    """Send a JSON message with its arrays as length-prefixed frames.

    With a ``deadline`` (a ``time.monotonic()`` value), raises TimeoutError once it passes.
    """
    frames = [json.dumps({**message, "arrays": [array_spec(array) for array in arrays]}).encode()]
    if arrays:
        frames.append(b"".join(np.ascontiguousarray(array).tobytes() for array in arrays))
    _wait_until(sock, deadline)
    sock.sendall(b"".join(struct.pack("!Q", len(frame)) + frame for frame in frames))


def receive(sock: socket.socket, deadline: float | None = None) -> tuple[dict, list[np.ndarray]]:
    """Receive one message; raises EOFError when the peer has gone.

    With a ``deadline`` (a ``time.monotonic()`` value), raises TimeoutError once it passes,
    however slowly the peer trickles its bytes. Any other failure is a ProtocolError, after
    which the rest of the message may still be in the socket: the caller must not read from
    it again.
    """
    header = _read_frame(sock, MAX_HEADER_BYTES, deadline)
    if header.count(b"[") + header.count(b"{") > MAX_NODES:  # bounds what json.loads builds
        raise ProtocolError(f"a message of more than {MAX_NODES} parts")
    try:
        message = json.loads(header)
    except (ValueError, RecursionError, MemoryError):
        raise ProtocolError("a message that is not valid JSON") from None
    if (b"\\u" in header or b"\xed" in header) and SURROGATE.search(header):
        message = _without_lone_surrogates(message)
    specs = message.get("arrays") if type(message) is dict else None
    size = sum(size for _, _, size in layout(specs))
    if not specs:
        return message, []
    data = _read_frame(sock, size, deadline)
    try:
        return message, load_arrays(specs, data)
    except (ValueError, TypeError, MemoryError):  # numpy's own refusals: the same as any other
        raise ProtocolError("arrays that cannot be rebuilt") from None


# A UTF-16 surrogate, escaped or raw (``json`` decodes bytes with "surrogatepass"): a string
# holding a lone one cannot be written as UTF-8, so no such string may reach a report.
SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) replaced by "?"."""
    if type(value) is str:
        return value.encode("utf-8", "replace").decode("utf-8")
    if type(value) is list:
        return [_without_lone_surrogates(item) for item in value]
    if type(value) is dict:
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


def _read_frame(sock: socket.socket, limit: int, deadline: float | None) -> bytes:
    (size,) = struct.unpack("!Q", _read_exactly(sock, 8, deadline))
    if size > limit:
        raise ProtocolError("a message larger than the grader accepts")
    return _read_exactly(sock, size, deadline)


def _wait_until(sock: socket.socket, deadline: float | None) -> None:
    """Let the socket's next operation block only until ``deadline``; raise TimeoutError once past."""
    if deadline is None:
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    sock.settimeout(left)


def _read_exactly(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        _wait_until(sock, deadline)
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks += chunk
    return bytes(chunks)
