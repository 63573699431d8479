"""Grading one submission: the public and hidden tests run here, the submission in a sandbox."""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch
from hypothesis import is_hypothesis_test
from hypothesis.configuration import set_hypothesis_home_dir

from autograder import submission
from autograder.bank import Explainer
from autograder.course import Assignment, import_module_file
from autograder.errors import GradingError
from autograder.results import GradingResult
from autograder.sandbox import isolation
from autograder.sandbox.client import Limits, isolation_mode, sandbox_account
from autograder.sandbox.launcher import shared_zygote
from autograder.testing import context, replay
from autograder.testing.handles import LocalRunner, SandboxRunner, Submission
from autograder.testing.plugin import AutograderPlugin, task_of

# pytest plugins whose work nobody reads when grading: the cache, the unraisable-exception
# warnings (whose garbage collection at the end of the session costs a fraction of a second)
# and the capture of log records in every phase of every test.
UNREAD_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:unraisableexception", "-p", "no:logging")


class TerseReports:
    """Failure reports without pytest's traceback text, which costs a fraction of a second per
    failing submission: when grading, every message comes from the grader's own record of the
    test (``AutograderPlugin.record``), and pytest's text is never read."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        excinfo = call.excinfo
        if excinfo is None or isinstance(excinfo.value, (pytest.skip.Exception, BaseExceptionGroup)):
            return None  # pytest's own report: a pass, or a skip, which pytest words itself
        return pytest.TestReport(
            item.nodeid,
            item.location,
            dict.fromkeys(item.keywords, 1),
            "failed",
            excinfo.typename,
            call.when,
            duration=call.duration,
            start=call.start,
            stop=call.stop,
            user_properties=item.user_properties,
        )


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
        self._reference: Submission | None = None
        self.hint_seconds = 0.0  # spent naming known mistakes (reported, never used to decide one)

    def reference(self) -> ModuleType:
        """The reference solution, imported in the grader (never in the sandbox)."""
        return import_module_file(self.assignment.reference_file, f"_reference_{self.assignment.id}")

    def pytest_configure(self, config: pytest.Config) -> None:
        super().pytest_configure(config)
        config.pluginmanager.register(TerseReports(), "autograder-terse-reports")
        # The sandbox computes with one torch thread; values compared with it are computed alike.
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)
        # Hypothesis keeps files (constants it mined from the tests) under its home folder:
        # a private one per grading, so nothing is left behind or carried into the next run.
        self._hypothesis_home = tempfile.TemporaryDirectory(prefix="autograder-hypothesis-")
        set_hypothesis_home_dir(self._hypothesis_home.name)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """A property test runs on examples drawn once per process (:mod:`autograder.testing.replay`)."""
        if not is_hypothesis_test(pyfuncitem.obj):
            return None
        fixtures = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        visible = self.visibility(pyfuncitem) == context.VISIBLE
        replay.run(pyfuncitem.obj, fixtures, self._reference_handle(), visible)
        return True

    def _reference_handle(self) -> Submission:
        """The reference as a submission run in this process: what a property test's examples are drawn on."""
        if self._reference is None:
            probes = self.probes() if self.assignment.probes_file else None
            source = self.assignment.reference_file.read_text()
            self._reference = Submission(source, LocalRunner(self.reference(), probes))
        return self._reference

    def finish(self) -> None:
        """Known mistakes are matched once every test has run, before the tasks to fix first are named."""
        started = time.perf_counter()
        self._explainer.explain(self.tasks, self.failures)
        self.hint_seconds = time.perf_counter() - started
        super().finish()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        set_hypothesis_home_dir(None)
        self._hypothesis_home.cleanup()
        torch.set_num_threads(self._threads)

    def call_seconds(self, requested: float) -> float:
        return min(requested, self.max_call_seconds or requested)


class Interrupt:
    """Whether pytest caught a Ctrl-C: its exit status, and this hook, also say "interrupted" for
    tests that cannot be collected (with ``Session.Interrupted``, a subclass)."""

    seen = False

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo) -> None:
        self.seen = self.seen or excinfo.type is KeyboardInterrupt


def run_tests(plugin: AutograderPlugin, paths: list[Path], rootdir: Path, *options: str, helpers: tuple = ()) -> None:
    """Run pytest in this process on ``paths`` with ``plugin``; quiet unless it breaks."""
    args = ["-q", *UNREAD_PLUGINS, "--noconftest", "--import-mode=importlib", "-c", os.devnull, *options]
    output, interrupt = io.StringIO(), Interrupt()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main([*args, "--rootdir", str(rootdir), *map(str, paths)], plugins=[plugin, interrupt, *helpers])
    if interrupt.seen:  # pytest caught a Ctrl-C: it is the command's to end on
        raise KeyboardInterrupt
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GradingError(f"the tests of {plugin.assignment.id} could not run: {_why(output.getvalue(), paths)}")


