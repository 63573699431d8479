"""What both modes share as a pytest plugin: task marks, rule items, per-test context."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
from hypothesis import HealthCheck, Phase, settings

from autograder import rules
from autograder.course import Assignment, Task, import_module_file
from autograder.results import ERROR, FAILED, PASSED, TIMEOUT, TaskResult, TestResult
from autograder.sandbox import execution, protocol
from autograder.sandbox.client import SubmissionError
from autograder.testing import context, dependencies
from autograder.testing.failures import CheckFailure
from autograder.testing.handles import Submission

MARK = "autograder_task"
PLUGIN = pytest.StashKey["AutograderPlugin"]()
MAX_MESSAGE_CHARS = 1500
KEPT_FAILING_BYTES = 64 * 2**20  # the answers of failing calls a grading keeps for its hint search, in all

settings.register_profile(
    "autograder",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=25,
    print_blob=False,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Grading needs the verdict, not the smallest failing input: no shrinking (same examples, same outcome).
settings.register_profile(
    "autograder-grading", settings.get_profile("autograder"), phases=[Phase.explicit, Phase.generate]
)


def task(name: str, points: float = 1.0, timeout: float = context.DEFAULT_CALL_SECONDS) -> pytest.MarkDecorator:
    """Mark a test as one of task ``name``'s, worth ``points``; ``timeout`` bounds each call."""
    return pytest.mark.autograder_task(name=name, points=points, timeout=timeout)


def task_of(item: pytest.Item) -> tuple[str, float, float]:
    """(task, points, timeout) of a collected test."""
    mark = item.get_closest_marker(MARK)
    return mark.kwargs["name"], float(mark.kwargs["points"]), float(mark.kwargs["timeout"])


class AutograderPlugin:
    """Hooks and fixtures common to the student's and the grader's runs."""

    hypothesis_profile = "autograder"

    def __init__(self, assignment: Assignment, submission: Submission, only_task: str | None = None) -> None:
        self.assignment = assignment
        self.handle = submission
        self.only_task = only_task
        self.tasks = {name: TaskResult(name) for name in assignment.task_names}
        self.failures: list[Failure] = []  # evidence for matching known mistakes after the run

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[PLUGIN] = self
        config.pluginmanager.import_plugin("autograder.testing.fixtures")
        config.addinivalue_line("markers", f"{MARK}(name, points, timeout): the task a test grades")
        settings.load_profile(self.hypothesis_profile)

    def pytest_collect_file(self, file_path, parent):
        if file_path == self.assignment.manifest_file:
            return RulesFile.from_parent(parent, path=file_path, plugin=self)
        return None

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        known = set(self.assignment.task_names)
        for item in items:
            if item.get_closest_marker(MARK) is None or task_of(item)[0] not in known:
                raise pytest.UsageError(f"{item.nodeid} must be marked with task(NAME) for one of {sorted(known)}")
        if self.only_task is not None:
            chosen = [item for item in items if task_of(item)[0] == self.only_task]
            config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
            items[:] = chosen

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        name, _, timeout = task_of(item)
        context.begin(
            item,
            context.TestContext(
                test_id=f"{item.path.name}::{item.name}",
                task=name,
                visibility=self.visibility(item),
                call_seconds=self.call_seconds(timeout),
            ),
        )
        execution.seed_everything(0)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item):
        yield
        context.end(item)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report = outcome.get_result()
        if report.skipped:
            return  # a skipped test is not graded
        if report.when == "call" or (report.when == "setup" and report.failed):
            self.record(item, call.excinfo.value if call.excinfo else None)

    def record(self, item: pytest.Item, error: BaseException | None) -> None:
        """File the test's outcome under its task; a broken rule zeroes the task."""
        name, points, _ = task_of(item)
        visibility = self.visibility(item)
        status, message = classify(error, visibility == context.HIDDEN, self.handle.where)
        task = self.tasks[name]
        if isinstance(item, RuleItem) and status != PASSED:
            task.rule_broken = message
        score = points if status == PASSED else 0.0
        test = context.of(item)
        result = TestResult(
            display_name(item),
            status,
            score,
            points,
            visibility,
            message,
            metrics=dict(test.metrics),
            files=[*test.files],
        )
        task.tests.append(result)
        call = failed_call(error, test)
        if call is not None:
            kept = sum(protocol.size_of([failure.call.value, failure.call.args_after]) for failure in self.failures)
            if kept + protocol.size_of([call.value, call.args_after]) > KEPT_FAILING_BYTES:
                call.forget()  # the hint search goes without it: what is kept stays bounded, whatever is returned
            self.failures.append(Failure(name, result, call))
        for judged in test.calls:  # the answers are judged: only the failing call (kept above) is still needed
            if judged is not call:
                judged.forget()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.finish()

    def finish(self) -> None:
        """What is decided once every test of the submission has run: which failing task to fix first."""
        uses = dependencies.task_uses(self.handle.source, self.assignment.task_names)
        dependencies.blame_failing_dependencies(self.tasks, uses)

    def visibility(self, item: pytest.Item) -> str:
        return context.VISIBLE if item.path.is_relative_to(self.assignment.public_dir) else context.HIDDEN

    def call_seconds(self, requested: float) -> float:
        return requested

    def probes(self) -> ModuleType:
        """The assignment's trusted probes, for computing expected values in the test process."""
        if self.assignment.probes_file is None:
            raise pytest.UsageError(f"{self.assignment.id} has no probes.py")
        return import_module_file(self.assignment.probes_file, f"_probes_{self.assignment.id}")

    def reference(self) -> ModuleType:
        raise pytest.UsageError("the reference solution is only available to hidden tests when grading")


