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


class ZygoteError(RuntimeError):
    """The zygote that forks sandboxes did not start, or has stopped: the grader's trouble, not a submission's."""


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
        self._ready: dict | None = None

    def _wait_ready(self) -> dict:
        """The zygote's first message (it says what isolation the kernel allows); call under the lock."""
        if self._ready is None:
            try:
                self._ready = json.loads(self._control.recv(1024))
            except (OSError, ValueError):
                self._ready = {}
            if self._ready.get("op") != "ready":
                raise ZygoteError("the grader could not start its sandboxes (the sandbox zygote failed to start)")
        return self._ready

    def ready(self) -> bool:
        """Wait until the zygote has imported torch; False if it failed to start."""
        with self._lock:
            try:
                self._wait_ready()
            except ZygoteError:
                return False
        return True

    def isolation(self) -> tuple[str, str]:
        """``("namespaces", "")`` when sandboxes get their own namespaces, else ``("none", reason)``."""
        with self._lock:
            ready = self._wait_ready()
        return str(ready.get("isolation")), str(ready.get("reason", ""))

    def user_namespaces(self) -> bool:
        """Whether every sandbox gets a user namespace of its own (so per-user kernel objects die with it)."""
        with self._lock:
            return self._wait_ready().get("user_namespace") is True

    def preload(self, modules: tuple[str, ...]) -> None:
        """Have the zygote import these now, while the grader prepares the tests."""
        if modules:
            with self._lock:
                self._control.send(json.dumps({"op": "preload", "modules": list(modules)}).encode())

    def fork(self, request: dict, channel: socket.socket) -> tuple[int, int | None]:
        """Start a sandbox; returns its process id and a pidfd of the process running the submission."""
        with self._lock:
            self._wait_ready()
            socket.send_fds(self._control, [json.dumps(request).encode()], [channel.fileno()])
            reply, fds, _, _ = socket.recv_fds(self._control, 1024, 1)
        if not reply:
            raise ZygoteError("the grader lost its sandboxes (the sandbox zygote has stopped)")
        return int(json.loads(reply)["pid"]), fds[0] if fds else None

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """Hang up; the zygote leaves by itself, and nothing waits for it."""
        self._control.close()


_zygote: Zygote | None = None


def shared_zygote() -> Zygote:
    """The process-wide zygote, started on first use (it warms up while the caller goes on)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote
