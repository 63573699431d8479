"""The warm worker: imports torch once, then forks a fresh sandbox per request.

An assignment's manifest may name modules its sandboxes need (``sandbox_preload``, e.g.
``torch._dynamo``, which ``torch.optim`` imports on first use at a cost of seconds); they are
imported here before forking, once per zygote.

Started by the grader as ``python -I -m autograder.sandbox.zygote FD`` with a clean
environment, so its memory holds torch and this package, never hidden tests, reference
solutions or expected values. Each request on the control socket carries one end of a
fresh socket pair for the new sandbox; the reply is the sandbox's process id.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import sys

import numpy  # noqa: F401 - imported once here so that every sandbox starts warm
import torch

from autograder.sandbox import worker


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # sandboxes are reaped automatically
    torch.set_num_threads(1)
    control.send(b'{"op": "ready"}')
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 65536, 1)
        except OSError:
            return
        if not data or len(fds) != 1:
            return
        request = json.loads(data)
        preload(request.get("preload", []))
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            worker.main(fds[0], request)
        os.close(fds[0])
        control.send(json.dumps({"pid": pid}).encode())


def preload(modules: list[str]) -> None:
    """Import what an assignment's sandboxes will need (named in its manifest) once, here."""
    for name in modules:
        if name not in sys.modules:
            with contextlib.suppress(ImportError):  # the sandbox meets it again, where it is reported
                importlib.import_module(name)


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the grader left before needing us
        serve(socket.socket(fileno=int(sys.argv[1])))
