"""The grader's side of the sandbox: start one per submission, call into it, kill it."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import itertools
import os
import pwd
import shutil
import signal
import socket
import stat
import sysconfig
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.sandbox import isolation, protocol
from autograder.sandbox.launcher import shared_zygote

SANDBOX_UIDS_VARIABLE = "AUTOGRADER_SANDBOX_UIDS"
DEFAULT_SANDBOX_UIDS = "62000-62999"


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Times are wall-clock seconds."""

    import_seconds: float = 30.0
    budget_seconds: float = 600.0
    # Calls that do not finish: a function that timed out once gets ``retry_seconds`` a call after
    # that, and once ``timeout_budget_seconds`` have gone in timed-out calls, a further time-out
    # is the last call made (see ``SandboxRunner``).
    retry_seconds: float = 1.0
    timeout_budget_seconds: float = 30.0
    memory_bytes: int = 1 << 30
    output_bytes: int = 1 << 20
    cpu_seconds: int = 600
    processes: int = 16


class SandboxSetupError(RuntimeError):
    """The machine is not set up so that sandboxes can run."""


SANDBOX_KINDS = frozenset({"exception", "not_implemented", "exit", "missing"})  # what a sandbox may report


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
        """The error a sandbox reported; only the grader decides a timeout, a crash or an invalid answer."""
        line = info.get("line")
        reported = str(info.get("kind", "exception"))
        return cls(
            kind or (reported if reported in SANDBOX_KINDS else "exception"),
            name,
            str(info.get("type", ""))[:100],
            str(info.get("message", ""))[:2000],
            line if type(line) is int else None,
            str(info.get("function", ""))[:100],
        )


def read_response(name: str, message: dict, arrays: list[np.ndarray], args: int, kwargs: set[str]) -> dict:
    """Validate a call's response; returns ``{"value", "args", "kwargs"}`` or raises.

    The arguments come back as many as were sent (``args`` positional ones, the ``kwargs`` names),
    so a response cannot make the grader keep more than the call's answer and its own arguments.
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
    if type(result["args"]) is not list or len(result["args"]) != args or set(result["kwargs"]) != kwargs:
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
            if _unused(uid) and not (LOCK_FOLDER / f"uid-{uid}.retired").exists() and _lock(uid):
                _account = (uid, uid)
                break
        else:
            raise SandboxSetupError(f"no free sandbox uid in {first}-{last} (set {SANDBOX_UIDS_VARIABLE})")
        check_sandbox_can_run_python(_account)
    return _account


def retire_sandbox_account() -> None:
    """Never use this grader's sandbox uid again (a submission made its keyrings impossible to empty).

    The mark is kept beside the uid's lock, so later graders skip it too; the next sandbox of
    this grader takes a fresh uid.
    """
    global _account
    if _account is not None:
        (LOCK_FOLDER / f"uid-{_account[0]}.retired").touch(mode=0o600)
        _account = None


def _unused(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return True
    return False


_locks: list[int] = []
LOCK_FOLDER = Path("/run/autograder-sandbox")


def _lock(uid: int) -> bool:
    """Hold the lock of ``uid`` for the life of this process, in a folder only root can enter."""
    try:
        with contextlib.suppress(FileExistsError):
            LOCK_FOLDER.mkdir(mode=0o700)
        folder = LOCK_FOLDER.lstat()
    except OSError as error:
        raise SandboxSetupError(f"cannot make {LOCK_FOLDER} for the sandbox uids' locks: {error.strerror}") from None
    if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != 0 or folder.st_mode & 0o077:
        raise SandboxSetupError(f"{LOCK_FOLDER} must be a folder that only root can enter")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    handle = os.open(LOCK_FOLDER / f"uid-{uid}.lock", flags, 0o600)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise SandboxSetupError(f"{LOCK_FOLDER} holds something that is not a lock file")
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return False
    _locks.append(handle)
    return True


TEMPORARY_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
PRIVATE_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run")  # /run: the sockets of the user's session too


def isolation_mode() -> str:
    """How sandboxes are kept apart from the grader on this machine.

    ``namespaces`` (own user, mount, pid, network namespaces; plus a user of their own when
    the grader is root), ``users`` (root without namespaces: only the separate user) or
    ``none`` (an ordinary user whose kernel refuses namespaces: nothing separates them).
    """
    if shared_zygote().isolation()[0] == "namespaces":
        return "namespaces"
    return "users" if os.geteuid() == 0 else "none"


def memory_allowance(requested: int) -> int:
    """What one sandbox may allocate: ``requested``, capped by the memory free for this grader.

    Free memory is the least of the kernel's MemAvailable and the room left below the limit
    of every memory cgroup the grader is in (a 768 MB container counts, not the host's RAM),
    less a reserve for the grader itself, so that a hungry submission meets its own limit
    (a MemoryError in the sandbox) before the container's OOM killer.
    """
    free = min([_mem_available(), *_cgroup_room()])
    return max(MIN_SANDBOX_BYTES, min(requested, free - GRADER_RESERVE_BYTES))


GRADER_RESERVE_BYTES = 160 << 20
MIN_SANDBOX_BYTES = 64 << 20


def _mem_available() -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 1 << 62


def _cgroup_room() -> list[int]:
    """Limit less usage (less reclaimable page cache) of this process's memory cgroup and its ancestors."""
    rooms = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                base, files = Path("/sys/fs/cgroup"), ("memory.max", "memory.current", "inactive_file")
            elif "memory" in controllers.split(","):
                base = Path("/sys/fs/cgroup/memory")
                files = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
            else:
                continue
            folder = base / path.lstrip("/")
            for group in [folder, *folder.parents]:
                if group == base.parent:
                    break
                with contextlib.suppress(OSError, ValueError):
                    limit = (group / files[0]).read_text().strip()
                    if limit != "max":
                        rooms.append(int(limit) - int((group / files[1]).read_text()) + _stat(group, files[2]))
    return rooms


def _stat(group: Path, key: str) -> int:
    for line in (group / "memory.stat").read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


_cgroup_names = itertools.count()


def sandbox_cgroup(limit: int) -> Path | None:
    """A new memory cgroup below the grader's own, limited to ``limit`` bytes, for one sandbox.

    Only root can make one, where the memory controller is writable (cgroup v1, or v2 with the
    controller delegated to the grader's cgroup); None otherwise. Everything the sandbox
    starts is counted in it, so forked children and shared memory cannot together take the
    container's memory.
    """
    if os.geteuid() != 0:
        return None
    _remove_dead_cgroups()
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                parent, limit_file = Path("/sys/fs/cgroup/memory", path.lstrip("/")), "memory.limit_in_bytes"
            elif controllers == "":
                parent, limit_file = Path("/sys/fs/cgroup", path.lstrip("/")), "memory.max"
            else:
                continue
            group = parent / f"autograder-sandbox-{os.getpid()}-{next(_cgroup_names)}"
            try:
                group.mkdir()
                (group / limit_file).write_text(str(limit))
                return group
            except OSError:
                remove_cgroup(group)
    return None


_dead_cgroups: list[Path] = []  # of sandboxes killed, whose processes the kernel is still ending


def release_cgroup(group: Path) -> None:
    """Remove a killed sandbox's cgroup now if it is empty, else soon: at the next sandbox's start
    or at exit, so that no grading waits for the kernel to end the processes in it."""
    try:
        group.rmdir()
    except FileNotFoundError:
        pass
    except OSError:
        if not _dead_cgroups:
            atexit.register(_remove_dead_cgroups, True)
        _dead_cgroups.append(group)


def _remove_dead_cgroups(wait: bool = False) -> None:
    for group in list(_dead_cgroups):
        if wait:
            remove_cgroup(group)
        else:
            with contextlib.suppress(OSError):
                group.rmdir()
        if wait or not group.exists():
            _dead_cgroups.remove(group)


def remove_cgroup(group: Path) -> None:
    """Remove a sandbox's cgroup once the processes in it have died (a millisecond after a kill; seconds
    under load): retried at growing intervals, for five seconds at most."""
    pause, waited = 0.0005, 0.0
    while True:
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if waited > 5:
                return
            time.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, 0.05)


