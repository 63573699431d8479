"""Generated notebooks: in sync with the source, their check cells work, and they grade like modules."""

import ast
import shutil

import nbformat
import pytest
from conftest import A01, REFERENCE_01, grade_json, task_scores
from nbclient import NotebookClient

from autograder import course, notebook


@pytest.mark.parametrize("assignment", course.all_assignments(), ids=lambda a: a.id)
def test_checked_in_notebook_matches_its_source(assignment):
    assert notebook.notebook_file(assignment).read_text() == notebook.notebook_text(assignment), "run autograder sync"


def run_notebook(folder, nb):
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    return {
        cell.source: "".join(output.get("text", "") for output in cell.outputs)
        for cell in nb.cells
        if notebook.CHECK_TAG in cell.metadata.get("tags", [])
    }


def filled_with_reference(nb):
    """The notebook with every task cell replaced by the reference's definition."""
    source = REFERENCE_01.read_text()
    definitions = {
        node.name: ast.get_source_segment(source, node) for node in ast.parse(source).body if hasattr(node, "name")
    }
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("def "):
            cell.source = definitions[cell.source.split("(")[0].removeprefix("def ")]
    return nb


@pytest.fixture
def student_folder(student_release, tmp_path):
    """A fresh copy of the unzipped release of assignment 01."""
    return shutil.copytree(student_release, tmp_path / A01)


def test_check_cells_report_every_task_of_the_stub_as_not_implemented(student_folder):
    nb = nbformat.read(student_folder / "gradient_descent.ipynb", as_version=4)
    outputs = run_notebook(student_folder, nb)
    assert outputs['check("loss_fn")'].startswith("✗ loss_fn                0/3  loss_fn is not implemented yet")
    assert "not implemented yet" in outputs['check("grad_fn")']
    assert outputs["check()"].count("✗") == 7


def test_a_solved_notebook_passes_its_checks_and_grades_like_the_module(student_folder, tmp_path):
    nb = filled_with_reference(nbformat.read(student_folder / "gradient_descent.ipynb", as_version=4))
    outputs = run_notebook(student_folder, nb)
    assert outputs["check()"].count("✓") == 7 and "✗" not in outputs["check()"]
    solved = tmp_path / "solved.ipynb"
    nbformat.write(nb, solved)
    as_notebook, as_module = grade_json(solved, tmp_path), grade_json(REFERENCE_01, tmp_path)
    assert task_scores(as_notebook) == task_scores(as_module)
    assert as_notebook["score"] == as_notebook["max_score"]
    assert [t["tests"] for t in as_notebook["tasks"]] == [t["tests"] for t in as_module["tasks"]]


def test_a_task_that_loops_forever_ends_its_check_with_did_not_finish(student_folder):
    nb = nbformat.read(student_folder / "gradient_descent.ipynb", as_version=4)
    definition = next(i for i, cell in enumerate(nb.cells) if cell.source.startswith("def dmodel_db("))
    nb.cells[definition].source = "def dmodel_db(x, w, b):\n    while True:\n        pass"
    nb.cells = nb.cells[:2] + nb.cells[definition : definition + 2]  # the preamble, the task and its check
    outputs = run_notebook(student_folder, nb)
    assert outputs['check("dmodel_db")'].startswith(
        "✗ dmodel_db              0/1  dmodel_db did not finish within 10 s (an endless loop"
    )
