"""The data channel: values cross it exactly, and no bytes a submission sends can crash, bloat or fool the grader."""

import contextlib
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


def message_bytes(message: dict, arrays: list[np.ndarray]) -> bytes:
    """A message as ``send`` writes it: its header, then one frame of its arrays' bytes."""
    specs = [protocol.array_spec(array) for array in arrays]
    data = frame(b"".join(array.tobytes() for array in arrays)) if arrays else b""
    return header({**message, "arrays": specs}) + data


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
    message, received = receive_bytes(message_bytes({"result": tree}, arrays))
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
        receive_bytes(frame(b'{"arrays": [], "x": [' + b"{}," * 1_000_000 + b"{}]}"))
    with pytest.raises(ProtocolError, match="larger than"):
        receive_bytes(struct.pack("!Q", protocol.MAX_HEADER_BYTES + 1), hang_up=False)  # nothing more is waited for
    too_many = {"list": [0] * (protocol.MAX_NODES + 1)}
    with pytest.raises(ProtocolError, match="parts"):
        protocol.decode(too_many, [])


def test_deep_nesting_is_refused_in_json_and_in_the_tree():
    with pytest.raises(ProtocolError):
        receive_bytes(frame(b'{"arrays": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    deep = 0
    for _ in range(100):
        deep = {"list": [deep]}
    with pytest.raises(ProtocolError, match="nested"):
        protocol.decode(deep, [])


@pytest.mark.parametrize(
    ("specs", "data"),
    [
        ([["float64", [10**12]]], b"\0" * 8),  # a shape far larger than any message
        ([["float64", [3]]], b"\0" * 16),  # fewer data bytes than the header says
        ([["float64", [3]]], b"\0" * 32),  # more
        ([["complex64", [2]]], b"\0" * 16),
        ([["object", [1]]], b"\0" * 8),
        ([[">f8", [1]]], b"\0" * 8),  # not a dtype name (byte order is always native)
        ([["float32", [-1]]], b""),
        ([["float32", [True]]], b"\0" * 4),
        ([["float32", [1.0]]], b"\0" * 4),
        ([["float32", [1] * 40]], b"\0" * 4),
        ([["float32"]], b""),
        (["float32"], b""),
        ([["float32", 3]], b"\0" * 12),
        ([["float32", [1]]] * (protocol.MAX_ARRAYS + 1), b"\0" * 4 * (protocol.MAX_ARRAYS + 1)),
        (7, b""),
    ],
)
def test_arrays_whose_header_lies_or_whose_dtype_is_not_data_are_refused(specs, data):
    with pytest.raises(ProtocolError, match=r"array|message"):
        receive_bytes(header({"arrays": specs}) + frame(data))


def test_a_bool_is_always_0_or_1_whatever_bytes_stand_for_it():
    (array,) = protocol.load_arrays([["bool", [3]]], b"\x00\x02\xff")
    tensor = torch.from_numpy(array.copy())
    assert tensor.tolist() == [False, True, True] and tensor.view(torch.uint8).tolist() == [0, 1, 1]


def test_arrays_cross_in_any_byte_order_and_layout_with_their_values():
    value = [np.arange(6, dtype=">f8").reshape(2, 3).T, np.asfortranarray(np.arange(4, dtype=np.int16).reshape(2, 2))]
    tree, arrays = protocol.encode(value)
    message, received = receive_bytes(message_bytes({"result": tree}, arrays))
    copy = protocol.decode(message["result"], received)
    assert all(np.array_equal(a, b) and a.dtype.isnative for a, b in zip(copy, value, strict=True))


def test_object_arrays_never_cross():
    tree, arrays = protocol.encode(np.array([{"a": 1}], dtype=object))
    with pytest.raises(ProtocolError, match="dtype"):
        receive_bytes(message_bytes({"result": tree}, arrays))


def test_a_frame_cut_short_is_the_end_of_the_channel():
    with pytest.raises(EOFError):
        receive_bytes(header({"arrays": [["float64", [2]], ["float64", [10]]]}) + struct.pack("!Q", 96) + b"short")


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


def _result(value, specs=()):
    tree = {"dict": [["value", value], ["args", {"list": []}], ["kwargs", {"dict": []}]]}
    return _json.dumps({"ok": True, "result": tree, "arrays": list(specs)}).encode()


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


_MIB_8 = [["float64", [1 << 20]]]
model = _hostile(lambda *a: _forge(_result({"list": [{"tensor": 0, "dtype": "float64"}] * 1000}, _MIB_8),
                                   _np.zeros(1 << 20).tobytes()))
loss_fn = _hostile(lambda *a: _forge(b'{"arrays": [], "x": [' + b"{}," * 1_000_000 + b"{}]}"))
dloss_fn = _hostile(lambda *a: _forge(_result({"tensor": 0, "dtype": "float32"}, [["float32", [10**12]]]), b"\\0" * 64))
dmodel_dw = _hostile(lambda x, *a: _forge(_json.dumps({"ok": True, "result": {
    "LEAK" + str(x.tolist()): 1}, "arrays": []}).encode()))


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
    reasons = ("a value larger than", "a message of more than", "an array of an impossible shape", "a malformed value")
    for reason in reasons:
        assert any(f"cannot be checked: {reason}" in message for message in hidden), reason


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [([1.0, 2.0, 3.0], {}), ([1.0], {}), ([1.0, 2.0], {"extra": torch.zeros(4)}), ("xy", {})],
)
def test_a_response_carries_back_exactly_the_arguments_it_was_sent(args, kwargs):
    """Arguments beyond those sent would be kept with the call, unchecked: the response is refused."""
    from autograder.sandbox.client import SubmissionError, read_response

    tree, arrays = protocol.encode({"value": 1.0, "args": args, "kwargs": kwargs})
    with pytest.raises(SubmissionError) as refused:
        read_response("model", {"ok": True, "result": tree}, arrays, 2, set())
    assert refused.value.kind == "invalid" and refused.value.message == "a malformed result"
    tree, arrays = protocol.encode({"value": 1.0, "args": [1.0, 2.0], "kwargs": {}})
    assert read_response("model", {"ok": True, "result": tree}, arrays, 2, set())["value"] == 1.0


def test_strings_with_lone_surrogates_arrive_as_text_that_can_be_written():
    """A message (an exception's text) holding a lone surrogate could not be written as UTF-8 anywhere."""
    tree, _ = protocol.encode({"message": "x\ud800y", "pair": "\U0001f600"})
    message, _ = receive_bytes(header({"result": tree, "arrays": []}))
    value = protocol.decode(message["result"], [])
    assert value == {"message": "x?y", "pair": "\U0001f600"}
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def test_an_empty_array_of_an_impossible_shape_is_refused():
    with pytest.raises(ProtocolError, match="shape"):
        receive_bytes(header({"arrays": [["float64", [0, 2**26, 2**26, 2**26]]]}) + frame(b""))
