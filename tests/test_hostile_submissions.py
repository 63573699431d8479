"""Submissions that try to cheat, crash or hang gain nothing and never stop the grader."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest
from conftest import A01, MEASURED, REFERENCE_01, ROOT, grade_json, messages, run_cli, task_scores, with_changes

ZEROS = """
def model(x, w, b):
    return torch.zeros_like(x)

def loss_fn(y_hat, y):
    return torch.tensor(0.0)

def dloss_fn(y_hat, y):
    return torch.zeros_like(y_hat)

def dmodel_dw(x, w, b):
    return torch.zeros_like(x)

def dmodel_db(x, w, b):
    return 0.0

def grad_fn(x, y, y_hat, w, b):
    return torch.zeros(2)

def training_loop(n_epochs, learning_rate, params, x, y):
    return params, [0.0] * n_epochs
"""


def write(tmp_path, text):
    path = tmp_path / "gradient_descent.py"
    path.write_text("import torch\n" + textwrap.dedent(text))
    return path


def test_patching_torch_and_the_engine_at_import_earns_nothing(tmp_path):
    cheat = write(
        tmp_path,
        """
        import autograder.testing.checks as checks
        import autograder.testing.handles as handles
        torch.allclose = lambda *a, **k: True
        torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)
        torch.equal = lambda *a: True
        torch.Tensor.__eq__ = lambda self, other: True
        checks.expect_close = checks.expect_tensor = checks.expect_floats = lambda *a, **k: None
        handles.changed = lambda *a: False
        """
        + ZEROS,
    )
    result = grade_json(cheat, tmp_path)
    assert result["score"] == 0


def test_tensor_subclass_that_claims_equality_earns_nothing(tmp_path):
    cheat = write(
        tmp_path,
        """
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            def allclose(self, *a, **k):
                return True
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                return super().__torch_function__(func, types, args, kwargs or {})
        """
        + ZEROS.replace("torch.zeros_like(x)", "torch.zeros_like(x).as_subclass(Liar)"),
    )
    result = grade_json(cheat, tmp_path)
    assert task_scores(result)["model"][0] == 0 and task_scores(result)["dmodel_dw"][0] == 0


def test_exit_at_import_earns_nothing_says_why_and_leaves_nothing(tmp_path):
    temp = Path(tempfile.mkdtemp(prefix="autograder-test-temp-", dir="/tmp"))
    temp.chmod(0o755)
    try:
        out = tmp_path / "result.json"
        submission = write(tmp_path, "import os\nos._exit(3)\n")
        done = run_cli("grade", A01, submission, "--json", out, wrap=("env", f"TMPDIR={temp}"))
        assert done.returncode == 0, done.stdout + done.stderr
        result = json.loads(out.read_text())
        assert result["score"] == 0
        assert any("ended the process" in m or "exit" in m for m in messages(result, "model"))
        assert list(temp.iterdir()) == []  # no sandbox folder (with the student's source) is left behind
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def test_exit_and_hard_exit_in_calls_fail_only_those_tasks(tmp_path, reference_result):
    cheat = with_changes(
        tmp_path,
        "import os, sys\n\ndef loss_fn(y_hat, y):\n    sys.exit(0)\n\ndef dloss_fn(y_hat, y):\n    os._exit(0)\n",
    )
    scores, full = task_scores(grade_json(cheat, tmp_path)), task_scores(reference_result)
    assert scores["loss_fn"][0] == 0 and scores["dloss_fn"][0] == 0
    assert scores["grad_fn"][0] == scores["training_loop"][0] == 0  # they call dloss_fn and loss_fn
    for task in ["model", "dmodel_dw", "dmodel_db"]:
        assert scores[task] == full[task]


def test_endless_loop_times_out_and_grading_goes_on(tmp_path, reference_result):
    cheat = with_changes(tmp_path, "def dmodel_dw(x, w, b):\n    while True:\n        pass\n")
    result = grade_json(cheat, tmp_path, "--max-call-seconds", "1")
    scores, full = task_scores(result), task_scores(reference_result)
    assert scores["dmodel_dw"][0] == 0
    statuses = {t["status"] for task in result["tasks"] if task["name"] == "dmodel_dw" for t in task["tests"]}
    assert statuses == {"timeout"}
    assert any("did not finish" in m for m in messages(result, "dmodel_dw"))
    for task in ["model", "loss_fn", "dloss_fn", "dmodel_db"]:
        assert scores[task] == full[task]


def test_a_function_that_timed_out_gets_a_short_limit_in_every_later_test(tmp_path, reference_result):
    cheat = with_changes(tmp_path, "def dmodel_dw(x, w, b):\n    while True:\n        pass\n")
    result = grade_json(cheat, tmp_path, "--max-call-seconds", "3")
    first, *later = messages(result, "dmodel_dw")
    assert "did not finish within 3 s" in first and later
    assert all("did not finish within 1 s, as it had timed out in an earlier test" in message for message in later)
    assert task_scores(result)["dmodel_db"] == task_scores(reference_result)["dmodel_db"]


HOARDER = """
BIG = 12 * 2**20  # floats: 48 MiB a value, and far more over every failing test


