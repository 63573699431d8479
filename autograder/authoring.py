"""Single source: what students get is generated from the reference solution.

Inside a reference, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the
answer; in the stub they become ``raise NotImplementedError`` at the same indentation. The
values public tests compare with come from the reference too (:func:`expected_text`), so no
public file holds an implementation that computes them.
"""

from __future__ import annotations

import ast
import json

from autograder.course import Assignment, CourseError, import_module_file

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


CONFTEST = '''\
"""Runs the public tests against your module, with one line per task at the end."""

from pathlib import Path

from autograder.testing.student import StudentPlugin


def pytest_configure(config):
    config.pluginmanager.register(StudentPlugin(Path(__file__).parent), "autograder-student")
'''


class MarkerError(ValueError):
    """Solution markers that do not pair up, at ``line``."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line, self.problem = line, problem


def make_stub(reference: str) -> str:
    """The student stub for a reference solution's source."""
    lines, inside = [], False
    for number, line in enumerate(reference.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise MarkerError(number, f"{BEGIN} inside another solution block")
            inside, opened = True, number
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}raise NotImplementedError\n")
        elif marker == END:
            if not inside:
                raise MarkerError(number, f"{END} without {BEGIN}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise MarkerError(opened, f"{BEGIN} is never closed")
    return "".join(lines)


def stub_for(assignment: Assignment) -> str:
    """The stub generated from the reference; a reference that does not parse or pair its markers is a CourseError."""
    path = assignment.reference_file
    try:
        reference = path.read_text()
        ast.parse(reference, str(path))
        return make_stub(reference)
    except FileNotFoundError:
        raise CourseError(f"{path}: the reference solution is missing") from None
    except SyntaxError as error:
        raise CourseError(f"{path}:{error.lineno}: {error.msg}") from None
    except MarkerError as error:
        raise CourseError(f"{path}:{error.line}: {error.problem}") from None


def expected_text(assignment: Assignment) -> str | None:
    """``expected.json``: what ``expected(reference, support)`` of ``solutions/<id>/expected.py``
    returns, as JSON (tensors as lists); None when the assignment has no such recipe."""
    recipe_file = assignment.expected_recipe
    if recipe_file is None:
        return None
    recipe = import_module_file(recipe_file, f"_expected_{assignment.id}")
    reference = import_module_file(assignment.reference_file, f"_reference_{assignment.id}")
    support = import_module_file(assignment.public_dir / "support.py", f"_support_{assignment.id}")
    values = recipe.expected(reference, support)
    rows = [f"  {json.dumps(name)}: {json.dumps(_plain(value))}" for name, value in values.items()]
    return "{\n" + ",\n".join(rows) + "\n}\n"


def _plain(value: object) -> object:
    """Tensors and tuples as lists; floats to 10 significant digits, so that every machine writes
    the same file (the reference computes them in float64)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return float(f"{value:.10g}") if isinstance(value, float) else value
