"""Values that cross the sandbox boundary, in a form that cannot carry code.

A value is encoded as a JSON tree plus a list of arrays saved with ``numpy.save``.
Decoding uses ``json.loads`` and ``numpy.load(allow_pickle=False)`` only, checks every
array's dtype against an allow-list and rebuilds plain ``torch.Tensor`` objects, so
nothing the submission returns can run code or pretend to be something it is not.

Frames on the wire are an 8-byte length followed by the payload; a message is one frame
of JSON followed by one frame per array.
"""

from __future__ import annotations

import io
import json
import socket
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
MAX_DEPTH = 32
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

    type_name: str

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


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
        arrays.append(np.array(value, order="C", copy=True))
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


def decode(tree: Any, arrays: list[np.ndarray]) -> Any:
    """Rebuild a value from :func:`encode`'s output, validating every node."""
    return _decode(tree, arrays, 0)


def _decode(node: Any, arrays: list[np.ndarray], depth: int) -> Any:
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("value nested too deeply")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if not isinstance(node, dict) or len(node) == 0:
        raise ProtocolError(f"unexpected node {type(node).__name__}")
    if "tensor" in node:
        array = _array(arrays, node["tensor"])
        tensor = torch.from_numpy(array.copy())
        dtype = getattr(torch, str(node.get("dtype", "")), None)
        if isinstance(dtype, torch.dtype) and dtype != tensor.dtype:
            tensor = tensor.to(dtype)
        if node.get("requires_grad") is True and tensor.is_floating_point():
            tensor.requires_grad_(True)
        return tensor
    if "ndarray" in node:
        return _array(arrays, node["ndarray"]).copy()
    if "list" in node:
        return [_decode(item, arrays, depth + 1) for item in _sequence(node["list"])]
    if "tuple" in node:
        return tuple(_decode(item, arrays, depth + 1) for item in _sequence(node["tuple"]))
    if "dict" in node:
        pairs = _sequence(node["dict"])
        if not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            raise ProtocolError("malformed dict node")
        return {key: _decode(item, arrays, depth + 1) for key, item in pairs}
    if "opaque" in node:
        return Opaque(str(node["opaque"])[:200])
    raise ProtocolError(f"unknown node {sorted(node)}")


def _sequence(value: Any) -> list:
    if not isinstance(value, list):
        raise ProtocolError("malformed sequence node")
    return value


def _array(arrays: list[np.ndarray], index: Any) -> np.ndarray:
    if type(index) is not int or not 0 <= index < len(arrays):
        raise ProtocolError("array reference out of range")
    return arrays[index]


def roundtrip(value: Any) -> Any:
    """An independent copy of a value, exactly as it would cross the boundary."""
    tree, arrays = encode(value)
    return decode(tree, arrays)


def dump_array(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def load_array(data: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ProtocolError(f"invalid array: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.name not in ALLOWED_DTYPES:
        raise ProtocolError(f"array of unsupported dtype {getattr(array, 'dtype', '?')}")
    return array


def send(sock: socket.socket, message: dict, arrays: list[np.ndarray] = ()) -> None:
    """Send a JSON message with its arrays as length-prefixed frames."""
    frames = [json.dumps({**message, "arrays": len(arrays)}).encode()]
    frames += [dump_array(array) for array in arrays]
    sock.sendall(b"".join(struct.pack("!Q", len(frame)) + frame for frame in frames))


def receive(sock: socket.socket) -> tuple[dict, list[np.ndarray]]:
    """Receive one message; raises EOFError when the peer has gone."""
    budget = MAX_MESSAGE_BYTES
    header = _read_frame(sock, budget)
    budget -= len(header)
    try:
        message = json.loads(header)
    except (ValueError, RecursionError):
        raise ProtocolError("message is not valid JSON") from None
    if not isinstance(message, dict) or type(message.get("arrays")) is not int:
        raise ProtocolError("message header malformed")
    arrays = []
    for _ in range(message["arrays"]):
        frame = _read_frame(sock, budget)
        budget -= len(frame)
        arrays.append(load_array(frame))
    return message, arrays


def _read_frame(sock: socket.socket, budget: int) -> bytes:
    (size,) = struct.unpack("!Q", _read_exactly(sock, 8))
    if size > budget:
        raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES // 2**20} MiB")
    return _read_exactly(sock, size)


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks += chunk
    return bytes(chunks)
