"""The Otter-Grader export: an Otter Assign master notebook whose questions are the tasks.

Each question holds the task's text, the reference definition (its ``# BEGIN SOLUTION``
blocks are Otter's too) and two test cells, one public and one hidden, each worth the
points of that part of the task. A test cell calls :func:`check`, which runs this engine's
public or hidden tests of the task on the functions the notebook defined, so Otter grades
with the same tests as ``autograder grade``. A part passes when all its tests pass.

Beside the notebook sit the files Otter copies: ``autograder/`` (this engine) and
``course/`` (the public assignment) for students and the autograder, and ``course_hidden/``
(hidden tests, reference, banks) for the autograder only. ``requirements.txt`` is the student
release's (CPU torch, Jupyter): Otter puts it in the autograder's ``environment.yml``. The
export holds hidden tests, so it is written readable by its owner only.
"""

from __future__ import annotations

import ast
import contextlib
import io
import shutil
from pathlib import Path

import nbformat

from autograder.course import Assignment, import_module_file, read_assignment
from autograder.notebook import module_from_namespace, stub_preamble
from autograder.packaging import PRIVATE_FOLDER, engine_files, make_private, requirements
from autograder.submission import notebook_source
from autograder.testing import context

PUBLIC, HIDDEN = "course", "course_hidden"


def master_notebook(assignment: Assignment, points: dict[tuple[str, str], float]) -> nbformat.NotebookNode:
    """The Otter Assign master notebook of ``assignment`` (``points`` by task and visibility)."""
    reference = assignment.reference_file.read_text()
    tree = ast.parse(reference)
    definitions = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    config = "\n".join(
        [
            "# ASSIGNMENT CONFIG",
            f"name: {assignment.id}",
            "requirements: requirements.txt",
            "files:",
            "  - autograder",
            f"  - {PUBLIC}",
            "autograder_files:",
            f"  - {HIDDEN}",
            "tests:",
            "  ok_format: false",
            "export_cell: false",
            "check_all_cell: false",
            "run_tests: false",
        ]
    )
    cells = [
        nbformat.v4.new_raw_cell(config),
        nbformat.v4.new_markdown_cell(f"# {assignment.title}\n\n{ast.get_docstring(tree) or ''}"),
        nbformat.v4.new_code_cell("\n\n".join(stub_preamble(reference, assignment))),
    ]
    for task in assignment.tasks:
        node = definitions[task.name]
        cells += [
            nbformat.v4.new_raw_cell(f"# BEGIN QUESTION\nname: {task.name}"),
            nbformat.v4.new_markdown_cell(f"**`{task.name}`**\n\n{ast.get_docstring(node)}"),
            nbformat.v4.new_raw_cell("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(_definition(reference, tree, node)),
            nbformat.v4.new_raw_cell("# END SOLUTION"),
            nbformat.v4.new_raw_cell("# BEGIN TESTS"),
        ]
        for visibility in (context.VISIBLE, context.HIDDEN):
            hidden = visibility == context.HIDDEN
            cells.append(
                nbformat.v4.new_code_cell(
                    f'""" # BEGIN TEST CONFIG\npoints: {points.get((task.name, visibility), 0):g}\n'
                    f'hidden: {str(hidden).lower()}\n""" # END TEST CONFIG\n'
                    f"def test_{visibility}(env):\n"
                    "    from autograder.otter import check\n\n"
                    f'    check(env, "{assignment.id}", "{task.name}", hidden={hidden})'
                )
            )
        cells += [nbformat.v4.new_raw_cell("# END TESTS"), nbformat.v4.new_raw_cell("# END QUESTION")]
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _definition(source: str, tree: ast.Module, node: ast.stmt) -> str:
    """A top-level definition's lines up to the next statement, so a closing marker comes along."""
    following = [other.lineno for other in tree.body if other.lineno > node.lineno]
    lines = source.splitlines()[node.lineno - 1 : (following[0] - 1) if following else None]
    return "\n".join(lines).rstrip()


def export(assignment: Assignment, points: dict[tuple[str, str], float], out: Path) -> Path:
    """Write the master notebook and the files it names to ``out``; returns the notebook's path."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True, mode=PRIVATE_FOLDER)
    out.chmod(PRIVATE_FOLDER)  # closed before anything is written in it, whatever the umask
    for path, name in engine_files():
        _copy(path, out / name)
    shutil.copytree(assignment.public_dir, out / PUBLIC / "assignments" / assignment.id, ignore=_generated)
    shutil.copytree(assignment.solution_dir, out / HIDDEN / "solutions" / assignment.id, ignore=_generated)
    (out / "requirements.txt").write_text(requirements())
    path = out / f"{assignment.id}.ipynb"
    nbformat.write(master_notebook(assignment, points), path)
    make_private(out)
    return path


def _generated(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name == "__pycache__"}


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)


def check(env: dict, assignment_id: str, task: str, hidden: bool) -> None:
    """Otter's test of one part of a task: raises ``AssertionError`` unless all its tests pass."""
    from autograder.grading import GraderPlugin, run_tests
    from autograder.testing.handles import LocalRunner, Submission

    folder = _beside_notebook()
    hidden_tests = folder / HIDDEN / "solutions" / assignment_id
    public_dir = folder / PUBLIC / "assignments" / assignment_id
    assignment = read_assignment(public_dir, hidden_tests if hidden_tests.is_dir() else None)
    module = module_from_namespace(assignment.module, env)
    probes = import_module_file(assignment.probes_file, "probes") if assignment.probes_file else None
    handle = Submission(_notebook_code(env), LocalRunner(module, probes))
    plugin = GraderPlugin(assignment, handle, only_task=task)
    tests = assignment.hidden_tests if hidden else assignment.public_tests
    with contextlib.redirect_stderr(io.StringIO()):
        run_tests(plugin, [assignment.manifest_file, *tests], assignment.public_dir)
    result = plugin.tasks[task]
    if not result.passed:
        raise AssertionError(result.line().hint or f"{task} does not pass its tests")


def _beside_notebook() -> Path:
    """The folder where Otter put the files the notebook names."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / PUBLIC / "assignments").is_dir():
            return folder
    raise FileNotFoundError(f"no {PUBLIC}/assignments folder beside the notebook")


def _notebook_code(env: dict) -> str:
    """The submission's source for rule checks: the notebook being graded (Otter's own cells
    dropped, as intake reads it), else the kernel's history."""
    notebooks = sorted(Path.cwd().glob("*.ipynb"))
    if len(notebooks) == 1:
        return notebook_source(notebooks[0].read_bytes(), str(notebooks[0])).checked_source
    return "\n".join(env.get("In") or [])
