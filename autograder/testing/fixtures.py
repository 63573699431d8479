"""The fixtures tests ask for: ``submission`` and ``trusted`` in both modes, ``reference`` when grading."""

from __future__ import annotations

from types import ModuleType

import pytest

from autograder.testing import support
from autograder.testing.handles import LocalRunner, Submission
from autograder.testing.plugin import PLUGIN


def pytest_configure(config: pytest.Config) -> None:
    support.use_assignment(config.stash[PLUGIN].assignment)


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest) -> Submission:
    """The student's module: in-process in their folder, sandboxed when graded."""
    return request.config.stash[PLUGIN].handle


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> ModuleType:
    """The reference solution, imported in the grader (hidden tests only)."""
    return request.config.stash[PLUGIN].reference()


@pytest.fixture(scope="session")
def trusted(request: pytest.FixtureRequest) -> ModuleType:
    """What a test replays a submission's run with: the reference when grading; in a student's
    own folder, the student's module itself (there it can only fool its author)."""
    plugin = request.config.stash[PLUGIN]
    runner = plugin.handle._runner
    return runner.module if isinstance(runner, LocalRunner) else plugin.reference()
