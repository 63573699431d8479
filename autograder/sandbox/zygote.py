"""The warm process: imports torch once, then forks a fresh sandbox, or a grader, per request.

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
zygote, as soon as the grader knows the assignment. A sandbox request,
``{"op": "sandbox", "preload": [...]}``, carries one end of a fresh socket pair and a memory file
holding the sandbox's settings, which only the sandbox reads; the reply is ``{"pid": ...}``
with a pidfd of the process that runs the submission (the first of its pid namespace), with
which the grader kills it without racing the reuse of its id.

``{"op": "grader", "preload": [...]}`` forks a grader (``launcher.become_grader``) with a
control connection of its own, on which it asks for its sandboxes; it comes with a memory
file holding what the grader is to run and in what environment (read by the grader alone),
a descriptor of the working folder, a pipe on which the zygote writes the grader's wait
status when it ends, and the grader's standard streams and other descriptors. The reply is
``{"pid": ...}`` with a pidfd. A grader outlives neither the connection that asked for it
(it is sent SIGTERM when that hangs up) nor its own; the zygote ends when every connection
has hung up. Every descriptor the zygote holds is closed in each process it forks.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import socket
import sys

from autograder.sandbox import isolation, launcher, worker

connections: list[socket.socket] = []  # every control connection: the first process's, and each grader's
graders: dict[int, tuple[int, socket.socket]] = {}  # pid: (the pipe its status goes to, who asked for it)


def serve(control: socket.socket) -> None:
    connections.append(control)
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
    while connections:
        for connection in select.select(connections, [], [])[0]:
            if not answer(connection, ready):
                hang_up(connection)


def answer(connection: socket.socket, ready: dict) -> bool:
    """Carry out one request; False when the connection has hung up (or sent what is not a request)."""
    try:
        data, fds, _, _ = socket.recv_fds(connection, 65536, 16)
        request = json.loads(data) if data else None
    except (OSError, ValueError):
        request = None
    if type(request) is not dict:
        for fd in fds:
            os.close(fd)
        return False
    if request.get("op") == "preload":
        preload(request["modules"])
    elif request.get("op") == "grader" and len(fds) >= 6:
        preload(request.get("preload", []))
        pid, pidfd = fork_grader(fds, ready, connection)
        socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [pidfd])
        os.close(pidfd)
    elif request.get("op") == "sandbox" and len(fds) == 2:
        preload(request.get("preload", []))  # already done when the grader sent them first
        pid, pidfd = fork_sandbox(*fds)
        socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [] if pidfd is None else [pidfd])
        if pidfd is not None:
            os.close(pidfd)
    else:
        for fd in fds:
            os.close(fd)
        return False
    return True


def hang_up(connection: socket.socket) -> None:
    """Forget a connection, and end the graders it asked for."""
    connections.remove(connection)
    connection.close()
    for pid, (_, asker) in list(graders.items()):
        if asker is connection:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def close_held() -> None:
    """In a child: close every descriptor the zygote holds, so that no sandbox or grader can speak for it."""
    for connection in connections:
        connection.close()
    for status, _ in graders.values():
        with contextlib.suppress(OSError):
            os.close(status)


def fork_grader(fds: list[int], ready: dict, asker: socket.socket) -> tuple[int, int]:
    """Fork a grader; returns its id and a pidfd. ``fds``: payload, working folder, status pipe, streams, others."""
    payload, here, status, streams = fds[0], fds[1], fds[2], fds[3:]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})  # reaped only once it is known as a grader
    pid = os.fork()
    if pid == 0:
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            close_held()
            ours.close()
            os.close(status)
            for number, handler in ((signal.SIGCHLD, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler)):
                signal.signal(number, handler)
            launcher.become_grader(payload, here, streams, theirs, ready)
        finally:
            os._exit(1)
    for fd in (payload, here, *streams):
        os.close(fd)
    theirs.close()
    graders[pid] = (status, asker)
    connections.append(ours)
    pidfd = os.pidfd_open(pid)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
    return pid, pidfd


def reap(*_: object) -> None:
    """Collect the sandboxes and graders that ended: waited for, not ignored, so that their CPU time
    counts as this process's children's (``getrusage``), and so as the grading's to whoever waits for
    the zygote. A grader's wait status goes to its pipe."""
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                return
            if pid in graders:
                pipe, _ = graders.pop(pid)
                with contextlib.suppress(OSError):
                    os.write(pipe, str(status).encode())
                os.close(pipe)


def fork_sandbox(channel_fd: int, request_fd: int) -> tuple[int, int | None]:
    """Fork a sandbox; returns its first process's id and a pidfd of the one that runs the submission.

    The sandbox reads its request (``request_fd``, a memory file) after the fork: its folders name
    the class and the student, and the zygote's memory is every later sandbox's."""
    report_read, report_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        close_held()
        os.close(report_read)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        worker.main(channel_fd, launcher.read_memory_file(request_fd), report_write)
    os.close(channel_fd)
    os.close(request_fd)
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
    os._exit(0)  # nothing to tear down: leaving at once frees whoever reads the streams it holds
