"""Single source: the student stub is generated from the reference solution.

Inside a reference, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the
answer; in the stub they become ``raise NotImplementedError`` at the same indentation.
"""

from __future__ import annotations

import ast

from autograder.course import Assignment, CourseError

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
