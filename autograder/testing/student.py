"""Student mode: ``pytest`` in an assignment folder runs the public tests on the student's
module in-process and ends with one line per task and a hint for what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from autograder.course import read_assignment
from autograder.results import FAILED, PARTLY, PASSED, TaskLine
from autograder.testing.handles import LocalRunner, Submission
from autograder.testing.plugin import AutograderPlugin, RuleItem, task_of

SUBMISSION_VARIABLE = "AUTOGRADER_SUBMISSION"
STOPPED = "stopped"  # a task whose tests did not all run
MARKS = {PASSED: "✓", PARTLY: "✗", FAILED: "✗", STOPPED: "✗"}


def summary_line(line: TaskLine) -> str:
    """A task's line as a student reads it: at the end of ``pytest`` and under a notebook's check cell."""
    return f"{MARKS[line.status]} {line.name:<22} {line.points}  {line.hint}".rstrip()


class StudentPlugin(AutograderPlugin):
    """Registered by an assignment's ``conftest.py``.

    Rules are not tests here: a task's rule is checked after its tests ran, so an untouched
    stub does not count passes, and a deselected task (``pytest -k``) is not shown.
    """

    def __init__(self, folder: Path, submission: Submission | None = None, only_task: str | None = None) -> None:
        assignment = read_assignment(folder)
        if submission is None:
            module_file = Path(os.environ.get(SUBMISSION_VARIABLE) or assignment.stub_file).resolve()
            source = module_file.read_text() if module_file.exists() else ""
            submission = Submission(source, LocalRunner.from_file(module_file, assignment.probes_file))
        super().__init__(assignment, submission, only_task)
        self.rule_items: list[RuleItem] = []
        self.selected: dict[str, list[pytest.Item]] = {}
        self.finished: set[str] = set()

    def pytest_configure(self, config: pytest.Config) -> None:
        super().pytest_configure(config)
        torch.set_num_threads(1)  # as in the sandbox: same speed, same rounding
        if config.option.tbstyle == "auto":  # the summary says what is wrong; --tb=long shows all
            config.option.tbstyle = "no"
            config.option.reportchars = ""

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        super().pytest_collection_modifyitems(config, items)
        self.rule_items = [item for item in items if isinstance(item, RuleItem)]
        items[:] = [item for item in items if not isinstance(item, RuleItem)]

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self.selected.setdefault(task_of(item)[0], []).append(item)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.finished.add(nodeid)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Check the rules of the tasks whose tests ran, then explain failures (see the base class)."""
        for item in self.rule_items:
            if self.tasks[item.task.name].tests:
                try:
                    item.runtest()
                    error = None
                except Exception as raised:
                    error = raised
                    if session.exitstatus == pytest.ExitCode.OK:
                        session.exitstatus = pytest.ExitCode.TESTS_FAILED
                self.record(item, error)
        super().pytest_sessionfinish(session)

    def verdicts(self) -> list[TaskLine]:
        """One line per selected task; a task whose tests did not all run (Ctrl-C, ``-x``) never passes."""
        verdicts = []
        for name in self.assignment.task_names:
            items = self.selected.get(name, [])
            if not items:
                continue
            if any(item.nodeid not in self.finished for item in items):
                most = sum(task_of(item)[1] for item in items)
                verdicts.append(TaskLine(name, STOPPED, 0.0, most, "not all its tests ran: the run was stopped"))
            else:
                verdicts.append(self.tasks[name].line())
        return verdicts

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section(f"{self.assignment.id}: public tests by task")
        verdicts = self.verdicts()
        for verdict in verdicts:
            write(summary_line(verdict), green=verdict.status == PASSED, red=verdict.status != PASSED)
        score = sum(verdict.score for verdict in verdicts)
        most = sum(verdict.max_score for verdict in verdicts)
        if any(verdict.status == STOPPED for verdict in verdicts):
            write("public tests stopped before the end: no total (run pytest to the end)", red=True)
        elif len(verdicts) < len(self.tasks):
            write(f"public tests of the selected tasks: {score:g}/{most:g} points")
        else:
            write(f"public tests: {score:g}/{most:g} points (hidden tests are graded too, on submission)")
