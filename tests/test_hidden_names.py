"""Hidden tests' names are published to students: they say what is checked, never the values expected."""

import re

import pytest

from autograder import course
from autograder.grading import GraderPlugin, run_tests
from autograder.testing.context import HIDDEN
from autograder.testing.handles import LocalRunner, Submission
from autograder.testing.plugin import display_name

EXPECTED_VALUE = re.compile(r"\d\.\d|≈|=")


def hidden_names(assignment: course.Assignment) -> list[str]:
    """The display names of the assignment's hidden tests, as pytest collects them."""
    plugin = GraderPlugin(assignment, Submission("", LocalRunner(None, None)))
    names: list[str] = []

    class Collector:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            names.extend(display_name(item) for item in session.items if plugin.visibility(item) == HIDDEN)

    run_tests(plugin, assignment.hidden_tests, assignment.public_dir, "--collect-only", helpers=(Collector(),))
    return names


@pytest.mark.parametrize("assignment", course.all_assignments(), ids=lambda assignment: assignment.id)
def test_hidden_test_names_hold_no_expected_values(assignment: course.Assignment) -> None:
    names = hidden_names(assignment)
    assert names, f"{assignment.id} has no hidden tests"
    revealing = [name for name in names if EXPECTED_VALUE.search(name)]
    assert not revealing, f"hidden test names of {assignment.id} give expected values away: {revealing}"
