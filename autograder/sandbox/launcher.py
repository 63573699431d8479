"""Starting the zygote, the warm process that forks sandboxes and graders (see ``zygote.py``).

This module imports only the standard library, so a command can start the zygote first
and let it import torch while the command itself is still importing.

A command that grades runs in a *grader* the zygote forks (:func:`run_as_grader`), so that
torch is imported once: the zygote's copy, made before any course file was read, is the
grader's and every sandbox's. The grader's environment, arguments, working folder and
standard streams are this process's; they reach it in a memory file only the grader reads,
so the zygote, whose memory every sandbox inherits, never holds them.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import traceback
from typing import NoReturn

# What a grader may run: a request names one of these, never any other code.
GRADER_TARGETS = frozenset({"autograder.cli:main", "autograder.batch:worker_main"})


class ZygoteError(RuntimeError):
    """The zygote that forks sandboxes did not start, or has stopped: the grader's trouble, not a submission's."""


class Zygote:
    """A warm process that has imported torch and forks sandboxes on request."""

    def __init__(self, adopted: tuple[socket.socket, dict] | None = None) -> None:
        self._lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        if adopted is not None:  # in a grader the zygote forked: its connection, and what it said when ready
            self._control, self._ready = adopted
            return
        self._control, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
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
            start_new_session=True,  # a Ctrl-C is the command's to pass on (to its grader), not the zygote's
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

    def fork(self, request: dict, channel: socket.socket, preload: tuple[str, ...] = ()) -> tuple[int, int | None]:
        """Start a sandbox; returns its process id and a pidfd of the process running the submission.

        The request (its folders and limits: who is graded, where the class is) goes in a memory file
        only the sandbox reads: the zygote, whose memory later sandboxes inherit, never holds it."""
        memory = _memory_file(request)
        try:
            with self._lock:
                self._wait_ready()
                message = json.dumps({"op": "sandbox", "preload": list(preload)}).encode()
                socket.send_fds(self._control, [message], [channel.fileno(), memory])
                reply, fds, _, _ = socket.recv_fds(self._control, 1024, 1)
        finally:
            os.close(memory)
        if not reply:
            raise ZygoteError("the grader lost its sandboxes (the sandbox zygote has stopped)")
        return int(json.loads(reply)["pid"]), fds[0] if fds else None

    def start_grader(self, target: str, args: list, fds: list[int], preload: tuple[str, ...] = ()) -> GraderProcess:
        """Have the zygote fork a grader that runs ``target(*args, *fds[3:])`` in this process's
        environment, working folder and umask, with ``fds[:3]`` as its standard streams.

        ``preload`` is imported in the zygote first, so the grader shares it with the sandboxes.
        """
        payload = {
            "target": target,
            "args": args,
            "env": dict(os.environ),
            "argv": sys.argv,
            "path": sys.path,
            "umask": _umask(),
            "dont_write_bytecode": sys.dont_write_bytecode,
        }
        memory = _memory_file(payload)
        here = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        status_read, status_write = os.pipe()
        try:
            request = json.dumps({"op": "grader", "preload": list(preload)}).encode()
            with self._lock:
                self._wait_ready()
                socket.send_fds(self._control, [request], [memory, here, status_write, *fds])
                reply, pidfds, _, _ = socket.recv_fds(self._control, 1024, 1)
        except BaseException:
            os.close(status_read)
            raise
        finally:
            for fd in (memory, here, status_write):
                os.close(fd)
        if not reply or not pidfds:
            os.close(status_read)
            raise ZygoteError("the grader could not start (the sandbox zygote has stopped)")
        return GraderProcess(int(json.loads(reply)["pid"]), pidfds[0], status_read)

    def alive(self) -> bool:
        if self.process is None:  # adopted: the zygote is this grader's parent
            return True
        return self.process.poll() is None

    def close(self) -> None:
        """Hang up; the zygote leaves by itself, and nothing waits for it."""
        self._control.close()


def _memory_file(data: dict) -> int:
    """A memory file holding ``data`` as JSON, read from its start."""
    memory = os.memfd_create("autograder-request", os.MFD_CLOEXEC)
    with open(memory, "wb", closefd=False) as file:
        file.write(json.dumps(data).encode())
    os.lseek(memory, 0, os.SEEK_SET)
    return memory


def read_memory_file(fd: int) -> dict:
    """What :func:`_memory_file` holds (the descriptor is closed)."""
    with open(fd, "rb") as file:
        return json.loads(file.read())


class GraderProcess:
    """A grader the zygote forked, as this process sees it: the part of ``multiprocessing.Process``
    a pool needs (it is not this process's child, so the zygote reports its exit status)."""

    def __init__(self, pid: int, pidfd: int, status: int) -> None:
        self.pid, self._pidfd, self._status_fd = pid, pidfd, status
        self._status: int | None = None

    @property
    def sentinel(self) -> int:
        """Readable once the grader has ended (a pidfd)."""
        return self._pidfd

    def join(self, timeout: float | None = None) -> None:
        """Wait for the grader to end (at most ``timeout`` seconds), then for the status the zygote reports."""
        if self._status is None and select.select([self._pidfd], [], [], timeout)[0]:
            data = b""
            while chunk := os.read(self._status_fd, 64):
                data += chunk
            self._status = int(data) if data.isdigit() else 1 << 8  # the zygote ended first: a failure

    def is_alive(self) -> bool:
        self.join(0)
        return self._status is None

    @property
    def exitcode(self) -> int | None:
        """As ``multiprocessing``'s: the exit status, or minus the signal that ended it; None while alive."""
        self.join(0)
        return None if self._status is None else os.waitstatus_to_exitcode(self._status)

    def send_signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, OSError):
            signal.pidfd_send_signal(self._pidfd, number)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def close(self) -> None:
        for fd in (self._pidfd, self._status_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def run_as_grader(zygote: Zygote, argv: list[str], preload: tuple[str, ...] = ()) -> int:
    """Run ``autograder ARGV`` in a grader the zygote forks, passing it the signals this process
    gets; returns its exit status, or ends this process by the signal that ended it."""
    from autograder.sandbox import isolation  # the standard library's ctypes only

    isolation.make_undumpable()  # this process holds the environment too: kept out of others' reach, as the grader
    grader = zygote.start_grader("autograder.cli:main", [argv], [_stream(fd) for fd in (0, 1, 2)], preload)
    handlers = {
        number: signal.signal(number, lambda received, _: grader.send_signal(received))
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        grader.join()
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    code = grader.exitcode or 0
    grader.close()
    if code < 0:  # end as it ended, so that a shell sees an interrupted command
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


def _stream(fd: int) -> int:
    """``fd``, or the null device where this process has no such stream."""
    try:
        os.fstat(fd)
        return fd
    except OSError:
        return os.open(os.devnull, os.O_RDWR)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


_zygote: Zygote | None = None
_is_grader = False


def is_grader() -> bool:
    """Whether this process is a grader the zygote forked (it has torch, and the zygote as parent)."""
    return _is_grader


def become_grader(payload_fd: int, cwd_fd: int, fds: list[int], control: socket.socket, ready: dict) -> NoReturn:
    """In a fresh fork of the zygote: take on the requesting process's state and run its target; never returns."""
    global _zygote, _is_grader
    code, interrupted = 1, False
    try:
        payload = read_memory_file(payload_fd)
        os.fchdir(cwd_fd)
        os.close(cwd_fd)
        os.environ.clear()
        os.environ.update(payload["env"])
        sys.argv, sys.path[:] = payload["argv"], payload["path"]
        sys.dont_write_bytecode = payload["dont_write_bytecode"]
        os.umask(payload["umask"])
        tempfile.tempdir = None  # found again from this environment
        for number, fd in enumerate(fds[:3]):
            os.dup2(fd, number)
            os.close(fd)
        sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1, errors="backslashreplace", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
        _zygote, _is_grader = Zygote((control, ready)), True
        if payload["target"] not in GRADER_TARGETS:
            raise ZygoteError(f"no such grader: {payload['target']}")
        module, _, function = payload["target"].partition(":")
        returned = getattr(importlib.import_module(module), function)(*payload["args"], *fds[3:])
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except KeyboardInterrupt:
        interrupted = True
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        if interrupted:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code)


def shared_zygote() -> Zygote:
    """The process-wide zygote, started on first use (it warms up while the caller goes on)."""
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote
