"""The data channel: values cross it exactly, and no bytes a submission sends can crash, bloat or fool the grader."""

import contextlib
import io
import json
import socket
import struct
import threading

import numpy as np
import pytest
import torch

from autograder.sandbox import protocol
from autograder.sandbox.protocol import Opaque, ProtocolError


def frame(payload: bytes) -> bytes:
    return struct.pack("!Q", len(payload)) + payload


def header(message: dict) -> bytes:
    return frame(json.dumps(message).encode())


def npy(array: np.ndarray) -> bytes:
    return frame(protocol.dump_array(array))


def receive_bytes(data: bytes, hang_up: bool = True):
    """What ``receive`` makes of ``data`` sent by the other end of a real socket pair."""
    ours, theirs = socket.socketpair()

    def write() -> None:
        with contextlib.suppress(OSError):  # the reader may stop early and hang up
            theirs.sendall(data)
            if hang_up:
                theirs.shutdown(socket.SHUT_WR)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        ours.settimeout(20)
        return protocol.receive(ours)
    finally:
        ours.close()
        writer.join()
        theirs.close()


def test_values_cross_the_channel_exactly():
    value = {
        "tensor": torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_(),
        "bfloat": torch.ones(2, dtype=torch.bfloat16),
        "array": np.arange(4, dtype=np.int16),
        "nested": [1, 2.5, "x", None, True, (torch.tensor(3), {"k": [np.float64(1.5)]})],
    }
    tree, arrays = protocol.encode(value)
    message, received = receive_bytes(header({"result": tree, "arrays": len(arrays)}) + b"".join(map(npy, arrays)))
    copy = protocol.decode(message["result"], received)
    assert torch.equal(copy["tensor"], value["tensor"].detach()) and copy["tensor"].requires_grad
    assert copy["bfloat"].dtype == torch.bfloat16 and np.array_equal(copy["array"], value["array"])
    assert copy["nested"][:5] == [1, 2.5, "x", None, True] and torch.equal(copy["nested"][5][0], torch.tensor(3))
    assert copy["nested"][5][1] == {"k": [1.5]} and type(copy["nested"][5][1]["k"][0]) is float


def test_an_array_shared_many_times_costs_every_copy():
    arrays = [np.zeros(1 << 20, dtype=np.float64)]  # 8 MiB, referred to 100 times: 800 MiB if rebuilt
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.decode({"list": [{"tensor": 0, "dtype": "float64"}] * 100}, arrays)
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.decode({"list": [{"ndarray": 0}] * 100}, arrays)
    small = [np.zeros(1 << 18, dtype=np.bool_)]  # 256 KiB of bools as complex128: 16 times as much
    with pytest.raises(ProtocolError, match="larger than"):
        protocol.decode({"list": [{"tensor": 0, "dtype": "complex128"}] * 20}, small)


def test_a_header_of_millions_of_empty_objects_is_refused_before_parsing():
    with pytest.raises(ProtocolError, match="parts"):
        receive_bytes(frame(b'{"arrays": 0, "x": [' + b"{}," * 1_000_000 + b"{}]}"))
    with pytest.raises(ProtocolError, match="larger than"):
        receive_bytes(struct.pack("!Q", protocol.MAX_HEADER_BYTES + 1), hang_up=False)  # nothing more is waited for
    too_many = {"list": [0] * (protocol.MAX_NODES + 1)}
    with pytest.raises(ProtocolError, match="parts"):
        protocol.decode(too_many, [])


def test_deep_nesting_is_refused_in_json_and_in_the_tree():
    with pytest.raises(ProtocolError):
        receive_bytes(frame(b'{"arrays": 0, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    deep = 0
    for _ in range(100):
        deep = {"list": [deep]}
    with pytest.raises(ProtocolError, match="nested"):
        protocol.decode(deep, [])


@pytest.mark.parametrize(
    "payload",
    [
        b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }" + b" " * 47,
        protocol.dump_array(np.zeros(3))[:-8],  # fewer data bytes than the header says
        protocol.dump_array(np.zeros(3)) + b"\0" * 8,  # more
        protocol.dump_array(np.zeros(3, dtype=">f8")),  # foreign byte order
        protocol.dump_array(np.zeros(3, dtype="complex64")),
        protocol.dump_array(np.zeros(2, dtype=[("a", "<f8")])),
        b"\x93NUMPY\x01\x00\x10\x00{'descr': 'O'}  ",
        b"\x93NUMPY\x09\x00",
        b"not an array",
    ],
)
def test_arrays_whose_header_lies_or_whose_dtype_is_not_data_are_refused(payload):
    with pytest.raises(ProtocolError, match="array"):
        receive_bytes(header({"arrays": 1}) + frame(payload))


def test_object_arrays_never_unpickle():
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError, match="dtype"):
        protocol.load_array(buffer.getvalue())


def test_a_frame_cut_short_is_the_end_of_the_channel():
    with pytest.raises(EOFError):
        receive_bytes(header({"arrays": 2}) + npy(np.zeros(2)) + struct.pack("!Q", 100) + b"short")


