"""Starting the zygote, the warm process that forks sandboxes (see ``zygote.py``).

This module imports only the standard library, so a command can start the zygote first
and let it import torch while the command itself is still importing.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading


class Zygote:
    """A warm process that has imported torch and forks sandboxes on request."""

    def __init__(self) -> None:
        self._control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            # -P keeps the working folder off sys.path: name the folder of the engine this grader runs.
            "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-s", "-P", "-m", "autograder.sandbox.zygote", str(child_end.fileno())],
            pass_fds=[child_end.fileno()],
            env=env,
            cwd=tempfile.gettempdir(),
            stdin=subprocess.DEVNULL,
        )
        child_end.close()
        self._ready = False

    def ready(self) -> bool:
        """Wait until the zygote has imported torch; False if it failed to start."""
        with self._lock:
            if not self._ready:
                self._ready = self._control.recv(1024) == b'{"op": "ready"}'
            return self._ready

    def fork(self, request: dict, channel: socket.socket) -> int:
        if not self.ready():
            raise RuntimeError("the sandbox zygote failed to start")
        with self._lock:
            socket.send_fds(self._control, [json.dumps(request).encode()], [channel.fileno()])
            reply = self._control.recv(1024)
        if not reply:
            raise RuntimeError("the sandbox zygote has stopped")
        return int(json.loads(reply)["pid"])

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self._control.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


_zygote: Zygote | None = None


def shared_zygote() -> Zygote:
    """The process-wide zygote, started on first use (it warms up while the caller goes on)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote
