"""The one result model of a grading: submission -> tasks -> tests.

Every output (terminal table, the project's JSON, Gradescope's ``results.json``) is a view
of a :class:`GradingResult`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PASSED, FAILED, ERROR, TIMEOUT = "passed", "failed", "error", "timeout"
KNOWN_MISTAKE = "This looks like a known mistake: "


@dataclass
class TestResult:
    name: str
    status: str
    score: float
    max_score: float
    visibility: str
    message: str = ""


@dataclass
class TaskResult:
    name: str
    tests: list[TestResult] = field(default_factory=list)
    rule_broken: str = ""

    @property
    def max_score(self) -> float:
        return sum(test.max_score for test in self.tests)

    @property
    def score(self) -> float:
        if self.rule_broken:
            return 0.0
        return sum(test.score for test in self.tests)

    @property
    def passed(self) -> bool:
        return not self.rule_broken and all(test.status == PASSED for test in self.tests)

    def hint(self) -> str:
        """One line on what to fix: a broken rule, a recognised mistake, else the first failure."""
        if self.rule_broken:
            return self.rule_broken.splitlines()[0]
        messages = [test.message for test in self.tests if test.status != PASSED and test.message]
        for line in (line for message in messages for line in message.splitlines()):
            if line.startswith(KNOWN_MISTAKE):
                return line
        return messages[0].splitlines()[0] if messages else ""


@dataclass
class GradingResult:
    assignment: str
    submission: str
    tasks: list[TaskResult]
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(task.score for task in self.tasks)

    @property
    def max_score(self) -> float:
        return sum(task.max_score for task in self.tasks)

    def to_dict(self) -> dict:
        """The project's JSON result."""
        return {
            "assignment": self.assignment,
            "submission": self.submission,
            "score": self.score,
            "max_score": self.max_score,
            "execution_time": round(self.execution_time, 3),
            "notes": self.notes,
            "tasks": [
                {
                    "name": task.name,
                    "score": task.score,
                    "max_score": task.max_score,
                    "rule_broken": task.rule_broken,
                    "tests": [asdict(test) for test in task.tests],
                }
                for task in self.tasks
            ],
        }

    def outcome(self) -> dict[str, list[tuple[str, str, float]]]:
        """Per task, each test's (name, status, score): what must agree between two gradings."""
        return {task.name: [(t.name, t.status, t.score) for t in task.tests] for task in self.tasks}