def model(x, w, b):
    return torch.zeros(BIG)


def loss_fn(y_hat, y):
    return torch.zeros(BIG)


def dloss_fn(y_hat, y):
    return torch.zeros(BIG)


def grad_fn(x, y, y_hat, w, b):
    return torch.zeros(BIG)
"""


def test_wrong_answers_of_tens_of_megabytes_in_every_test_keep_the_grader_small(tmp_path, reference_result):
    measured = tmp_path / "measured.json"
    out = tmp_path / "result.json"
    wrap = (sys.executable, "-c", MEASURED, str(measured))
    done = run_cli("grade", A01, with_changes(tmp_path, HOARDER), "--json", out, wrap=wrap)
    assert done.returncode == 0, done.stdout + done.stderr
    scores = task_scores(json.loads(out.read_text()))
    assert all(scores[task][0] == 0 for task in ("model", "loss_fn", "dloss_fn", "grad_fn"))
    # 20 failing tests would keep about 1 GB of answers; the grader keeps 64 MiB of them in all
    assert json.loads(measured.read_text())["peak"] < 700 * 2**20


def test_a_message_holding_a_lone_surrogate_is_graded_and_written(tmp_path):
    cheat = with_changes(tmp_path, "def model(x, w, b):\n    raise ValueError('lone \\ud800 surrogate')\n")
    results = tmp_path / "results.json"
    done = run_cli("grade", A01, cheat, "--json", tmp_path / "result.json", "--gradescope", results)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert task_scores(result)["model"][0] == 0 and any("lone ? surrogate" in m for m in messages(result, "model"))
    assert json.loads(results.read_text())["score"] == result["score"]


def test_memory_hog_and_flood_of_output_are_contained(tmp_path, reference_result):
    cheat = with_changes(
        tmp_path,
        "def dmodel_db(x, w, b):\n"
        "    return torch.ones(64, 1024, 1024, 64).sum()\n\n"
        "def dmodel_dw(x, w, b):\n"
        "    while True:\n"
        "        print('spam' * 1000)\n",
    )
    scores, full = task_scores(grade_json(cheat, tmp_path)), task_scores(reference_result)
    assert scores["dmodel_db"][0] == 0 and scores["dmodel_dw"][0] == 0
    assert scores["loss_fn"] == full["loss_fn"]


def test_hidden_inputs_do_not_leak_through_exception_messages(tmp_path):
    leak = with_changes(tmp_path, "def dloss_fn(y_hat, y):\n    raise ValueError('LEAK ' + repr(y_hat.tolist()))\n")
    result = grade_json(leak, tmp_path)
    dloss = next(task for task in result["tasks"] if task["name"] == "dloss_fn")
    hidden = [test["message"] for test in dloss["tests"] if test["visibility"] == "hidden"]
    visible = [test["message"] for test in dloss["tests"] if test["visibility"] == "visible"]
    assert hidden and all("LEAK" not in m and "ValueError" in m for m in hidden)
    assert any("LEAK" in m for m in visible)  # public inputs are the student's to see


def test_forged_results_files_are_ignored(tmp_path):
    cheat = write(
        tmp_path,
        """
        import json, pathlib
        fake = {"score": 1000, "tests": []}
        for folder in [pathlib.Path.cwd(), pathlib.Path.home(), pathlib.Path("/tmp")]:
            try:
                (folder / "results.json").write_text(json.dumps(fake))
            except OSError:
                pass
        print('{"score": 1000}')
        """
        + ZEROS,
    )
    result = grade_json(cheat, tmp_path)
    assert result["score"] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox only switches users when the grader runs as root")
def test_under_root_the_sandbox_cannot_read_the_reference(tmp_path):
    thief = write(
        tmp_path,
        f"""
        try:
            exec(open({str(ROOT / "solutions" / "01_gradient_descent" / "gradient_descent.py")!r}).read())
        except OSError as error:
            print("could not read the reference:", error)
        """,
    )
    assert grade_json(thief, tmp_path)["score"] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="stray processes are swept by user only when grading as root")
def test_processes_left_behind_are_killed(tmp_path):
    marker = f"stray-{os.getpid()}"
    cheat = write(
        tmp_path,
        f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            os.execvp("sh", ["sh", "-c", "sleep 300; : {marker}"])
        """
        + ZEROS,
    )
    grade_json(cheat, tmp_path)
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert survivors == ""


