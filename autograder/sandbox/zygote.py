"""The warm worker: imports torch once, then forks a fresh sandbox per request.

Started by the grader as ``python -I -m autograder.sandbox.zygote FD`` with a clean
environment, so its memory holds torch and this package, never hidden tests, reference
solutions or expected values. Each request on the control socket carries one end of a
fresh socket pair for the new sandbox; the reply is the sandbox's process id.
"""

from __future__ import annotations

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
        pid = os.fork()
        if pid == 0:
            control.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            worker.main(fds[0], request)
        os.close(fds[0])
        control.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