def _why(output: str, paths: list[Path]) -> str:
    """One line from pytest's report of why the tests could not run, with the file and line it names."""
    lines = output.splitlines()
    usage = next((line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR: ")), None)
    if usage is not None:
        test = re.search(r"::(\w+)", usage)
        return f"{_definition(test.group(1), paths)}: {usage.lstrip(':')}" if test else usage
    error = next((line.removeprefix("E").strip() for line in reversed(lines) if line.startswith("E   ")), "")
    mentioned = re.findall(r'File "([^"]+)", line (\d+)', output) + re.findall(r"^(\S+\.py):(\d+)", output, re.M)
    names = {path.name: path for path in paths}
    where = [f"{names[Path(file).name]}:{line}" for file, line in mentioned if Path(file).name in names]
    if error:
        return f"{where[-1]}: {error}" if where else error
    return lines[-1] if lines else "pytest stopped"


def _definition(name: str, paths: list[Path]) -> str:
    """``file:line`` of the test function ``name`` among the test files ``paths``."""
    for path in paths:
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef) and node.name == name:
                    return f"{path}:{node.lineno}"
    return name


def grade(
    assignment: Assignment,
    path: Path,
    limits: Limits | None = None,
    max_call_seconds: float | None = None,
    allow_unisolated: bool = True,
) -> GradingResult:
    """Grade the submission at ``path``; raises SubmissionFileError if it cannot be read.

    Where nothing separates the sandbox from the grader (see :func:`check_isolation`), a
    grading with hidden tests is refused unless ``allow_unisolated``: callers that grade
    untrusted submissions (the ``grade`` command) pass the instructor's choice.
    """
    started = time.perf_counter()
    loaded = read_submission(assignment, path)
    prepare_grader(assignment, allow_unisolated)
    with tempfile.TemporaryDirectory(prefix="autograder-") as folder, private_bytecode_cache():
        module_file = Path(folder) / f"{assignment.module}.py"
        module_file.write_text(loaded.source)
        runner = SandboxRunner(
            module_file, *sandbox_settings(assignment, limits or Limits(), (submission.around(path),))
        )
        try:
            plugin = GraderPlugin(assignment, submission_handle(loaded, runner), max_call_seconds)
            run_tests(plugin, [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests], folder)
        finally:
            runner.close()
    tasks = [plugin.tasks[name] for name in assignment.task_names]
    seconds = time.perf_counter() - started
    return GradingResult(assignment.id, loaded.origin, tasks, seconds, loaded.notes, plugin.hint_seconds)


def read_submission(assignment: Assignment, path: Path) -> submission.LoadedSubmission:
    """The submission at ``path``, read as every grading reads it (the stub beside it told apart)."""
    stub = assignment.stub_file.read_text() if assignment.stub_file.exists() else None
    return submission.load(path, assignment.module, stub)


def prepare_grader(assignment: Assignment, allow_unisolated: bool) -> str:
    """Once per grading process or submission: preloads started, isolation checked, instructor files closed.

    Returns the notice :func:`check_isolation` gave ("" when the sandbox is isolated)."""
    shared_zygote().preload(assignment.sandbox_preload)
    for name in assignment.sandbox_preload:  # the reference needs them too: imported now, from their own
        with contextlib.suppress(ImportError):  # bytecode (the grading's private cache would compile them anew)
            importlib.import_module(name)
    notice = check_isolation(assignment, allow_unisolated)
    protect_instructor_files(assignment)
    return notice


def sandbox_settings(assignment: Assignment, limits: Limits, hidden: tuple[Path, ...] = ()) -> tuple:
    """The arguments after the module file of a :class:`SandboxRunner` for ``assignment``.

    The sandbox sees none of the course, nor the folders ``hidden`` names: where the submission
    came from (a class's other submissions may lie beside it) and where results are written."""
    course = (assignment.public_dir.parents[1], assignment.public_dir, assignment.solution_dir)
    folders = [Path(os.path.abspath(folder)) for folder in (*course, *hidden) if folder is not None]
    return assignment.probes_file, limits, assignment.sandbox_preload, tuple(f for f in folders if f != f.parent)


def submission_handle(loaded: submission.LoadedSubmission, runner: SandboxRunner) -> Submission:
    """The tests' handle on a sandboxed submission; a notebook's failing cells become notes first."""
    handle = Submission(loaded.checked_source, runner, loaded.where)

    def call(name: str) -> object:
        return runner.call("function", name, [], {}, 0, 10)["value"]

    with contextlib.suppress(Exception):  # what the sandbox says of its cells is never trusted to be well formed
        loaded.notes += submission.failed_cells(loaded, call)
    return handle


def check_isolation(assignment: Assignment, allow_unisolated: bool) -> str:
    """Say in one line when the sandbox cannot be kept from the grader (and return that line);
    refuse hidden tests then, unless ``allow_unisolated``.

    Before any sandbox starts, the grader also becomes non-dumpable, so that no process of
    its user can read its memory or attach to it.
    """
    isolation.make_undumpable()
    if isolation_mode() != "none":
        return ""
    reason = shared_zygote().isolation()[1]
    notice = f"this machine cannot isolate the submission from the grader ({reason})"
    if assignment.hidden_tests and not allow_unisolated:
        raise GradingError(f"{notice}: refusing to run hidden tests (pass --allow-unisolated to run them anyway)")
    print(f"note: {notice}", file=sys.stderr)
    return notice


@contextlib.contextmanager
def private_bytecode_cache() -> Iterator[None]:
    """Compiled modules (the reference, the tests) are cached only in a folder of this grading's.

    A ``__pycache__`` beside an instructor file is never read, so a planted ``.pyc`` cannot
    stand in for the reference or a hidden test.
    """
    before = sys.pycache_prefix
    with tempfile.TemporaryDirectory(prefix="autograder-bytecode-") as folder:
        sys.pycache_prefix = folder
        try:
            yield
        finally:
            sys.pycache_prefix = before


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
