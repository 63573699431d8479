"""`autograder new` and the authoring walkthrough, followed literally through the CLI in a fresh course."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import run_cli, task_scores

ID = "07_tiny_tensors"

MANIFEST = """\
title = "Tiny tensors"
module = "tiny_tensors"

[[tasks]]
name = "square"

[[tasks]]
name = "mean_of_squares"
rule = "no torch.mean: add up and divide yourself"
forbid = ["torch.mean"]
"""

REFERENCE = '''\
"""Assignment 07 — Tiny tensors."""

import torch


def square(x: torch.Tensor) -> torch.Tensor:
    """Every element of ``x`` squared."""
    # BEGIN SOLUTION
    return x * x
    # END SOLUTION


def mean_of_squares(x: torch.Tensor) -> torch.Tensor:
    """The mean of the squared elements of ``x`` (a 0-d tensor)."""
    # BEGIN SOLUTION
    return square(x).sum() / x.numel()
    # END SOLUTION
'''

PUBLIC_TESTS = '''\
"""Public tests of assignment 07."""

import torch

from autograder.testing import expect_close, task

X = torch.tensor([1.0, -2.0, 3.0])


@task("square", points=1)
def test_square_of_a_vector(submission):
    """square squares each element."""
    expect_close(submission.square(X), torch.tensor([1.0, 4.0, 9.0]))


@task("mean_of_squares", points=1)
def test_mean_of_squares_of_a_vector(submission):
    """mean_of_squares is the mean of the squares."""
    expect_close(submission.mean_of_squares(X), torch.tensor(14.0 / 3))
'''

HIDDEN_TESTS = '''\
"""Hidden tests of assignment 07."""

from hypothesis import given

from autograder.testing import expect_close, task
from autograder.testing.strategies import shapes, tensors


@task("square", points=1)
@given(x=tensors(shapes()))
def test_square_matches_reference(submission, reference, x):
    expect_close(submission.square(x), reference.square(x))


@task("mean_of_squares", points=1)
@given(x=tensors(shapes()))
def test_mean_of_squares_matches_reference(submission, reference, x):
    expect_close(submission.mean_of_squares(x), reference.mean_of_squares(x))
'''

BANK = """\
demo = "square_doubles"
min_mistakes = 2
min_variants = 1

[wrong.square_doubles]
loses = ["square", "mean_of_squares"]
hint = "square doubles each element (2 * x): it should multiply each element by itself"

[wrong.mean_of_squares_sums]
loses = ["mean_of_squares"]
hint = "mean_of_squares adds up the squares without dividing by their number"
"""

BANK_ENTRIES = {
    "wrong/square_doubles.py": "def square(x):\n    return 2 * x\n",
    "wrong/mean_of_squares_sums.py": "def mean_of_squares(x):\n    return square(x).sum()\n",
    "right/square_by_power.py": "def square(x):\n    return x**2\n",
}


def autograder(course: Path, *args: str | Path, ok: bool = True) -> str:
    """Run ``autograder --course COURSE ARGS`` as an instructor would; its output."""
    done = run_cli("--course", course, *args, cwd=course)
    output = done.stdout + done.stderr
    assert (done.returncode == 0) == ok, output
    return output


@pytest.fixture(scope="module")
def scaffolded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course holding only the scaffold of ``ID``."""
    course = tmp_path_factory.mktemp("course")
    autograder(course, "new", ID, "--title", "Tiny tensors")
    return course


def test_new_writes_every_file_of_an_assignment(scaffolded: Path):
    public, solutions = scaffolded / "assignments" / ID, scaffolded / "solutions" / ID
    for path in (
        public / "assignment.toml",
        public / "README.md",
        public / "test_tiny_tensors.py",
        public / "tiny_tensors.py",
        public / "tiny_tensors.ipynb",
        public / "conftest.py",
        solutions / "tiny_tensors.py",
        solutions / "test_hidden.py",
        solutions / "bank" / "bank.toml",
    ):
        assert path.is_file(), path
    assert list((solutions / "bank" / "wrong").glob("*.py")) and (solutions / "bank" / "right").is_dir()
    assert "raise NotImplementedError" in (public / "tiny_tensors.py").read_text()
    assert "BEGIN SOLUTION" not in (public / "tiny_tensors.py").read_text()
    assert "every generated file matches its source" in autograder(scaffolded, "sync", "--check")
    assert "## Rules\n\nNo task of this assignment has a rule" in (public / "README.md").read_text()


def test_sync_check_reports_a_drifted_conftest_and_sync_restores_it(scaffolded: Path, tmp_path: Path):
    course = tmp_path / "course"
    shutil.copytree(scaffolded, course)
    conftest = course / "assignments" / ID / "conftest.py"
    generated = conftest.read_text()
    conftest.write_text(generated + "import os\n")
    assert f"out of date: {conftest}" in autograder(course, "sync", "--check", ok=False)
    autograder(course, "sync")
    assert conftest.read_text() == generated


def test_new_refuses_an_existing_assignment_and_a_bad_id(scaffolded: Path):
    before = (scaffolded / "solutions" / ID / "tiny_tensors.py").read_text()
    output = autograder(scaffolded, "new", ID, ok=False)
    assert "already exists" in output and "Traceback" not in output
    assert (scaffolded / "solutions" / ID / "tiny_tensors.py").read_text() == before
    assert "is not an assignment id" in autograder(scaffolded, "new", "../escape", ok=False)
    assert not (scaffolded.parent / "escape").exists()