WAIT_FOR_A_GRADING = """
import ctypes, os, resource, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: the grading's orphans come here
subprocess.run([sys.executable, "-m", "autograder", "grade", *sys.argv[1:]], check=True, capture_output=True)
grader = resource.getrusage(resource.RUSAGE_CHILDREN)
try:
    while True:
        os.waitpid(-1, 0)  # the zygote, which the grader leaves to end by itself
except ChildProcessError:
    pass
everything = resource.getrusage(resource.RUSAGE_CHILDREN)
print(everything.ru_utime + everything.ru_stime - grader.ru_utime - grader.ru_stime)
"""


def test_cpu_a_submission_burns_counts_for_whoever_waits_for_the_grading(tmp_path):
    burner = with_changes(tmp_path, "import time\nwhile time.process_time() < 4:\n    pass\n")
    done = subprocess.run(
        [sys.executable, "-c", WAIT_FOR_A_GRADING, A01, str(burner)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) >= 4  # the zygote and its sandboxes: at least what the submission burned


HUGE_FIRST_LOSS = """
_training_loop = training_loop


def training_loop(n_epochs, learning_rate, params, x, y):
    params, losses = _training_loop(n_epochs, learning_rate, params, x, y)
    return params, [10**400, *losses[1:]]  # an int no float can hold, where the grader compares floats
"""


def test_answers_made_to_break_the_graders_own_code_are_graded(tmp_path):
    """Forged failed-cell notes of the wrong types, and an int too big for a float where the hint
    search compares losses: a result for everything, a Gradescope file, no crash."""
    book = nbformat.v4.new_notebook()
    forged = "__autograder_failures__.append([1, ['unhashable'], 1])"
    answer = REFERENCE_01.read_text() + HUGE_FIRST_LOSS
    book.cells = [nbformat.v4.new_code_cell(forged), nbformat.v4.new_code_cell(answer)]
    notebook = tmp_path / "gradient_descent.ipynb"
    notebook.write_text(nbformat.writes(book))
    gradescope = tmp_path / "results.json"
    result = grade_json(notebook, tmp_path, "--gradescope", gradescope)
    scores = task_scores(result)
    assert scores.pop("training_loop")[0] == scores.pop("grad_fn")[0] == 0  # the forgery breaks the rules too
    assert all(score == most for score, most in scores.values())
    assert any("code built at run time" in message for message in messages(result, "grad_fn"))
    assert json.loads(gradescope.read_text())["score"] == result["score"]
    assert not any("unhashable" in note for note in result["notes"])


HOLDS_NOTHING_OF_THE_ZYGOTE = """
import os as _os
import stat as _stat


def _descriptors():
    kinds = []
    for name in _os.listdir("/proc/self/fd"):
        try:
            mode = _os.fstat(int(name)).st_mode
            kinds.append("socket" if _stat.S_ISSOCK(mode) else "pipe" if _stat.S_ISFIFO(mode) else "file")
        except OSError:
            pass
    return kinds


_HELD = _descriptors()
_model = model


def model(x, w, b):  # right only where the sandbox holds its own channel and nothing else to talk on
    return _model(x, w, b) if _HELD.count("socket") == 1 and "pipe" not in _HELD else x
"""


def test_a_sandbox_holds_no_descriptor_of_the_zygote_or_of_other_graders(tmp_path):
    """The zygote forks graders and sandboxes: a sandbox that kept one of its connections could ask
    it for a grader, or answer a grader as the zygote; one that kept a grader's status pipe could
    forge its exit. Graded alone and in a batch of two workers (whose zygote holds both)."""
    submission = with_changes(tmp_path, HOLDS_NOTHING_OF_THE_ZYGOTE)
    assert task_scores(grade_json(submission, tmp_path))["model"] == (3, 3)
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(submission, folder / f"{name}.py")
    done = run_cli("grade-all", A01, folder, "--out", tmp_path / "out", "--jobs", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("a", "b", "c"):
        result = json.loads((tmp_path / "out" / "results" / f"{name}.json").read_text())["result"]
        assert task_scores(result)["model"] == (3, 3), name


READS_A_CLASSMATE = """
import glob as _glob

_model = model
_SEEN = [path for pattern in {patterns!r} for path in _glob.glob(pattern) if open(path).read()]


def model(x, w, b):  # right only where it could read a classmate's submission or result
    return _model(x, w, b) if _SEEN else x
"""


def test_in_a_class_no_submission_can_read_another_or_its_result():
    """A submission could hand in a classmate's code as its own, by reading it from the export
    being graded or from the results already written; neither is visible from a sandbox. The class
    lies outside the temporary folders (always hidden), readable by all, as an export unpacked
    under the usual umask is."""
    place = Path(tempfile.mkdtemp(prefix="autograder-test-class-", dir=ROOT.parent))
    place.chmod(0o755)
    try:
        read_classmates(place)
    finally:
        shutil.rmtree(place)


def read_classmates(place: Path) -> None:
    export, out = place / "export", place / "out"
    (export / "alice").mkdir(parents=True)
    shutil.copy(REFERENCE_01, export / "alice" / "gradient_descent.py")
    first = run_cli("grade-all", A01, export, "--out", out)
    assert first.returncode == 0, first.stdout + first.stderr
    patterns = [str(export / "alice" / "*.py"), str(out / "results" / "*.json")]
    assert all(__import__("glob").glob(pattern) for pattern in patterns)  # both there, and readable to others
    (export / "mallory").mkdir()
    with_changes(export / "mallory", READS_A_CLASSMATE.format(patterns=patterns))
    again = run_cli("grade-all", A01, export, "--out", out)
    assert again.returncode == 0, again.stdout + again.stderr
    mallory = json.loads((out / "results" / "mallory.json").read_text())["result"]
    assert task_scores(mallory)["model"] == (0, 3)
    beside = place / "beside"  # graded alone: what lies in the submission's own folder is hidden too
    beside.mkdir()
    shutil.copy(REFERENCE_01, beside / "classmate.py")
    submission = with_changes(beside, READS_A_CLASSMATE.format(patterns=[str(beside / "classmate.py")]))
    assert task_scores(grade_json(submission, place))["model"] == (0, 3)


AUTOGRAD_HELPER = (
    "import torch\n"
    "def g(x, y, w, b):\n"
    "    w, b = w.detach().requires_grad_(), b.detach().requires_grad_()\n"
    "    return torch.stack(torch.autograd.grad(((w * x + b - y) ** 2).mean(), [w, b]))\n"
)

LOADED_WITH_IMP = f"""
import imp as _imp
import os as _os

open("helper_code.py", "w").write({AUTOGRAD_HELPER!r})
_helper = _imp.load_source("helper_code", _os.path.abspath("helper_code.py"))


def grad_fn(x, y, y_hat, w, b):
    return _helper.g(x, y, w, b)
"""

SHADOWS_THE_STANDARD_LIBRARY = f"""
open("colorsys.py", "w").write({AUTOGRAD_HELPER!r})  # beside the module, where its folder was on sys.path
import colorsys as _colorsys


def grad_fn(x, y, y_hat, w, b):
    return _colorsys.g(x, y, w, b)
"""


@pytest.mark.parametrize("evasion", [LOADED_WITH_IMP, SHADOWS_THE_STANDARD_LIBRARY], ids=["imp", "shadowing"])
def test_code_written_at_run_time_and_imported_earns_nothing(tmp_path, evasion):
    """grad_fn must not use autograd: code that does, written to a file at import and imported (by
    ``imp``, or under a standard library module's name from the submission's own folder), is no way round."""
    scores = task_scores(grade_json(with_changes(tmp_path, evasion), tmp_path))
    assert scores["grad_fn"][0] == 0