@dataclass
class Failure:
    """A failing test and the call into the submission that it failed on."""

    task: str
    result: TestResult
    call: context.Call


def failed_call(error: BaseException | None, test: context.TestContext) -> context.Call | None:
    """The call ``test`` failed on: the wrong output a check named, or a call that raised."""
    if isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    if isinstance(error, CheckFailure):
        return error.call
    if isinstance(error, SubmissionError) and error.kind == "exception":
        return test.fatal_call
    return None


def display_name(item: pytest.Item) -> str:
    """A test's first docstring line (its parameters appended), else its name."""
    doc = (getattr(getattr(item, "obj", None), "__doc__", None) or "").strip().splitlines()
    if not doc:
        return item.name
    callspec = getattr(item, "callspec", None)
    return f"{doc[0].rstrip('.')} [{callspec.id}]" if callspec else doc[0].rstrip(".")


class RulesFile(pytest.File):
    """``assignment.toml`` as a test file: one rule item per task that has rules."""

    def __init__(self, *, plugin: AutograderPlugin, **kwargs) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self):
        for entry in self.plugin.assignment.tasks:
            if entry.forbid:
                item = RuleItem.from_parent(self, name=f"{entry.name} follows its rules", task=entry)
                item.add_marker(task(entry.name, points=0))
                yield item


class RuleItem(pytest.Item):
    def __init__(self, *, task: Task | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.task = task

    def runtest(self) -> None:
        plugin = self.parent.plugin
        rules_of = {entry.name: entry.forbid for entry in plugin.assignment.tasks}
        violations = rules.find_violations(plugin.handle.source, self.task.name, self.task.forbid, rules_of)
        if violations:
            raise CheckFailure(violations[0].message(self.task.rule, plugin.handle.where))

    def reportinfo(self):
        return self.path, None, self.name


def classify(error: BaseException | None, hidden: bool, where: Callable[[int], str]) -> tuple[str, str]:
    """A test's status and the message a student sees, from what it raised."""
    if error is None:
        return PASSED, ""
    if isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    notes = "" if hidden else "\n".join(getattr(error, "__notes__", []))
    if isinstance(error, CheckFailure):
        text = error.message if hidden else "\n".join(p for p in (error.message, error.detail) if p)
        return FAILED, "\n".join(p for p in (_clip(text), error.hint, _clip(notes)) if p)  # the hint stays whole
    if isinstance(error, SubmissionError):
        status = TIMEOUT if error.kind == "timeout" else ERROR
        return status, _clip(describe_submission_error(error, hidden, where))
    if isinstance(error, AssertionError):
        return FAILED, "a hidden check failed" if hidden else _clip(f"{error}\n{notes}".strip())
    if hidden:
        return ERROR, f"a hidden test could not check your answer ({type(error).__name__})"
    return ERROR, _clip(f"the test could not check your answer: {type(error).__name__}: {error}\n{notes}".strip())


def describe_submission_error(error: SubmissionError, hidden: bool, where: Callable[[int], str]) -> str:
    """One line on what went wrong, naming the student's own function or class.

    In hidden tests nothing the submission chose is shown (its messages, the names of
    exception classes it defined): only what the grader knows, and a line number.
    """
    line = f" ({where(error.line)})" if error.line else ""
    name = error.function or error.name
    error_type = error.type_name
    if hidden:
        error_type = execution.library_exception_name(error_type) or "an exception of a class your module defines"
    if error.kind == "import":
        message = re.sub(r" \([^()]*, line \d+\)$", "", error.message) if line else error.message  # said once
        detail = "" if hidden else f": {message}"
        return f"your module could not be imported: {error_type}{detail}{line}"
    if error.kind == "not_implemented":
        return f"{name} is not implemented yet (it raises NotImplementedError){line}"
    if error.kind == "missing":
        return f"your module has no {error.name}: check its spelling and that it is defined at the top level"
    if error.kind == "exit":
        return f"{name} called sys.exit() or exit(){line}: return a value instead"
    if error.kind == "timeout":
        # the grader's own words: a sandbox cannot report a timeout (SubmissionError.from_info)
        return f"{name} did not finish within {error.message}{line} (an endless loop, or far too much work?)"
    if error.kind == "crash":
        return f"{name} ended the process it ran in (os._exit, a crash, or running out of memory)"
    if error.kind == "invalid":  # the protocol's own fixed phrases, which quote nothing of the answer
        return f"{name} returned something that cannot be checked: {error.message}"
    if hidden:
        return f"{name} raised {error_type} on a hidden input{line}"
    return f"{name} raised {error_type}: {error.message}{line}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."
