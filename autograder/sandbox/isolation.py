"""Kernel namespaces for the sandbox: no network, a private view of the files, its own pids.

Called in the freshly forked (single-threaded) sandbox, before the submission is imported.
``enter`` unshares a new mount, network, IPC and pid namespace (and, for a grader that is not
root, a user namespace that maps only its own uid). The caller then forks: the child is the
first process of the new pid namespace, so when it dies the kernel kills everything the
submission started, and it cannot see or signal the grader. The child calls ``confine_files``:
the whole file tree becomes read-only, the given folders (the course, home, temporary folders)
are covered by small private tmpfs mounts, and only the folders Python needs and the
sandbox's working folder are mounted back, the working folder writable. Without the ``CAP_*``
it held to set this up (``drop_privileges``), the submission cannot undo any of it.

A grader that is root gives its sandbox a user namespace too, once it has switched to the
sandbox's uid (``own_user_namespace``): kernel objects kept per user, such as the user
keyrings, then belong to that namespace and vanish with it instead of waiting for the next
sandbox of the same uid. Before that, still root and with its own ``/proc`` mounted, it
shrinks SysV IPC in the new IPC namespace (``limit_ipc``), whose memory no ``RLIMIT_AS``
counts.

Python 3.11 has no ``os.unshare`` or ``mount``, so this goes through libc with ``ctypes``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWNET, CLONE_NEWIPC = 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MOUNT_ATTR_RDONLY, AT_RECURSIVE, AT_FDCWD = 0x1, 0x8000, -100
SYS_MOUNT_SETATTR = 442  # the same number on every architecture Linux added it to (5.12)
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
SYS_KEYCTL = 250 if os.uname().machine == "x86_64" else 219  # x86_64; the generic table (aarch64, riscv64)
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR, KEYCTL_READ, KEYCTL_GET_PERSISTENT = 1, 7, 11, 22
KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -2, -4, -5
IPC_RMID = 0
# SysV IPC in a sandbox's own IPC namespace: at most 1 MiB of shared memory and a few queues
IPC_LIMITS = {"shmmax": 1 << 20, "shmall": 256, "shmmni": 16, "msgmni": 16, "sem": "32 256 32 16"}
TMPFS_OPTIONS = b"size=8m,nr_inodes=1024,mode=1777"  # its pages count as the grader's memory
FOLDER_OPTIONS = b"size=64m,nr_inodes=4096,mode=1777"  # the sandbox's own folder: what it writes is memory

_libc = ctypes.CDLL(None, use_errno=True)


class IsolationError(OSError):
    """The kernel refused a step of the isolation."""


class _MountAttr(ctypes.Structure):
    _fields_ = [
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    ]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise IsolationError(errno, f"{what}: {os.strerror(errno)}")


def enter() -> None:
    """Unshare the namespaces; the next fork starts the new pid namespace.

    Root keeps the first user namespace (its mounts need root's own capabilities); an
    ordinary user gets a user namespace at once.
    """
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID
    if os.geteuid() == 0:
        _check(_libc.unshare(flags), "unshare")
    else:
        _enter_user_namespace(flags)


def own_user_namespace() -> None:
    """Enter a user namespace of one's own, mapping only one's current uid and gid.

    A change of uid made the process non-dumpable, which leaves its ``/proc/self`` files to
    root; it becomes dumpable again (by its own uid only) so that it can write its maps.
    """
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl")
    _enter_user_namespace(0)


def _enter_user_namespace(flags: int) -> None:
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def limit_ipc() -> bool:
    """Make SysV shared memory, queues and semaphores tiny in this process's (new) IPC namespace.

    Only root can, through a ``/proc`` it may write to (its own, or a host's not made
    read-only); False where it could not.
    """
    try:
        for name, value in IPC_LIMITS.items():
            Path("/proc/sys/kernel", name).write_text(f"{value}\n")
    except OSError:
        return False
    return True


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: bytes | None = None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    result = _libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), data)
    _check(result, f"mount {target}")


def _set_read_only(path: str, read_only: bool, recursive: bool) -> None:
    attr = _MountAttr(MOUNT_ATTR_RDONLY if read_only else 0, 0 if read_only else MOUNT_ATTR_RDONLY, 0, 0)
    flags = AT_RECURSIVE if recursive else 0
    result = _libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), flags, ctypes.byref(attr), ctypes.sizeof(attr))
    _check(result, f"mount_setattr {path}")


def inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies in it (both real paths)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# The folders at the top of the tree that hold the system (programs, libraries, devices, settings):
# a sandbox sees these read-only, and of every other top folder only what Python loads code from.
SYSTEM_FOLDERS = frozenset({"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "sys", "usr"})


def confine_files(hidden: list[str], keep: list[str], writable: str) -> None:
    """Make every file read-only, cover ``hidden`` folders and every top folder but the system's
    (where users, courses, classes and results live: ``/home``, ``/srv``, ``/work``, ...), bring back
    ``keep`` and ``writable``."""
    hidden = [*hidden, *_outside_the_system()]
    keep = sorted({os.path.realpath(path) for path in keep if os.path.isdir(path)})
    keep = [path for path in keep if not any(inside(path, other) and other != path for other in keep)]
    writable = os.path.realpath(writable)
    handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in [*keep, writable]}
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _set_read_only("/", True, recursive=True)
    covered: list[str] = []
    for folder in sorted({os.path.realpath(path) for path in hidden}, key=len):
        if not os.path.isdir(folder) or any(inside(folder, other) for other in [*covered, *keep]):
            continue  # already covered, or it holds Python itself
        _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, TMPFS_OPTIONS)
        covered.append(folder)
        for path in keep:
            if inside(path, folder):
                _bind(handles[path], path)
    _bind(handles[writable], writable)
    _set_read_only(writable, False, recursive=False)
    for handle in handles.values():
        os.close(handle)


def _outside_the_system() -> list[str]:
    """Every folder at the top of the tree but the system's (a link there, such as ``/lib`` to
    ``/usr/lib``, is left alone: what it leads to is the system's)."""
    tops = [os.path.join("/", name) for name in os.listdir("/") if name not in SYSTEM_FOLDERS]
    return [top for top in tops if os.path.isdir(top) and not os.path.islink(top)]


def own_folder(folder: str) -> None:
    """Put the sandbox's folder on a tmpfs of its own, holding copies of the files in it.

    What the submission writes there is bounded (64 MiB, 4096 files) and is memory charged to
    the sandbox (its cgroup, when root), not the grader's disk: it cannot fill the disk the
    grader writes results to, and it is gone with the sandbox's mount namespace.
    """
    files = {}
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.endswith(".py") and os.path.isfile(path) and not os.path.islink(path):
            with open(path, "rb") as file:
                files[name] = file.read()
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, FOLDER_OPTIONS)
    for name, data in files.items():
        descriptor = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with open(descriptor, "wb") as file:
            file.write(data)


