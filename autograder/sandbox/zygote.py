"""The warm worker: imports torch once, then forks a fresh sandbox per request.

Started by the grader as ``python -s -P -m autograder.sandbox.zygote FD`` with a clean
environment, so its memory holds torch and this package, never hidden tests, reference
solutions or expected values. Before importing torch it tries, in a throwaway child,
whether the kernel lets sandboxes enter their namespaces (``isolation.py``), and says so
in its first message: ``{"op": "ready", "isolation": "namespaces" | "none", "reason": ...,
"user_namespace": ...}``, the last saying whether each sandbox gets a user namespace of its
own: always when isolated for an ordinary user; for root, when its sandbox may still enter
one once it has switched to its unprivileged uid (Ubuntu's AppArmor restriction on
unprivileged user namespaces refuses that).

Requests on the control socket are JSON. ``{"op": "preload", "modules": [...]}`` imports
modules an assignment's sandboxes will need (its manifest's ``sandbox_preload``, e.g.
``torch._dynamo``, which ``torch.optim`` imports on first use at a cost of seconds), once per
zygote, as soon as the grader knows the assignment. A sandbox request carries one end of a
fresh socket pair; the reply is ``{"pid": ...}`` with a pidfd of the process that runs the
submission (the first of its pid namespace), with which the grader kills it without racing
the reuse of its id.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import socket
import sys

from autograder.sandbox import isolation, worker


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, reap)
    # The mount points a sandbox makes must be enterable by its user whatever the grader's umask
    # (a course workflow grades under `umask 077`); the sandbox's own files stay in its folder.
    os.umask(0o022)
    isolated, reason = probe_isolation()
    import numpy  # noqa: F401 - imported once here so that every sandbox starts warm
    import torch

    torch.set_num_threads(1)
    ready = {
        "op": "ready",
        "isolation": "namespaces" if isolated else "none",
        "reason": reason,
        "user_namespace": isolated and (os.geteuid() != 0 or probe_own_user_namespace()),
    }
    control.send(json.dumps(ready).encode())
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 65536, 1)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        if request.get("op") == "preload":
            preload(request["modules"])
        elif len(fds) == 1:
            preload(request.get("preload", []))  # already done when the grader sent them first
            pid, pidfd = fork_sandbox(fds[0], request, control)
            socket.send_fds(control, [json.dumps({"pid": pid}).encode()], [] if pidfd is None else [pidfd])
            if pidfd is not None:
                os.close(pidfd)
        else:
            return


def reap(*_: object) -> None:
    """Collect the sandboxes that ended: waited for, not ignored, so that their CPU time counts as
    this process's children's (``getrusage``), and so as the grading's to whoever waits for the zygote."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def fork_sandbox(channel_fd: int, request: dict, control: socket.socket) -> tuple[int, int | None]:
    """Fork a sandbox; returns its first process's id and a pidfd of the one that runs the submission."""
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        control.close()
        os.close(report_read)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        worker.main(channel_fd, request, report_write)
    os.close(channel_fd)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        reported = report.read()
    try:
        return pid, os.pidfd_open(int(reported or pid))
    except (OSError, ValueError):  # it is already gone
        return pid, None


def probe_isolation() -> tuple[bool, str]:
    """Whether a sandbox can enter its namespaces here, and if not the kernel's reason."""
    report_read, report_write = os.pipe()
    if os.fork() == 0:
        os.close(report_read)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            isolation.enter()
            if os.fork() == 0:
                hidden = 1
                try:
                    isolation.confine_files(["/tmp"], [sys.prefix], "/tmp")
                    if os.geteuid() != 0:
                        isolation.drop_privileges()
                    hidden = 0
                finally:
                    os._exit(hidden)
            _, status = os.waitpid(-1, 0)
            os.write(report_write, b"" if status == 0 else b"the sandbox could not hide files")
        except BaseException as error:  # the child must never return into the zygote's loop
            os.write(report_write, str(error).encode() or type(error).__name__.encode())
        finally:
            os._exit(0)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        reason = report.read().decode(errors="replace")
    return reason == "", reason


def probe_own_user_namespace() -> bool:
    """Whether a root grader's sandbox, once an unprivileged uid, can enter a user namespace here."""
    report_read, report_write = os.pipe()
    if os.fork() == 0:
        os.close(report_read)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            isolation.own_user_namespace()
            os.write(report_write, b"entered")
        finally:
            os._exit(0)
    os.close(report_write)
    with os.fdopen(report_read, "rb") as report:
        return report.read() == b"entered"


NOBODY = 65534


def preload(modules: list[str]) -> None:
    """Import what an assignment's sandboxes will need (named in its manifest) once, here."""
    for name in modules:
        if name not in sys.modules:
            with contextlib.suppress(Exception):  # the sandbox meets it again, where it is reported
                importlib.import_module(name)


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the grader left before needing us
        serve(socket.socket(fileno=int(sys.argv[1])))
