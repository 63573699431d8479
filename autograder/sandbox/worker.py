"""The sandbox process: confines itself, imports the submission and serves calls.

It starts as a fork of the zygote (which holds torch and nothing of the grader) and becomes
the leader of a new process group. When the machine allows it (``isolation.py``), it enters
new namespaces and forks the sandbox proper, the first process of its own pid namespace,
with no network and a read-only view of the files in which the course, home and temporary
folders are hidden; it stays behind only to tell the zygote that process's id, and to kill
it should the zygote end (so a sandbox never outlives its grader). Before any of that it
joins the memory cgroup the grader made for it (as root, where cgroups are writable) and
makes itself the first choice of the kernel's OOM killer. The sandbox then applies resource
limits, drops to an unprivileged user when started as root (in a user namespace of its own
when isolated), gives up the namespace's capabilities, leaves the grader's session keyring
for a new one and answers ``call`` requests until the grader hangs up.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import resource
import signal
import socket
import sys
import sysconfig
from types import ModuleType

from autograder.sandbox import execution, isolation, protocol

PROBES_MODULE = "probes"


def main(channel_fd: int, request: dict, report_fd: int) -> None:
    """Entry point in the forked child; never returns.

    The id of the process that runs the submission is written to ``report_fd``.
    """
    channel = socket.socket(fileno=channel_fd)
    try:
        os.setsid()
        _contain_memory(request.get("cgroup"))
        # opened before the namespaces: the grader reads it where the sandbox's own folder hides it
        output = os.open(os.path.join(request["workdir"], "output.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        error = None
        if request["isolate"]:
            error = _isolate(request, report_fd, channel)
        else:
            _report(report_fd, os.getpid())
        _confine(request, output)
        module, probes, error = (None, None, error) if error else _import_submission(request)
        protocol.send(channel, {"op": "ready", "ok": error is None, "error": error})
        if module is not None:
            _serve(channel, module, probes)
    except (EOFError, OSError, protocol.ProtocolError):
        pass
    finally:
        os._exit(0)


def _isolate(request: dict, report_fd: int, channel: socket.socket) -> dict | None:
    """Enter the namespaces; only the new pid namespace's first process returns from here."""
    isolation.enter()
    pid = os.fork()
    if pid != 0:  # stays until the sandbox ends, so that its id names it while the zygote looks it up
        channel.close()
        signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
        isolation.die_with_parent(signal.SIGTERM)  # the zygote is waiting for the report, so alive now
        _report(report_fd, pid)
        os.waitpid(pid, 0)
        os._exit(0)
    os.close(report_fd)
    try:
        isolation.confine_files(request["hidden"], python_folders(request["hidden"]), request["workdir"])
        isolation.own_folder(request["workdir"])
    except isolation.IsolationError as error:
        return {"kind": "exception", "type": "IsolationError", "message": f"the sandbox could not be set up: {error}"}
    isolation.mount_own_proc()
    if os.geteuid() == 0:
        isolation.limit_ipc()  # where it cannot, the memory cgroup and the OOM score still hold
    return None


def _contain_memory(cgroup: str | None) -> None:
    """Join the sandbox's memory cgroup, if any, and be the process the OOM killer ends first.

    Done while the grader's privileges are still held: as root, the score cannot be lowered
    again by the sandbox; everything the sandbox starts inherits both.
    """
    if cgroup is not None:
        with contextlib.suppress(OSError), open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
            procs.write("0")  # this process; where the kernel refuses, the other limits still hold
    with open("/proc/self/oom_score_adj", "w") as score:
        score.write("1000")


def _report(report_fd: int, pid: int) -> None:
    os.write(report_fd, str(pid).encode())
    os.close(report_fd)


def python_folders(hidden: list[str]) -> list[str]:
    """The folders this Python and the engine load code from, less any that holds a hidden one."""
    engine = os.path.dirname(os.path.dirname(os.path.abspath(execution.__file__)))
    folders = [sys.prefix, sys.base_prefix, *sysconfig.get_paths().values(), *sys.path, engine]
    hidden = [os.path.realpath(folder) for folder in hidden]
    return [path for path in folders if path and not any(isolation.inside(h, os.path.realpath(path)) for h in hidden)]


def _confine(request: dict, output: int) -> None:
    workdir = request["workdir"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limits = request["limits"]
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, limits["output_bytes"])
    _limit(resource.RLIMIT_CPU, limits["cpu_seconds"])
    _limit(resource.RLIMIT_AS, _address_space() + limits["memory_bytes"])
    _limit(resource.RLIMIT_NOFILE, 256)
    uid, gid = request.get("uid"), request.get("gid")
    if request["isolate"] or (uid is not None and os.geteuid() == 0):  # counted for this sandbox's user only
        _limit(resource.RLIMIT_NPROC, limits["processes"])
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if request["user_namespace"]:  # so that the uid's keyrings and other per-user objects are this sandbox's own
            isolation.own_user_namespace()
    if request["isolate"]:
        isolation.drop_privileges()
    isolation.die_with_parent(signal.SIGKILL)  # after the change of uid, which clears it
    isolation.new_session_keyring()
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir)
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115


def _limit(which: int, value: int) -> None:
    """Set the soft and the hard limit, so that the submission cannot raise it again."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def _address_space() -> int:
    """Virtual memory already mapped (torch alone maps several hundred MB)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _import_submission(request: dict) -> tuple[ModuleType | None, ModuleType | None, dict | None]:
    module_name = request["module"]
    module_file = os.path.join(request["workdir"], module_name + ".py")
    # The probes are imported first: a submission that rewrites probes.py at import changes nothing.
    probes = (
        _import_file(PROBES_MODULE, os.path.join(request["workdir"], "probes.py")) if request.get("probes") else None
    )
    execution.seed_everything(0)
    try:
        module = _import_file(module_name, module_file)
    except (Exception, SystemExit) as error:
        return None, None, execution.describe_error(error, module_file)
    return module, probes, None


def _import_file(name: str, path: str) -> ModuleType:
    """Import the module at ``path`` as ``name``, with its folder kept off ``sys.path``: a file the
    submission writes there at run time (``colorsys.py``, ``helper.py``) never stands in for a module
    its code imports by name, so what the rules read is what runs."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _serve(channel: socket.socket, module: ModuleType, probes: ModuleType | None) -> None:
    while True:
        request, arrays = protocol.receive(channel)
        arguments = protocol.decode(request["arguments"], arrays)
        response, result_arrays = execution.call(
            module,
            probes,
            request["kind"],
            request["name"],
            list(arguments["args"]),
            dict(arguments["kwargs"]),
            request["seed"],
        )
        protocol.send(channel, response, result_arrays)