def _remove_files_of(uid: int) -> None:
    """Remove everything ``uid`` left in the shared temporary folders (when no namespace hid them).

    Only folders anyone may write to can hold what it made, besides its own folders (removed whole).
    """
    for top in TEMPORARY_FOLDERS:
        for folder, subfolders, files in os.walk(top):
            for name in [*files, *subfolders]:
                with contextlib.suppress(OSError):
                    path = os.path.join(folder, name)
                    info = os.lstat(path)
                    if info.st_uid == uid and stat.S_ISDIR(info.st_mode):
                        shutil.rmtree(path)
                    elif info.st_uid == uid:
                        os.unlink(path)
            subfolders[:] = [name for name in subfolders if _open_to_all(os.path.join(folder, name))]


def _open_to_all(folder: str) -> bool:
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and bool(info.st_mode & 0o002)


def remove_tree(folder: Path) -> None:
    """Remove a sandbox's folder, first opening to its owner every folder the submission closed.

    Only an ordinary user needs that (root passes any permission); everything the sandbox
    started is dead by then, and a link is never followed (checked with ``lstat``).
    """
    if os.geteuid() != 0:
        for root, folders, _ in os.walk(folder):
            for name in folders:
                path = os.path.join(root, name)
                with contextlib.suppress(OSError):
                    if stat.S_ISDIR(os.lstat(path).st_mode):
                        os.chmod(path, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


class Sandbox:
    """One submission's sandbox process, with the submission imported and ready.

    ``hidden`` names folders (the course) that the sandbox must not see, besides home and
    the temporary folders, which it never sees when namespaces are available.
    """

    def __init__(
        self,
        module_file: Path,
        probes_file: Path | None,
        limits: Limits,
        preload: tuple[str, ...] = (),
        hidden: tuple[Path, ...] = (),
    ) -> None:
        self.module_name = module_file.stem
        self.preload = preload
        self.limits = limits
        self.account = sandbox_account()
        self.isolation = isolation_mode()
        self.own_user_namespace = self.isolation == "namespaces" and shared_zygote().user_namespaces()
        self.cgroup: Path | None = None
        self.hidden = [str(Path.home()), tempfile.gettempdir(), *PRIVATE_FOLDERS, *map(str, hidden)]
        self.workdir = Path(tempfile.mkdtemp(prefix="autograder-sandbox-"))
        shutil.copy(module_file, self.workdir / module_file.name)
        if probes_file is not None:
            shutil.copy(probes_file, self.workdir / "probes.py")
        if self.account is not None:
            for path in [self.workdir, *self.workdir.iterdir()]:
                os.chown(path, *self.account)
        self.pid: int | None = None
        self._pidfd: int | None = None
        self._channel: socket.socket | None = None
        self.import_error: dict | None = None
        try:
            self._start(probes_file is not None)
        except BaseException:  # an import that exits or hangs must not leave its folder behind
            self.close()
            raise

    def _start(self, with_probes: bool) -> None:
        self._channel, child_end = socket.socketpair()
        limits = asdict(self.limits)
        limits["memory_bytes"] = memory_allowance(self.limits.memory_bytes)
        self.cgroup = sandbox_cgroup(limits["memory_bytes"])
        request = {
            "workdir": str(self.workdir),
            "module": self.module_name,
            "probes": with_probes,
            "preload": list(self.preload),
            "limits": limits,
            "uid": self.account[0] if self.account else None,
            "gid": self.account[1] if self.account else None,
            "isolate": self.isolation == "namespaces",
            "user_namespace": self.own_user_namespace,
            "cgroup": None if self.cgroup is None else str(self.cgroup),
            "hidden": self.hidden,
        }
        try:
            self.pid, self._pidfd = shared_zygote().fork(request, child_end, self.preload)
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
            return read_response(name, message, arrays, len(args), set(kwargs))
        except SubmissionError as error:
            if error.kind == "invalid":  # after a malformed answer, nothing more is read from this sandbox
                self.kill()
            raise

    def _exchange(self, outgoing: tuple[dict, list[np.ndarray]] | None, timeout: float, name: str) -> tuple[dict, Any]:
        """Send a request (if any) and wait for the reply, killing the sandbox at the deadline.

        The deadline bounds every read and write on the channel (no watchdog thread per call).
        """
        deadline = time.monotonic() + timeout
        try:
            if outgoing is not None:
                protocol.send(self._channel, *outgoing, deadline=deadline)
            return protocol.receive(self._channel, deadline=deadline)
        except TimeoutError:
            self.kill()
            raise SubmissionError("timeout", name, message=f"{timeout:g} s") from None
        except (EOFError, OSError, protocol.ProtocolError) as error:
            self.kill()
            if isinstance(error, protocol.ProtocolError):
                raise SubmissionError("invalid", name, message=str(error)) from None
            raise SubmissionError("crash", name) from None

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
        """Kill the sandbox: its pid namespace (so everything in it) and its process group;
        without namespaces, under root, all its user's processes too."""
        if self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            os.close(self._pidfd)
            self._pidfd = None
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            self.pid = None
            if self.account is not None and self.isolation != "namespaces":  # else none left its pid namespace
                _clean_up_after(self.account, processes=True, keyrings=False)

    def close(self) -> None:
        self.kill()
        remove_tree(self.workdir)
        if self.cgroup is not None:
            release_cgroup(self.cgroup)
            self.cgroup = None
        if self.account is not None:
            if self.isolation != "namespaces":
                _remove_files_of(self.account[0])
            if not self.own_user_namespace and not _clean_up_after(self.account, processes=False, keyrings=True):
                retire_sandbox_account()

    def output(self, limit: int = 4000) -> str:
        """The start of what the submission printed (never what a link it left there points to)."""
        try:
            handle = os.open(self.workdir / "output.log", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return ""
        with open(handle, "rb") as log:
            return log.read(limit).decode(errors="replace") if stat.S_ISREG(os.fstat(handle).st_mode) else ""


def _clean_up_after(account: tuple[int, int], processes: bool, keyrings: bool) -> bool:
    """As the sandbox's user: what it may have left outside namespaces; False if its keyrings stay full.

    ``processes``: kill every process of the user (those that escaped the process group in a
    new session) and remove the SysV shared memory, queues and semaphores it made.
    ``keyrings``: empty the keyrings the kernel keeps per user.
    """
    pid = os.fork()
    if pid == 0:
        clean = True
        try:
            os.setgroups([])
            os.setgid(account[1])
            os.setuid(account[0])
            if processes:
                os.kill(-1, signal.SIGKILL)
                isolation.remove_ipc_objects_of(account[0])
            clean = not keyrings or isolation.empty_own_keyrings()
        finally:
            os._exit(0 if clean else 1)
    _, status = os.waitpid(pid, 0)
    return status == 0


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
