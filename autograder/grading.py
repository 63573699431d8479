"""Grading one submission: the public and hidden tests run here, the submission in a sandbox."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis.configuration import set_hypothesis_home_dir

from autograder import submission
from autograder.bank import Explainer
from autograder.course import Assignment, import_module_file
from autograder.results import GradingResult
from autograder.sandbox.client import Limits, sandbox_account
from autograder.testing.handles import LocalRunner, SandboxRunner, Submission
from autograder.testing.plugin import AutograderPlugin, task_of

# pytest plugins whose work nobody reads when grading: the cache, and the unraisable-exception
# warnings (whose garbage collection at the end of the session costs a fraction of a second).
UNREAD_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:unraisableexception")


class GradingError(Exception):
    """The tests themselves could not run (an instructor's problem, not the student's)."""


class GraderPlugin(AutograderPlugin):
    """Runs the tests against a sandboxed submission; hidden tests get the reference too."""

    hypothesis_profile = "autograder-grading"

    def __init__(
        self,
        assignment: Assignment,
        handle: Submission,
        max_call_seconds: float | None = None,
        only_task: str | None = None,
    ) -> None:
        super().__init__(assignment, handle, only_task)
        self.max_call_seconds = max_call_seconds
        self._explainer = Explainer(assignment, self.probes() if assignment.probes_file else None)

    def reference(self) -> ModuleType:
        """The reference solution, imported in the grader (never in the sandbox)."""
        return import_module_file(self.assignment.reference_file, f"_reference_{self.assignment.id}")

    def pytest_configure(self, config: pytest.Config) -> None:
        super().pytest_configure(config)
        # The sandbox computes with one torch thread; values compared with it are computed alike.
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)
        # Hypothesis keeps files (constants it mined from the tests) under its home folder:
        # a private one per grading, so nothing is left behind or carried into the next run.
        self._hypothesis_home = tempfile.TemporaryDirectory(prefix="autograder-hypothesis-")
        set_hypothesis_home_dir(self._hypothesis_home.name)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._explainer.explain(self.tasks, self.failures)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        set_hypothesis_home_dir(None)
        self._hypothesis_home.cleanup()
        torch.set_num_threads(self._threads)

    def call_seconds(self, requested: float) -> float:
        return min(requested, self.max_call_seconds or requested)


def run_tests(plugin: AutograderPlugin, paths: list[Path], rootdir: Path, *options: str, helpers: tuple = ()) -> None:
    """Run pytest in this process on ``paths`` with ``plugin``; quiet unless it breaks."""
    args = ["-q", *UNREAD_PLUGINS, "--noconftest", "--import-mode=importlib", "-c", os.devnull, *options]
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main([*args, "--rootdir", str(rootdir), *map(str, paths)], plugins=[plugin, *helpers])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        detail = output.getvalue()[-3000:]
        raise GradingError(f"the tests of {plugin.assignment.id} could not run ({code!r}):\n{detail}")


def grade(
    assignment: Assignment, path: Path, limits: Limits | None = None, max_call_seconds: float | None = None
) -> GradingResult:
    """Grade the submission at ``path``; raises SubmissionFileError if it cannot be read."""
    started = time.perf_counter()
    loaded = submission.load(path, assignment.module)
    protect_instructor_files(assignment)
    with tempfile.TemporaryDirectory(prefix="autograder-") as folder:
        module_file = Path(folder) / f"{assignment.module}.py"
        module_file.write_text(loaded.source)
        runner = SandboxRunner(module_file, assignment.probes_file, limits or Limits(), assignment.sandbox_preload)
        handle = Submission(loaded.source, runner, loaded.where)
        plugin = GraderPlugin(assignment, handle, max_call_seconds)
        try:
            run_tests(plugin, [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests], folder)
        finally:
            handle.close()
    tasks = [plugin.tasks[name] for name in assignment.task_names]
    return GradingResult(assignment.id, loaded.origin, tasks, time.perf_counter() - started, loaded.notes)


def protect_instructor_files(assignment: Assignment) -> None:
    """Under root, make sure the sandbox user cannot enter the instructor's folders."""
    if sandbox_account() is None:
        return
    root = assignment.public_dir.parents[1]
    for folder in (root / "solutions", root / ".git", assignment.solution_dir):
        if folder is not None and folder.exists():
            folder.chmod(folder.stat().st_mode & ~0o007)


def points_by_task(assignment: Assignment) -> dict[tuple[str, str], float]:
    """The points of every task's public and hidden tests, as collected by pytest."""
    plugin = GraderPlugin(assignment, Submission("", LocalRunner(None, None)))
    points: dict[tuple[str, str], float] = {}

    class Collector:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                name, worth, _ = task_of(item)
                key = (name, plugin.visibility(item))
                points[key] = points.get(key, 0.0) + worth

    paths = [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests]
    run_tests(plugin, paths, assignment.public_dir, "--collect-only", helpers=(Collector(),))
    return points
