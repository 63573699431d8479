"""Single source: the student stub is generated from the reference solution.

Inside a reference, the lines between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are the
answer; in the stub they become ``raise NotImplementedError`` at the same indentation.
"""

from __future__ import annotations

from autograder.course import Assignment

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


class MarkerError(ValueError):
    """Solution markers that do not pair up."""


def make_stub(reference: str) -> str:
    """The student stub for a reference solution's source."""
    lines, inside = [], False
    for number, line in enumerate(reference.splitlines(keepends=True), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise MarkerError(f"line {number}: {BEGIN} inside another solution block")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}raise NotImplementedError\n")
        elif marker == END:
            if not inside:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise MarkerError(f"{BEGIN} is never closed")
    return "".join(lines)


def stub_for(assignment: Assignment) -> str:
    return make_stub(assignment.reference_file.read_text())
