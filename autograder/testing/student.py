"""Student mode: ``pytest`` in an assignment folder runs the public tests on the student's
module in-process and ends with one line per task and a hint for what is wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from autograder.course import read_assignment
from autograder.testing.handles import LocalRunner, Submission
from autograder.testing.plugin import AutograderPlugin

SUBMISSION_VARIABLE = "AUTOGRADER_SUBMISSION"
HINT_CHARS = 300


class StudentPlugin(AutograderPlugin):
    """Registered by an assignment's ``conftest.py``."""

    def __init__(self, folder: Path, submission: Submission | None = None, only_task: str | None = None) -> None:
        assignment = read_assignment(folder)
        if submission is None:
            module_file = Path(os.environ.get(SUBMISSION_VARIABLE) or assignment.stub_file).resolve()
            source = module_file.read_text() if module_file.exists() else ""
            submission = Submission(source, LocalRunner.from_file(module_file, assignment.probes_file))
        super().__init__(assignment, submission, only_task)

    def pytest_configure(self, config: pytest.Config) -> None:
        super().pytest_configure(config)
        torch.set_num_threads(1)  # as in the sandbox: same speed, same rounding
        if config.option.tbstyle == "auto":  # the summary says what is wrong; --tb=long shows all
            config.option.tbstyle = "no"
            config.option.reportchars = ""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        write = terminalreporter.write_line
        terminalreporter.section(f"{self.assignment.id}: public tests by task")
        for task in self.tasks.values():
            hint = task.hint()[:HINT_CHARS]
            mark = "✓" if task.passed else "✗"
            line = f"{mark} {task.name:<22} {task.score:g}/{task.max_score:g}  {hint}".rstrip()
            write(line, green=task.passed, red=not task.passed)
        score = sum(task.score for task in self.tasks.values())
        most = sum(task.max_score for task in self.tasks.values())
        write(f"public tests: {score:g}/{most:g} points (hidden tests are graded too, on submission)")
