"""Assignment notebooks: generated from the reference, with a check cell under every task.

The notebook is a third view of the single source (beside the stub and the README): per
task a markdown cell with the task's docstring (its rule included), a code cell with its
stub, and a cell that runs ``check("task")`` — that task's public tests, on the functions defined in the
notebook, with a one-line verdict.
"""

from __future__ import annotations

import ast
import sys
import types
from pathlib import Path

import nbformat

from autograder.authoring import stub_for
from autograder.course import MANIFEST, Assignment, import_module_file, read_assignment
from autograder.submission import CHECK_IMPORT, CHECK_TAG, without_check_import

KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit"}


def make_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    """The student notebook of ``assignment``, from its generated stub."""
    stub = stub_for(assignment)
    tree = ast.parse(stub)
    tasks = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in assignment.task_names
    }
    preamble = stub_preamble(stub, assignment)
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {assignment.title}\n\n{ast.get_docstring(tree) or ''}\n\n"
            "Write each task in its cell and run it, then run the check below it: it runs the task's "
            "public tests on your code. Hidden tests are run on submission."
        ),
        nbformat.v4.new_code_cell("\n\n".join([CHECK_IMPORT, *preamble])),
    ]
    for number, task in enumerate(assignment.tasks, start=1):
        node = tasks[task.name]
        cells.append(nbformat.v4.new_markdown_cell(f"## {number}. `{task.name}`\n\n{ast.get_docstring(node)}"))
        cells.append(nbformat.v4.new_code_cell(_definition_without_docstring(stub, node)))
        cells.append(_check_cell(f'check("{task.name}")'))
    cells.append(nbformat.v4.new_markdown_cell("## Everything at once"))
    cells.append(_check_cell("check()"))
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def stub_preamble(source: str, assignment: Assignment) -> list[str]:
    """A module's top-level code other than its docstring and its tasks' definitions."""
    tree = ast.parse(source)
    body = tree.body[1:] if tree.body and _is_docstring(tree.body[0]) else tree.body
    return [
        ast.get_source_segment(source, node)
        for node in body
        if getattr(node, "name", None) not in assignment.task_names
    ]


def notebook_text(assignment: Assignment) -> str:
    return nbformat.writes(make_notebook(assignment)) + "\n"


def notebook_file(assignment: Assignment) -> Path:
    return assignment.public_dir / f"{assignment.module}.ipynb"


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _definition_without_docstring(source: str, node: ast.FunctionDef | ast.ClassDef) -> str:
    """The stub's definition; the docstring is in the markdown cell above it, so it goes."""
    text = ast.get_source_segment(source, node)
    docstring = node.body[0] if node.body and _is_docstring(node.body[0]) else None
    if docstring is None or not isinstance(node, ast.FunctionDef):
        return text
    lines = text.splitlines()
    first, last = docstring.lineno - node.lineno, docstring.end_lineno - node.lineno
    return "\n".join(lines[:first] + lines[last + 1 :])


def _check_cell(code: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["tags"] = [CHECK_TAG]
    return cell


def check(task: str | None = None) -> None:
    """Run the public tests of ``task`` (default: every task) on this notebook's code."""
    from autograder.grading import run_tests
    from autograder.testing.handles import LocalRunner, Submission
    from autograder.testing.student import StudentPlugin, summary_line

    folder = _assignment_folder()
    assignment = read_assignment(folder)
    namespace = vars(sys.modules["__main__"])
    module = module_from_namespace(assignment.module, namespace)
    source = "\n".join(without_check_import(cell) for cell in namespace.get("In", []))
    probes = import_module_file(assignment.probes_file, "probes") if assignment.probes_file else None
    plugin = StudentPlugin(folder, Submission(source, LocalRunner(module, probes)), only_task=task)
    run_tests(plugin, [assignment.manifest_file, *assignment.public_tests], folder, "--capture=sys")
    for verdict in plugin.verdicts():
        print(summary_line(verdict))


def module_from_namespace(name: str, namespace: dict) -> types.ModuleType:
    """A module holding what a notebook's kernel defined (the kernel's own names left out)."""
    module = types.ModuleType(name)
    module.__dict__.update({k: v for k, v in namespace.items() if not k.startswith("_") and k not in KERNEL_NAMES})
    return module


def _assignment_folder() -> Path:
    here = Path.cwd()
    for folder in [here, *here.parents]:
        if (folder / MANIFEST).exists():
            return folder
    raise FileNotFoundError(f"no {MANIFEST} here or above: open the notebook from its assignment folder")