def test_the_walkthrough_scaffold_write_tasks_and_bank_validate_build_grade(scaffolded: Path, tmp_path: Path):
    course = tmp_path / "course"
    shutil.copytree(scaffolded, course)
    public, solutions = course / "assignments" / ID, course / "solutions" / ID
    # Replace the example task with the assignment's own two tasks and three bank entries.
    (public / "assignment.toml").write_text(MANIFEST)
    (solutions / "tiny_tensors.py").write_text(REFERENCE)
    (public / "test_tiny_tensors.py").write_text(PUBLIC_TESTS)
    (solutions / "test_hidden.py").write_text(HIDDEN_TESTS)
    shutil.rmtree(solutions / "bank")
    (solutions / "bank" / "wrong").mkdir(parents=True)
    (solutions / "bank" / "right").mkdir()
    (solutions / "bank" / "bank.toml").write_text(BANK)
    for name, text in BANK_ENTRIES.items():
        (solutions / "bank" / name).write_text(text)

    assert "out of date" in autograder(course, "sync", "--check", ok=False)
    autograder(course, "sync", ID)
    stub, readme = (public / "tiny_tensors.py").read_text(), (public / "README.md").read_text()
    assert "def mean_of_squares" in stub
    assert "Rule: no torch.mean: add up and divide yourself. Not allowed: ``torch.mean``." in stub
    assert "- `mean_of_squares`: no torch.mean: add up and divide yourself. Not allowed:" in readme

    validation = autograder(course, "validate", ID, "--workers", "2")
    assert "0 missed" in validation, validation

    dist = tmp_path / "dist"
    autograder(course, "build", ID, "--out", dist)
    with zipfile.ZipFile(dist / ID / "student.zip") as student:
        names = student.namelist()
    assert f"{ID}/tiny_tensors.py" in names and not any("solutions" in name or "hidden" in name for name in names)
    with zipfile.ZipFile(dist / ID / "gradescope.zip") as gradescope:
        assert "course/solutions/07_tiny_tensors/test_hidden.py" in gradescope.namelist()
        assert 'name = "nn-autograder"' in gradescope.read("course/pyproject.toml").decode()

    reference = tmp_path / "reference.json"
    autograder(course, "grade", ID, solutions / "tiny_tensors.py", "--json", reference)
    assert task_scores(json.loads(reference.read_text())) == {"square": (2, 2), "mean_of_squares": (2, 2)}
    mistake = tmp_path / "mistake" / "tiny_tensors.py"
    mistake.parent.mkdir()
    mistake.write_text(REFERENCE.replace("return square(x).sum() / x.numel()", "return square(x).sum()"))
    output = autograder(course, "grade", ID, mistake)
    assert "adds up the squares without dividing" in output


PUBLIC = f"assignments/{ID}"
SOLUTIONS = f"solutions/{ID}"

# (file to break, what to do to it, command, what the one-line error says after FILE:LINE)
MISTAKES = {
    "marker never closed": (f"{SOLUTIONS}/tiny_tensors.py", ("    # END SOLUTION\n", ""), "sync", "never closed"),
    "reference syntax": (f"{SOLUTIONS}/tiny_tensors.py", ("def double(x", "def double(x,,"), "sync", "syntax"),
    "bank entry syntax": (f"{SOLUTIONS}/bank/wrong/double_adds_two.py", ("):", ")"), "validate", "expected"),
    "manifest not TOML": (f"{PUBLIC}/assignment.toml", ("[[tasks]]", "[[tasks]"), "sync", "not valid TOML"),
    "task without name": (f"{PUBLIC}/assignment.toml", ('name = "double"', 'nme = "double"'), "sync", "has no name"),
    "bad sandbox_preload": (
        f"{PUBLIC}/assignment.toml",
        ("title", 'sandbox_preload = [".x"]\ntitle'),
        "sync",
        "module",
    ),
    "bank not TOML": (f"{SOLUTIONS}/bank/bank.toml", ("demo = ", "demo = \n#"), "validate", "not valid TOML"),
    "bank entry without hint": (f"{SOLUTIONS}/bank/bank.toml", ("hint = ", "hnt = "), "validate", "has no hint"),
    "bank loses unknown task": (f"{SOLUTIONS}/bank/bank.toml", ('["double"]', '["triple"]'), "validate", "loses must"),
    "test file syntax": (f"{SOLUTIONS}/test_hidden.py", ("):\n", ")\n"), "grade", "SyntaxError"),
    "test file import": (
        f"{SOLUTIONS}/test_hidden.py",
        ("\nfrom", "\nimport no_such_module\nfrom"),
        "grade",
        "No module",
    ),
    "test without task": (
        f"{PUBLIC}/test_tiny_tensors.py",
        ('@task("double", points=1)', ""),
        "grade",
        "must be marked",
    ),
    "unknown task in mark": (f"{PUBLIC}/test_tiny_tensors.py", ('task("double"', 'task("triple"'), "grade", "must be"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_an_authoring_mistake_is_one_line_naming_file_and_line(scaffolded: Path, tmp_path: Path, mistake: str):
    course = tmp_path / "course"
    shutil.copytree(scaffolded, course)
    name, (old, new), command, says = MISTAKES[mistake]
    path = course / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    args = {
        "sync": ["sync"],
        "validate": ["validate", ID],
        "grade": ["grade", ID, course / SOLUTIONS / "tiny_tensors.py"],
    }
    done = run_cli("--course", course, *args[command], cwd=course)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert output.startswith("error: ") and output.strip().count("\n") == 0 and "Traceback" not in output, output
    assert re.search(rf"{re.escape(str(path))}:\d+: .*{says}", output), output
