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

Python 3.11 has no ``os.unshare`` or ``mount``, so this goes through libc with ``ctypes``.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
CLONE_NEWNET, CLONE_NEWIPC = 0x40000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MOUNT_ATTR_RDONLY, AT_RECURSIVE, AT_FDCWD = 0x1, 0x8000, -100
SYS_MOUNT_SETATTR = 442  # the same number on every architecture Linux added it to (5.12)
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
TMPFS_OPTIONS = b"size=8m,nr_inodes=1024,mode=1777"  # its pages count as the grader's memory

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
    """Unshare the namespaces; the next fork starts the new pid namespace."""
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID
    if uid != 0:
        flags |= CLONE_NEWUSER
    _check(_libc.unshare(flags), "unshare")
    if uid != 0:
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


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


def confine_files(hidden: list[str], keep: list[str], writable: str) -> None:
    """Make every file read-only, cover ``hidden`` folders, bring back ``keep`` and ``writable``."""
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


def make_undumpable() -> None:
    """Keep processes of the same user out of this one's memory (``/proc/PID/mem``, ptrace)."""
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl")
