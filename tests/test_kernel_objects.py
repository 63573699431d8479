"""What a sandbox reaches outside its namespaces and limits, tried as real submissions through the CLI.

Kernel keyrings and SysV IPC objects are kept per uid or per IPC namespace, not per process,
so a sandbox could leave them for the next sandbox of the same uid; SysV shared memory and
forked children hold memory that no ``RLIMIT_AS`` counts; a notebook reports its failed
cells itself. Each is graded as root with namespaces, as root without them (Docker's
default profile) and, where it applies, as an ordinary user.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
import pytest
from conftest import A01, REFERENCE_01, run_cli, task_scores
from test_isolation import course_copy, grader, gradescope_container  # noqa: F401 - fixtures

KEYRINGS_AND_IPC = """
import ctypes, os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = 248, 250  # x86_64
L = ctypes.c_long
SEARCH, READ, SETPERM, GET_PERSISTENT = 10, 11, 5, 22
MARK = b"__MARKER__"
IPC_KEY = __IPC_KEY__


def keyrings():
    persistent = _libc.syscall(L(KEYCTL), L(GET_PERSISTENT), L(-1), L(-2))
    return [-3, -4, -5, *([persistent] if persistent > 0 else [])]  # session, user, user session


def carried():
    found = []
    for ring in keyrings():
        key = _libc.syscall(L(KEYCTL), L(SEARCH), L(ring), b"user", b"carried", L(0))
        if key > 0:
            data = ctypes.create_string_buffer(256)
            size = _libc.syscall(L(KEYCTL), L(READ), L(key), data, L(256))
            found.append(data.raw[: max(size, 0)])
    return found


FOUND = carried()  # what an earlier sandbox of this uid left
for ring in keyrings():
    key = _libc.syscall(L(ADD_KEY), b"user", b"carried", MARK, L(len(MARK)), L(ring))
    _libc.syscall(L(KEYCTL), L(SETPERM), L(key), L(0x3F3F0000))  # readable by its uid, possessed or not
STORED = MARK in carried()
for ring in keyrings():
    _libc.syscall(L(KEYCTL), L(SETPERM), L(ring), L(0x0B0B0000))  # view, read, search: no one may clear it now

_libc.shmat.restype = ctypes.c_void_p
SHM = _libc.shmget(IPC_KEY, 1 << 16, 0o1600)
if SHM >= 0:
    ctypes.memset(_libc.shmat(SHM, None, 0), 1, 1 << 16)
QUEUE = _libc.msgget(IPC_KEY, 0o1600)
SEMAPHORES = _libc.semget(IPC_KEY, 4, 0o1600)


def model(x, w, b):
    raise ValueError(f"found {FOUND!r} stored {STORED} ipc {min(SHM, QUEUE, SEMAPHORES) >= 0}")
"""


def ipc_objects_with_key(key: int) -> list[str]:
    """Rows of ``/proc/sysvipc/{shm,msg,sem}`` (this IPC namespace) whose key is ``key``."""
    rows = []
    for kind in ("shm", "msg", "sem"):
        rows += [row for row in Path("/proc/sysvipc", kind).read_text().splitlines()[1:] if row.split()[0] == str(key)]
    return rows


def model_messages(result_file: Path) -> list[str]:
    result = json.loads(result_file.read_text())
    return [test["message"] for task in result["tasks"] if task["name"] == "model" for test in task["tests"]]


def test_keyrings_and_ipc_objects_do_not_reach_the_next_grading(grader):  # noqa: F811 - the fixture
    if os.uname().machine != "x86_64":
        pytest.skip("the submission calls the keyring system calls by their x86_64 numbers")
    course, wrap, _ = grader
    marker = f"autograder-keyring-{os.getpid()}-{time.monotonic_ns()}"
    ipc_key = 0x41470000 + os.getpid() % 0xFFFF
    source = KEYRINGS_AND_IPC.replace("__MARKER__", marker).replace("__IPC_KEY__", str(ipc_key))
    submission = course / "gradient_descent.py"
    submission.write_text(textwrap.dedent(source))
    submission.chmod(0o644)
    students = course / "class"
    students.mkdir()
    for name in ("ada.py", "bo.py"):
        shutil.copy(submission, students / name)
    students.chmod(0o755)

    outputs = []
    for run in range(2):  # the first grading stores the marker; the second looks for it
        result_file = course / f"result-{run}.json"
        done = run_cli("--course", course, "grade", A01, submission, "--json", result_file, cwd=course, wrap=wrap)
        assert done.returncode == 0, done.stdout + done.stderr
        outputs += [done.stdout, result_file.read_text()]
        assert any("stored True ipc True" in message for message in model_messages(result_file))
        assert ipc_objects_with_key(ipc_key) == []
    out = course / "graded"
    done = run_cli("--course", course, "grade-all", A01, students, "--out", out, "--jobs", "1", cwd=course, wrap=wrap)
    assert done.returncode == 0, done.stdout + done.stderr
    outputs += [done.stdout, *(path.read_text(errors="replace") for path in out.rglob("*") if path.is_file())]
    assert sum("stored True" in output for output in outputs) >= 4  # two gradings, two students
    assert not any(f"found [b'{marker}" in output for output in outputs)  # none found what an earlier one stored
    assert ipc_objects_with_key(ipc_key) == []


MEMORY_HOGS = """