@pytest.mark.parametrize(
    "tree",
    [
        {"hidden-input-0.123": 1},
        {"tensor": 0, "dtype": "hidden-input-0.123"},
        {"tensor": 5, "dtype": "float32"},
        {"list": "hidden-input-0.123"},
        {"dict": [["k"]]},
        ["hidden-input-0.123"],
        {"tensor": 0, "dtype": "float32", "requires_grad": True, "extra": {"x": 1}, "": 0},
    ],
)
def test_malformed_values_are_described_without_quoting_them(tree):
    try:
        protocol.decode(tree, [np.zeros((2, 2), dtype=np.int64)])
    except ProtocolError as error:
        assert "hidden" not in str(error) and "0.123" not in str(error) and "'" not in str(error)
    else:
        assert tree.get("tensor") == 0 and "extra" in tree  # extra keys of a valid node are ignored


def test_opaque_values_keep_only_names_of_known_types():
    assert protocol.decode({"opaque": "Linear"}, []) == Opaque("Linear")
    assert protocol.decode({"opaque": "function"}, []) == Opaque("function")
    for chosen in ("x_was_0.123", "Hidden", {"name": "Linear"}, "Linear" * 40):
        assert protocol.decode({"opaque": chosen}, []) == Opaque("")
    tree, _ = protocol.encode(type("input_was_0_123", (), {})())
    assert protocol.decode(tree, []) == Opaque("")


FORGER = '''
import json as _json
import os as _os
import socket as _socket
import stat as _stat
import struct as _struct
import sys as _sys

import numpy as _np

def _channel():
    for name in _os.listdir("/proc/self/fd"):
        try:
            if _stat.S_ISSOCK(_os.fstat(int(name)).st_mode):
                return _socket.socket(fileno=_os.dup(int(name)))
        except OSError:
            pass


def _forge(header, *frames):
    """Write raw frames to the grader before the real answer goes out."""
    data = b"".join(_struct.pack("!Q", len(f)) + f for f in (header, *frames))
    _channel().sendall(data)


def _result(value):
    tree = {"dict": [["value", value], ["args", {"list": []}], ["kwargs", {"dict": []}]]}
    return _json.dumps({"ok": True, "result": tree, "arrays": 1}).encode()


def _npy(array):
    import io
    buffer = io.BytesIO()
    _np.save(buffer, array)
    return buffer.getvalue()


def _hostile(forge):
    def function(*args):
        forge(*args)
        _os._exit(0)  # the forged frames are all the grader gets

    return function


def training_loop(n_epochs, learning_rate, params, x, y):
    """Right, and calls none of the hostile functions."""
    losses = []
    for _ in range(n_epochs):
        w, b = params
        y_hat = w * x + b
        losses.append(float(((y_hat - y) ** 2).mean()))
        slope = 2 * (y_hat - y)
        params = params - learning_rate * torch.stack([(slope * x).mean(), slope.mean()])
    return params, losses


model = _hostile(lambda *a: _forge(_result({"list": [{"tensor": 0, "dtype": "float64"}] * 1000}),
                                            _npy(_np.zeros(1 << 20))))
loss_fn = _hostile(lambda *a: _forge(b'{"arrays": 0, "x": [' + b"{}," * 1_000_000 + b"{}]}"))
dloss_fn = _hostile(lambda *a: _forge(_result({"tensor": 0, "dtype": "float32"}),
                    b"\\x93NUMPY\\x01\\x00v\\x00{'descr': '<f4', 'fortran_order': False, 'shape': (10**12,), }"
                    + b" " * 52))
dmodel_dw = _hostile(lambda x, *a: _forge(_json.dumps({"ok": True, "result": {
    "LEAK" + str(x.tolist()): 1}, "arrays": 0}).encode()))


def grad_fn(x, y, y_hat, w, b):
    return type("LEAK" + str(x.tolist()), (), {})()  # an opaque value whose type name carries the input


def dmodel_db(x, w, b):
    raise type("LEAK" + str(x.tolist()), (Exception,), {})()
'''


def test_forged_frames_from_inside_the_sandbox_earn_nothing_and_leak_nothing(tmp_path, reference_result):
    """A submission writes raw frames to the grader's channel: too large, lying, quoting hidden inputs."""
    from conftest import grade_json, task_scores, with_changes

    result = grade_json(with_changes(tmp_path, FORGER), tmp_path, "--max-call-seconds", "20")
    scores = task_scores(result)
    training_loop = next(task for task in result["tasks"] if task["name"] == "training_loop")
    assert all(test["status"] == "passed" for test in training_loop["tests"] if test["max_score"])  # carried on
    # (its points go with its rule: sockets and classes made at run time break every rule)
    assert all(scores[task][0] == 0 for task in ("model", "loss_fn", "dloss_fn", "dmodel_dw", "dmodel_db", "grad_fn"))
    hidden = [test["message"] for task in result["tasks"] for test in task["tests"] if test["visibility"] != "visible"]
    assert hidden and not any("LEAK" in message for message in hidden)
    reasons = ("a value larger than", "a message of more than", "an array that cannot be read", "a malformed value")
    for reason in reasons:
        assert any(f"cannot be checked: {reason}" in message for message in hidden), reason
