"""The grader's side of the sandbox: start one per submission, call into it, kill it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import socket
import sysconfig
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.sandbox import protocol
from autograder.sandbox.launcher import shared_zygote

SANDBOX_UIDS_VARIABLE = "AUTOGRADER_SANDBOX_UIDS"
DEFAULT_SANDBOX_UIDS = "62000-62999"


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Times are wall-clock seconds."""

    import_seconds: float = 30.0
    memory_bytes: int = 1 << 30
    output_bytes: int = 1 << 20
    cpu_seconds: int = 600
    processes: int = 64


class SandboxSetupError(RuntimeError):
    """The machine is not set up so that sandboxes can run."""


class SubmissionError(Exception):
    """A call into the submission did not return a value.

    ``kind`` is one of ``exception``, ``not_implemented``, ``exit``, ``missing``,
    ``timeout``, ``crash``, ``import`` or ``invalid``.
    """

    def __init__(
        self, kind: str, name: str, type_name: str = "", message: str = "", line: int | None = None, function: str = ""
    ):
        super().__init__(f"{name}: {kind} {type_name} {message}".strip())
        self.kind, self.name, self.type_name, self.message, self.line = kind, name, type_name, message, line
        self.function = function  # the submission's function or class the error happened in

    @classmethod
    def from_info(cls, name: str, info: dict, kind: str | None = None) -> SubmissionError:
        line = info.get("line")
        return cls(
            kind or str(info.get("kind", "exception")),
            name,
            str(info.get("type", ""))[:100],
            str(info.get("message", ""))[:2000],
            line if type(line) is int else None,
            str(info.get("function", ""))[:100],
        )


def read_response(name: str, message: dict, arrays: list[np.ndarray]) -> dict:
    """Validate a call's response; returns ``{"value", "args", "kwargs"}`` or raises.

    A malformed response is described without quoting anything from it.
    """
    if message.get("ok") is not True:
        error = message.get("error")
        raise SubmissionError.from_info(name, error if type(error) is dict else {})
    try:
        result = protocol.decode(message.get("result"), arrays)
    except protocol.ProtocolError as error:
        raise SubmissionError("invalid", name, message=str(error)) from None
    if type(result) is not dict or set(result) != {"value", "args", "kwargs"}:
        raise SubmissionError("invalid", name, message="a malformed result")
    return result


_account: tuple[int, int] | None = None


def sandbox_account() -> tuple[int, int] | None:
    """The unprivileged (uid, gid) this grader's sandboxes run as, when it runs as root.

    Each grading process takes a uid of its own from a range of unused ones (held with a
    lock file), so that killing every process of that uid after a sandbox ends cannot
    touch the sandboxes of another grader running beside it.
    """
    global _account
    if os.geteuid() != 0:
        return None
    if _account is None:
        first, _, last = os.environ.get(SANDBOX_UIDS_VARIABLE, DEFAULT_SANDBOX_UIDS).partition("-")
        for uid in range(int(first), int(last or first) + 1):
            if _unused(uid) and _lock(uid):
                _account = (uid, uid)
                break
        else:
            raise SandboxSetupError(f"no free sandbox uid in {first}-{last} (set {SANDBOX_UIDS_VARIABLE})")
        check_sandbox_can_run_python(_account)
    return _account