import ctypes, os, time


def dmodel_dw(x, w, b):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    for _ in range(24):  # 1.5 GB of SysV shared memory, 64 MB mapped at a time
        segment = libc.shmget(0, ctypes.c_size_t(64 << 20), 0o1600)
        if segment < 0:
            raise OSError(ctypes.get_errno(), "shmget")
        address = libc.shmat(segment, None, 0)
        ctypes.memset(address, 1, 64 << 20)
        libc.shmdt(ctypes.c_void_p(address))
    return x


def dmodel_db(x, w, b):
    for _ in range(6):  # each child gets the whole RLIMIT_AS anew, and stays
        if os.fork() == 0:
            hoard = []
            try:
                while True:
                    hoard.append(torch.ones(8 * 2**20))
            except (MemoryError, RuntimeError):
                time.sleep(60)
            os._exit(0)
    time.sleep(1)
    return -1.0
"""


@pytest.mark.parametrize("mode", ["namespaces", "users"])
def test_memory_no_rlimit_counts_ends_the_submission_not_the_grader(tmp_path, gradescope_container, mode):  # noqa: F811
    """In Gradescope's container (768 MB, half a CPU): shared memory and forked hogs lose their tasks;
    the grader finishes."""
    if os.geteuid() != 0:
        pytest.skip("the per-sandbox memory cgroup and the sandbox uids need root")
    hog = tmp_path / "gradient_descent.py"
    hog.write_text(REFERENCE_01.read_text() + MEMORY_HOGS)
    temporary = Path(tempfile.mkdtemp(prefix="autograder-memory-"))  # the grader's own: nothing else writes there
    temporary.chmod(0o755)
    without_namespaces = ("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin") if mode == "users" else ()
    enter = (*gradescope_container.wrap(), *without_namespaces, "env", f"TMPDIR={temporary}")
    container = gradescope_container.groups[0]  # the memory group, which every process of the grading joins
    try:
        done = run_cli("grade", A01, hog, "--json", tmp_path / "result.json", "--max-call-seconds", "5", wrap=enter)
        left = list(temporary.glob("autograder-sandbox-*"))
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    scores = task_scores(result)
    assert scores["dmodel_dw"][0] == scores["dmodel_db"][0] == 0
    assert all(scores[task][0] == scores[task][1] > 0 for task in ("model", "loss_fn", "dloss_fn"))
    for _ in range(50):  # the zygote leaves a moment after the grader; no sandbox process may stay
        if not (container / "cgroup.procs").read_text().strip():
            break
        time.sleep(0.1)
    assert (container / "cgroup.procs").read_text().strip() == ""
    assert [group.name for group in container.iterdir() if group.is_dir()] == []  # every sandbox's cgroup removed
    assert left == []


def notebook(cells: list[str]) -> bytes:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nbformat.writes(book).encode()


FORGED_FAILURES = """\
__autograder_failures__.extend([
    [10**4000, "ValueError", None],  # no such cell
    [2, "KeyError", None],  # cell 2 again
    [1, "ValueError", None],  # before cell 2, which ran first
    [3, "OSError", 5],  # a line of the grader's, not of cell 3
    [99, "ValueError", None],  # no such cell
])"""


def test_failed_cell_notes_name_only_cells_the_notebook_has(tmp_path):
    cells = [REFERENCE_01.read_text(), "1 / 0", FORGED_FAILURES, *["1 / 0"] * 25]
    submission = tmp_path / "gradient_descent.ipynb"
    submission.write_bytes(notebook(cells))
    done = run_cli("grade", A01, submission, "--json", tmp_path / "result.json")
    assert done.returncode == 0, done.stdout + done.stderr
    notes = [note for note in json.loads((tmp_path / "result.json").read_text())["notes"] if "raised" in note]
    assert notes[:2] == [
        "cell 2 raised ZeroDivisionError (line 1 of cell 2): the other cells still ran",
        "cell 3 raised OSError (cell 3): the other cells still ran",
    ]
    assert notes[2:-1] == [
        f"cell {n} raised ZeroDivisionError (line 1 of cell {n}): the other cells still ran" for n in range(4, 22)
    ]
    assert notes[-1] == "more cells raised exceptions; the other cells still ran"
    assert task_scores(json.loads((tmp_path / "result.json").read_text()))["model"] == (3, 3)
