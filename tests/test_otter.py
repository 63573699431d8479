"""The Otter-Grader export: the real `otter assign` accepts it and `otter run` grades like `autograder grade`."""

import ast
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import A01, ROOT, grade_json, run_cli, task_scores

from autograder import bank, course, packaging

pytest.importorskip("otter", reason="otter-grader is the optional extra `otter`")
OTTER = str(ROOT / ".venv" / "bin" / "otter") if (ROOT / ".venv" / "bin" / "otter").exists() else "otter"
ASSIGNMENT = course.load(A01)


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    out = tmp_path_factory.mktemp("otter")
    assert run_cli("build", A01, "--out", out).returncode == 0
    master = out / A01 / "otter" / f"{A01}.ipynb"
    done = subprocess.run([OTTER, "assign", master.name, str(out / "assigned")], cwd=master.parent, capture_output=True)
    assert done.returncode == 0, done.stdout.decode()[-2000:] + done.stderr.decode()[-2000:]
    return out / "assigned"


def with_definitions(notebook, source):
    """``notebook`` with every code cell that defines a task replaced by ``source``'s definition."""
    nodes = {node.name: node for node in ast.parse(source).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            names = [n.name for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            if names and names[0] in ASSIGNMENT.task_names:
                cell.source = ast.get_source_segment(source, nodes[names[0]])
    return notebook


def otter_run(assigned, notebook, folder):
    folder.mkdir()
    nbformat.write(notebook, folder / "submission.ipynb")
    autograder_zip = next((assigned / "autograder").glob("*.zip"))
    done = subprocess.run(
        [OTTER, "run", "-a", str(autograder_zip), "submission.ipynb"], cwd=folder, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    tests = json.loads((folder / "results.json").read_text())["tests"]
    return {test["name"]: (test["score"], test["max_score"]) for test in tests if "score" in test}


def test_student_notebook_hides_solutions_and_hidden_tests(assigned):
    student = (assigned / "student" / f"{A01}.ipynb").read_text()
    assert "BEGIN SOLUTION" not in student and "squared_diffs.mean()" not in student
    assert not list((assigned / "student").rglob("test_hidden.py"))
    assert list((assigned / "autograder").rglob("test_hidden.py"))


def test_otter_environment_installs_cpu_torch_and_jupyter(assigned):
    with zipfile.ZipFile(next((assigned / "autograder").glob("*.zip"))) as archive:
        environment = archive.read("environment.yml").decode()
    for needed in (f"--extra-index-url {packaging.TORCH_CPU_INDEX}", packaging.TORCH_REQUIREMENT, "jupyterlab"):
        assert needed in environment, needed


@pytest.mark.parametrize("subject", ["reference", "mistake"])
def test_otter_run_grades_like_autograder_grade(assigned, tmp_path, subject):
    solution = nbformat.read(assigned / "autograder" / f"{A01}.ipynb", as_version=4)
    if subject == "mistake":
        entry = bank.demo_entry(ASSIGNMENT)
        solution = with_definitions(solution, entry.source(ASSIGNMENT))
        module = tmp_path / "gradient_descent.py"
        module.write_text(entry.source(ASSIGNMENT))
    else:
        module = Path(shutil.copy(ASSIGNMENT.reference_file, tmp_path / "gradient_descent.py"))
    by_otter = otter_run(assigned, solution, tmp_path / "otter")
    by_engine = task_scores(grade_json(module, tmp_path))
    assert by_otter == by_engine
