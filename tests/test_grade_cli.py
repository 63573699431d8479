"""`autograder grade` as users run it: outcomes, outputs, formats and clear errors."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
from conftest import (
    A01,
    REFERENCE_01,
    ROOT,
    STUB_01,
    grade_json,
    interruptible,
    messages,
    run_cli,
    task_scores,
    with_changes,
)

from autograder import bank, course

ASSIGNMENT = course.load(A01)

TASKS_01 = ["model", "loss_fn", "dloss_fn", "dmodel_dw", "dmodel_db", "grad_fn", "training_loop"]


def test_reference_gets_full_marks_and_the_table_shows_every_task(tmp_path):
    out, gradescope = tmp_path / "result.json", tmp_path / "results.json"
    done = run_cli("grade", A01, REFERENCE_01, "--json", out, "--gradescope", gradescope)
    assert done.returncode == 0, done.stderr
    for task in TASKS_01:
        assert task in done.stdout
    result = json.loads(out.read_text())
    assert result["assignment"] == A01
    assert result["max_score"] > 0 and result["score"] == result["max_score"]
    assert [task["name"] for task in result["tasks"]] == TASKS_01
    for task in result["tasks"]:
        assert task["score"] == task["max_score"] > 0
        for test in task["tests"]:
            assert set(test) >= {"name", "status", "score", "max_score", "visibility", "message"}
            assert test["status"] == "passed" and test["visibility"] in ("visible", "hidden")
    assert {test["visibility"] for task in result["tasks"] for test in task["tests"]} == {"visible", "hidden"}


def test_gradescope_results_follow_the_specification(tmp_path):
    gradescope = tmp_path / "results.json"
    wrong = with_changes(tmp_path, "def loss_fn(y_hat, y):\n    return ((y_hat - y) ** 2).sum()\n")
    assert run_cli("grade", A01, wrong, "--gradescope", gradescope).returncode == 0
    results = json.loads(gradescope.read_text())
    assert "execution_time" not in results  # how long hidden calls took would tell what they were given
    assert isinstance(results["score"], (int, float))
    assert results["tests"]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test["status"] in ("passed", "failed")
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert results["score"] == sum(test["score"] for test in results["tests"])
    failed_hidden = [t for t in results["tests"] if t["status"] == "failed" and t["visibility"] != "visible"]
    assert failed_hidden, "the summed loss must fail hidden tests too"
    for test in failed_hidden:  # hidden outputs never show values or test source
        assert "expected" not in test["output"] and "got" not in test["output"]
        assert "assert" not in test["output"] and "def " not in test["output"]


def test_stub_gets_zero_with_not_implemented_hints(tmp_path):
    result = grade_json(STUB_01, tmp_path)
    assert result["score"] == 0
    for task in TASKS_01:
        assert any("not implemented yet" in m for m in messages(result, task))


def test_wrong_grad_fn_loses_only_what_depends_on_it(tmp_path, reference_result):
    wrong = with_changes(
        tmp_path,
        "def grad_fn(x, y, y_hat, w, b):\n"
        "    d = dloss_fn(y_hat, y)\n"
        "    return torch.stack([(d * dmodel_db(x, w, b)).mean(), (d * dmodel_dw(x, w, b)).mean()])\n",
    )
    scores, full = task_scores(grade_json(wrong, tmp_path)), task_scores(reference_result)
    assert scores["grad_fn"][0] == 0 and scores["training_loop"][0] < full["training_loop"][0]
    for task in ["model", "loss_fn", "dloss_fn", "dmodel_dw", "dmodel_db"]:
        assert scores[task] == full[task]


def test_breaking_a_rule_zeroes_the_task_and_names_what_was_used(tmp_path):
    cheat = with_changes(
        tmp_path,
        "from torch import autograd as ag\n\n"
        "def grad_fn(x, y, y_hat, w, b):\n"
        "    params = torch.tensor([float(w), float(b)], requires_grad=True)\n"
        "    loss = loss_fn(model(x, params[0], params[1]), y)\n"
        "    return ag.grad(loss, params)[0]\n",
    )
    result = grade_json(cheat, tmp_path)
    assert task_scores(result)["grad_fn"][0] == 0
    grad_task = next(t for t in result["tasks"] if t["name"] == "grad_fn")
    assert "requires_grad" in grad_task["rule_broken"] or "torch.autograd" in grad_task["rule_broken"]
    assert "no autograd" in grad_task["rule_broken"]


def test_syntax_error_is_graded_zero_with_the_error_shown_once(tmp_path):
    broken = tmp_path / "gradient_descent.py"
    broken.write_text("import torch\n\ndef model(x, w, b)\n    return w * x + b\n")
    out = tmp_path / "result.json"
    done = run_cli("grade", A01, broken, "--json", out)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert result["score"] == 0
    assert any("SyntaxError" in m and "line 3" in m for m in messages(result, "model"))
    cause = next(line for line in done.stdout.splitlines() if "SyntaxError" in line)
    assert cause.startswith("not graded:") and cause.count("line 3") == 1, cause
    assert done.stdout.count("SyntaxError") == 1 and done.stdout.count("not graded: see above") == len(TASKS_01)


def test_a_folder_of_several_submissions_says_which_it_graded_and_hints_are_whole(tmp_path):
    mistake = next(entry for entry in bank.entries(ASSIGNMENT) if entry.name == "training_loop_adds_the_gradient")
    for student in ("ada", "bob"):
        (tmp_path / "class" / student).mkdir(parents=True)
        mistake.write(ASSIGNMENT, tmp_path / "class" / student)
    done = run_cli("grade", A01, tmp_path / "class")
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert "holds 2 submissions: graded one" in first and "ada" in first and "grade-all" in first, first
    cells = " ".join(done.stdout.replace("│", " ").split())
    assert len(mistake.hint) > 100 and mistake.hint in cells and "…" not in done.stdout


def test_failing_import_is_graded_zero_with_the_error_shown(tmp_path):
    broken = tmp_path / "gradient_descent.py"
    broken.write_text("import torch\nimport a_module_that_does_not_exist\n")
    result = grade_json(broken, tmp_path)
    assert result["score"] == 0
    assert any("ModuleNotFoundError" in m for m in messages(result, "loss_fn"))


def test_notebook_zip_and_folder_submissions_grade_like_the_module(tmp_path, reference_result):
    source = REFERENCE_01.read_text()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# My solution"),
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip install torch"),
        nbformat.v4.new_code_cell(source),
    ]
    notebook_path = tmp_path / "solution.ipynb"
    nbformat.write(notebook, notebook_path)
    zipped = tmp_path / "handin.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("handin/src/gradient_descent.py", source)
        archive.writestr("__MACOSX/handin/src/._gradient_descent.py", "junk")
    folder = tmp_path / "folder" / "nested"
    folder.mkdir(parents=True)
    (folder / "gradient_descent.py").write_text(source)
    expected = task_scores(reference_result)
    for submission in (notebook_path, zipped, folder.parent):
        result = grade_json(submission, tmp_path)
        assert task_scores(result) == expected, submission
    assert any("skipped" in note for note in grade_json(notebook_path, tmp_path)["notes"])


def test_problems_of_the_command_itself_exit_nonzero_with_one_line(tmp_path):
    not_a_notebook = tmp_path / "broken.ipynb"
    not_a_notebook.write_text("{ this is not json")
    not_a_zip = tmp_path / "broken.zip"
    not_a_zip.write_text("not a zip")
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("README.txt", "nothing here")
    cases = [
        (("grade", "99_no_such_assignment", REFERENCE_01), "unknown assignment"),
        (("grade", A01, tmp_path / "missing.py"), "no such file"),
        (("grade", A01, not_a_notebook), "not a readable notebook"),
        (("grade", A01, not_a_zip), "not a readable zip"),
        (("grade", A01, empty_zip), "no gradient_descent.py"),
    ]
    for args, words in cases:
        done = run_cli(*args)
        assert done.returncode != 0, args
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr


def test_assignment_can_be_named_by_its_folder(tmp_path):
    result = grade_json(REFERENCE_01, tmp_path, assignment=str(ROOT / "assignments" / A01))
    assert result["score"] == result["max_score"]


def test_a_notebook_cell_that_fails_is_reported_by_cell_and_line(tmp_path, reference_result):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# My work"),
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_code_cell(REFERENCE_01.read_text()),
        nbformat.v4.new_code_cell("print('training...')\nlosses = train_my_model()"),
    ]
    path = tmp_path / "work.ipynb"
    nbformat.write(notebook, path)
    result = grade_json(path, tmp_path)
    assert result["score"] == reference_result["score"]  # the other cells still ran
    assert any("NameError" in note and "line 2 of cell 4" in note for note in result["notes"])


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_ctrl_c_ends_the_grading_and_everything_it_started(tmp_path):
    """The command passes a Ctrl-C to its grader (which the zygote forked) and ends as interrupted;
    the zygote, the grader and the sandbox end, and no sandbox folder is left."""
    temp = tmp_path / "temp"
    temp.mkdir()
    looping = with_changes(tmp_path, "def model(x, w, b):\n    while True:\n        pass\n")
    command = [sys.executable, "-m", "autograder", "grade", A01, str(looping)]
    environment = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(command, cwd=ROOT, env=environment, preexec_fn=interruptible, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(temp.glob("autograder-sandbox-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    zygotes = children_of(process.pid)
    assert zygotes and any(temp.glob("autograder-sandbox-*")), "the grading did not start"
    time.sleep(1)  # inside the looping call
    process.send_signal(signal.SIGINT)
    assert process.wait(30) == -signal.SIGINT
    assert b"Traceback" not in process.stderr.read()

    def left() -> list:
        return [pid for pid in zygotes if Path(f"/proc/{pid}").exists()] + list(temp.iterdir())

    deadline = time.monotonic() + 10
    while left() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left() == []
