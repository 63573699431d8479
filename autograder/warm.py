"""A warm grading worker: one pytest session, collected once, that grades submission after submission.

See :mod:`autograder.batch` for why and how; the protocol on the worker's connection is:
the worker sends ``{"note": notice}`` first where the sandbox cannot be isolated and that is
allowed, ``{"ready": True}`` once its tests are collected (or ``{"fatal": reason}`` when they
cannot run, or may not run on this machine), then answers each ``{"path": ...}`` with one outcome:
``{"result", "module_source", "seconds", "timings"}`` or ``{"error", "seconds"}``; an error
with ``"retire": True`` means the worker is ending and must be replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

from autograder import course, submission
from autograder.course import Assignment
from autograder.errors import GradingError
from autograder.grading import (
    UNREAD_PLUGINS,
    GraderPlugin,
    prepare_grader,
    read_submission,
    sandbox_settings,
    submission_handle,
)
from autograder.results import GradingResult, TaskResult
from autograder.sandbox.client import Limits, SubmissionError
from autograder.testing.handles import LocalRunner, SandboxRunner, Submission


class Timings:
    """Where a grading's time goes, in seconds."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(("load", "sandbox_start", "calls", "checks", "hints"), 0.0)

    def add(self, part: str, since: float) -> None:
        self.seconds[part] += time.perf_counter() - since


class TimedRunner(SandboxRunner):
    """A sandbox runner that starts its sandbox at once and counts the time of its calls."""

    def __init__(self, timings: Timings, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timings = timings

    def start(self, left: float | None = None) -> None:
        started = time.perf_counter()
        try:
            super().start(left)
        finally:
            self.timings.add("sandbox_start", started)

    def call(self, kind: str, name: str, args: list, kwargs: dict, seed: int, timeout: float) -> dict:
        started = time.perf_counter()
        try:
            return super().call(kind, name, args, kwargs, seed, timeout)
        finally:
            self.timings.add("calls", started)


class WarmGrader(GraderPlugin):
    """The grader's plugin, whose test loop grades each submission sent on ``connection``."""

    def __init__(
        self, assignment: Assignment, max_call_seconds: float | None, connection: Connection, hidden: tuple[Path, ...]
    ) -> None:
        super().__init__(assignment, Submission("", LocalRunner(None, None)), max_call_seconds)
        self.connection, self.hidden = connection, hidden
        self.timings = Timings()
        self.workdir = Path(tempfile.mkdtemp(prefix="autograder-worker-"))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Nothing to decide at the end of the session: :meth:`grade` finishes each submission."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if session.testsfailed:
            self.connection.send({"fatal": f"the tests of {self.assignment.id} could not be collected"})
            return True
        self.connection.send({"ready": True})
        while True:
            try:
                job = self.connection.recv()
            except (EOFError, OSError):
                return True
            try:
                outcome = self.grade(session.items, Path(job["path"]))
            except Exception as error:  # the session may be half torn down: report, and let a fresh worker go on
                failure = f"the grader failed on this submission ({type(error).__name__})"
                self.connection.send({"error": failure, "retire": True})
                return True
            self.connection.send(outcome)

    def grade(self, items: list[pytest.Item], path: Path) -> dict:
        """Grade one submission with the session's items; the same outcome as ``grade`` alone."""
        started = time.perf_counter()
        self.timings = Timings()
        try:
            loaded = read_submission(self.assignment, path)
        except submission.SubmissionFileError as error:
            return {"error": str(error), "seconds": time.perf_counter() - started}
        self.timings.add("load", started)
        module_file = self.workdir / f"{self.assignment.module}.py"
        module_file.write_text(loaded.source)
        hidden = (*self.hidden, submission.around(path))
        runner = TimedRunner(self.timings, module_file, *sandbox_settings(self.assignment, Limits(), hidden))
        self.tasks = {name: TaskResult(name) for name in self.assignment.task_names}
        self.failures = []
        tests_started = time.perf_counter()
        try:
            with contextlib.suppress(SubmissionError):  # the first test's call meets the verdict, and reports it
                runner.start()
            self.handle = submission_handle(loaded, runner)
            for index, item in enumerate(items):
                runtestprotocol(item, nextitem=items[index + 1] if index + 1 < len(items) else None)
            hints_started = time.perf_counter()
            self.finish()
            self.timings.add("hints", hints_started)
        finally:
            runner.close()
            module_file.unlink(missing_ok=True)
        seconds = time.perf_counter() - started
        spent = self.timings.seconds
        spent["checks"] = time.perf_counter() - tests_started - spent["sandbox_start"] - spent["calls"] - spent["hints"]
        tasks = [self.tasks[name] for name in self.assignment.task_names]
        result = GradingResult(self.assignment.id, loaded.origin, tasks, seconds, loaded.notes, self.hint_seconds)
        return {
            "result": result.to_dict(),
            "module_source": loaded.checked_source,
            "seconds": seconds,
            "timings": {part: round(value, 4) for part, value in spent.items()},
        }


def serve(
    public_dir: Path,
    max_call_seconds: float | None,
    connection: Connection,
    allow_unisolated: bool = False,
    hidden: tuple[Path, ...] = (),
) -> None:
    """Load the assignment, collect its tests once, and grade until the connection closes.

    Where the sandbox cannot be isolated, hidden tests are refused unless ``allow_unisolated``.
    No sandbox sees the folders ``hidden`` names (the class's submissions, its results)."""
    assignment = course.load(str(public_dir))
    try:
        notice = prepare_grader(assignment, allow_unisolated)
    except GradingError as error:
        connection.send({"fatal": str(error)})
        return
    if notice:
        connection.send({"note": notice})
    plugin = WarmGrader(assignment, max_call_seconds, connection, hidden)
    paths = [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests]
    args = [*UNREAD_PLUGINS, "--noconftest", "--import-mode=importlib", "-c", os.devnull]
    try:
        code = pytest.main([*args, "--rootdir", str(plugin.workdir), *map(str, paths)], plugins=[plugin])
    finally:
        shutil.rmtree(plugin.workdir, ignore_errors=True)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        with contextlib.suppress(OSError):  # the batch may have gone already (stopped with Ctrl-C)
            connection.send({"fatal": f"the tests of {assignment.id} could not run ({code!r})"})