def _unused(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return True
    return False


_locks: list = []


def _lock(uid: int) -> bool:
    handle = open(Path(tempfile.gettempdir()) / f"autograder-sandbox-uid-{uid}.lock", "a")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _locks.append(handle)  # held for the life of this process
    return True


class Sandbox:
    """One submission's sandbox process, with the submission imported and ready."""

    def __init__(
        self, module_file: Path, probes_file: Path | None, limits: Limits, preload: tuple[str, ...] = ()
    ) -> None:
        self.module_name = module_file.stem
        self.preload = preload
        self.limits = limits
        self.account = sandbox_account()
        self.workdir = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        shutil.copy(module_file, self.workdir / module_file.name)
        if probes_file is not None:
            shutil.copy(probes_file, self.workdir / "probes.py")
        if self.account is not None:
            for path in [self.workdir, *self.workdir.iterdir()]:
                os.chown(path, *self.account)
        self.pid: int | None = None
        self._channel: socket.socket | None = None
        self.import_error: dict | None = None
        self._start(probes_file is not None)

    def _start(self, with_probes: bool) -> None:
        self._channel, child_end = socket.socketpair()
        request = {
            "workdir": str(self.workdir),
            "module": self.module_name,
            "probes": with_probes,
            "preload": list(self.preload),
            "limits": asdict(self.limits),
            "uid": self.account[0] if self.account else None,
            "gid": self.account[1] if self.account else None,
        }
        try:
            self.pid = shared_zygote().fork(request, child_end)
        finally:
            child_end.close()
        message, _ = self._exchange(None, self.limits.import_seconds, "import")
        if not message.get("ok"):
            self.import_error = message.get("error") if isinstance(message.get("error"), dict) else {}

    def call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float) -> dict:
        """Run ``name`` in the sandbox; returns ``{"value", "args", "kwargs"}`` as plain data.

        Raises :class:`SubmissionError` for anything but a returned value.
        """
        if self.import_error is not None:
            raise SubmissionError.from_info(name, self.import_error, kind="import")
        if not self.alive:
            raise SubmissionError("crash", name)
        tree, arrays = protocol.encode({"args": list(args), "kwargs": dict(kwargs)})
        request = {"kind": kind, "name": name, "seed": seed, "arguments": tree}
        message, arrays = self._exchange((request, arrays), timeout, name)
        try:
            return read_response(name, message, arrays)
        except SubmissionError as error:
            if error.kind == "invalid":  # after a malformed answer, nothing more is read from this sandbox
                self.kill()
            raise

    def _exchange(self, outgoing: tuple[dict, list[np.ndarray]] | None, timeout: float, name: str) -> tuple[dict, Any]:
        """Send a request (if any) and wait for the reply, killing the sandbox at the deadline."""
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            self._terminate()

        watchdog = threading.Timer(timeout, expire)
        watchdog.start()
        try:
            if outgoing is not None:
                protocol.send(self._channel, *outgoing)
            return protocol.receive(self._channel)
        except (EOFError, OSError, protocol.ProtocolError) as error:
            self.kill()
            if expired.is_set():
                raise SubmissionError("timeout", name, message=f"{timeout:g} s") from None
            if isinstance(error, protocol.ProtocolError):
                raise SubmissionError("invalid", name, message=str(error)) from None
            raise SubmissionError("crash", name) from None
        finally:
            watchdog.cancel()

    @property
    def alive(self) -> bool:
        return self.pid is not None

    def kill(self) -> None:
        """Kill the sandbox and hang up."""
        self._terminate()
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def _terminate(self) -> None:
        """Kill the sandbox's whole process group (and, under root, all its user's processes)."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.pid = None
            if self.account is not None:
                _kill_all_processes_of(self.account)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def output(self, limit: int = 4000) -> str:
        """The start of what the submission printed."""
        try:
            with open(self.workdir / "output.log", "rb") as log:
                return log.read(limit).decode(errors="replace")
        except OSError:
            return ""


def _kill_all_processes_of(account: tuple[int, int]) -> None:
    """Processes that escaped the group (a new session) die with everything of that user."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(account[1])
            os.setuid(account[0])
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _python_folders() -> list[Path]:
    """Every folder the sandbox user must be able to enter to run this Python."""
    folders = []
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = Path(sysconfig.get_paths()[key]).resolve()
        folders += [folder for folder in [*reversed(path.parents), path] if folder not in folders]
    return folders


def _enterable(folder: Path, account: tuple[int, int]) -> bool:
    mode = folder.stat()
    return bool(
        mode.st_uid == account[0] or mode.st_mode & 0o001 or (mode.st_gid == account[1] and mode.st_mode & 0o010)
    )


def check_sandbox_can_run_python(account: tuple[int, int]) -> None:
    """Fail clearly when the sandbox user could not read the interpreter's files."""
    for folder in _python_folders():
        if not _enterable(folder, account):
            raise SandboxSetupError(
                f"the sandbox user (uid {account[0]}) cannot enter {folder}, which holds Python's files: "
                "run `autograder sandbox-setup` (as root) or install Python where other users can read it"
            )


def open_python_to_sandbox() -> list[Path]:
    """Let other users enter (not list) the folders on the way to Python's files; returns those changed."""
    changed = []
    for folder in _python_folders():
        mode = folder.stat().st_mode
        if not mode & 0o001:
            folder.chmod(mode | 0o001)
            changed.append(folder)
    return changed