def _bind(handle: int, path: str) -> None:
    os.makedirs(path, exist_ok=True)
    _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)


def mount_own_proc() -> bool:
    """In the new pid namespace, a ``/proc`` that lists only its processes (refused in some containers)."""
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except IsolationError:
        return False
    return True


def drop_privileges() -> None:
    """Give up every capability the user namespace granted, for good."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")
    _check(_libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")


def new_session_keyring() -> None:
    """Leave the session keyring inherited from the grader for a new, empty one of this process's.

    Where the kernel refuses (no keyrings, or a seccomp profile that forbids them), the
    sandbox cannot use keyrings either, so a refusal is not an error.
    """
    _libc.syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None)


def empty_own_keyrings() -> bool:
    """Clear the keyrings the kernel keeps for this process's uid beyond its life; True if now empty.

    Those are the user keyring, the user session keyring and the persistent keyring. A keyring
    whose owner took away its own right to change or read it counts as not empty.
    """
    persistent = _libc.syscall(SYS_KEYCTL, KEYCTL_GET_PERSISTENT, -1, KEY_SPEC_PROCESS_KEYRING)
    keyrings = [KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING, *([persistent] if persistent > 0 else [])]
    empty = True
    for keyring in keyrings:
        _libc.syscall(SYS_KEYCTL, KEYCTL_CLEAR, keyring)
        empty = empty and _libc.syscall(SYS_KEYCTL, KEYCTL_READ, keyring, None, 0) == 0  # bytes of key ids
    return empty


def remove_ipc_objects_of(uid: int) -> None:
    """Remove the SysV shared memory, message queues and semaphores ``uid`` made or owns (run as ``uid``)."""
    remove = {
        "shm": lambda number: _libc.shmctl(number, IPC_RMID, None),
        "msg": lambda number: _libc.msgctl(number, IPC_RMID, None),
        "sem": lambda number: _libc.semctl(number, 0, IPC_RMID),
    }
    for kind, remove_one in remove.items():
        with contextlib.suppress(OSError):
            header, *rows = Path("/proc/sysvipc", kind).read_text().splitlines()
            names = header.split()
            for row in rows:
                entry = dict(zip(names, row.split(), strict=False))
                if str(uid) in (entry.get("uid"), entry.get("cuid")):
                    remove_one(int(entry[names[1]]))  # the second column is the object's id


def die_with_parent(signal_number: int) -> None:
    """Have the kernel send ``signal_number`` to this process when its parent ends."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0), "prctl")


def make_undumpable() -> None:
    """Keep processes of the same user out of this one's memory (``/proc/PID/mem``, ptrace)."""
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl")
