"""The one result model of a grading: submission -> tasks -> tests.

Every output (terminal table, the project's JSON, Gradescope's ``results.json``, batch
gradebooks) is a view of a :class:`GradingResult`; ``to_dict`` writes it as the project's
JSON and ``GradingResult.from_dict`` reads that JSON back.

A :class:`TestResult` holds, besides its status and points:

- ``message``: what the student is told is wrong (values only in visible tests);
- ``mistake``: the stable id of the known mistake the failure was matched to (the entry's
  name in the assignment's ``bank.toml``), or ``""``;
- ``hint``: the text the student sees for that mistake (shown after the message, behind
  :data:`KNOWN_MISTAKE`), or ``""``;
- ``metrics``: numbers the test recorded with ``autograder.testing.record_metric``, name ->
  float or list of floats (e.g. ``{"loss": [...], "reference_loss": [...]}``);
- ``files``: relative paths of files the test attached (e.g. a plot).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

PASSED, FAILED, ERROR, TIMEOUT = "passed", "failed", "error", "timeout"
LOSS, REFERENCE_LOSS = "loss", "reference_loss"  # the metrics of a loss curve and the reference's
PARTLY = "partly"  # a task with some of its points
VOIDED = "no points"  # a test that passed in a task whose rule is broken
KNOWN_MISTAKE = "This looks like a known mistake: "

Metric = float | None | list[float | None]  # None: a number that was not finite


@dataclass
class TestResult:
    name: str
    status: str
    score: float
    max_score: float
    visibility: str
    message: str = ""
    mistake: str = ""
    hint: str = ""
    metrics: dict[str, Metric] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def output(self) -> str:
        """The message with the known mistake's hint after it, as a student reads it."""
        hint = f"{KNOWN_MISTAKE}{self.hint}" if self.hint else ""
        return "\n".join(part for part in (self.message, hint) if part)


@dataclass(frozen=True)
class TaskLine:
    """What every view (student summary, notebook check, ``grade`` table, GitHub summary,
    feedback page) says of a task on its one line; each view only styles it."""

    name: str
    status: str  # PASSED, PARTLY or FAILED
    score: float
    max_score: float
    hint: str

    @property
    def points(self) -> str:
        return f"{self.score:g}/{self.max_score:g}"


@dataclass(frozen=True)
class TestLine:
    """What every view (Gradescope, GitHub Classroom, feedback page) says of one test."""

    name: str  # "task: test"
    status: str  # the test's status, or VOIDED
    score: float
    max_score: float
    output: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED


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

    def line(self) -> TaskLine:
        """The task's one line in every view."""
        status = PASSED if self.passed else PARTLY if self.score > 0 else FAILED
        return TaskLine(self.name, status, self.score, self.max_score, self.hint())

    def test_lines(self) -> list[TestLine]:
        """Each test's line in every view: a broken rule voids the tests that passed."""
        lines = []
        for test in self.tests:
            voided = bool(self.rule_broken) and test.status == PASSED
            status, output = (
                (VOIDED, f"(no points: {self.name} breaks its rule)") if voided else (test.status, test.output())
            )
            score = 0.0 if self.rule_broken else test.score
            lines.append(TestLine(f"{self.name}: {test.name}", status, score, test.max_score, output))
        return lines

    def hint(self) -> str:
        """One line on what to fix: a broken rule, a recognised mistake, else the first failure."""
        if self.rule_broken:
            return self.rule_broken.splitlines()[0]
        failing = [test for test in self.tests if test.status != PASSED]
        matched = next((test for test in failing if test.hint), None)
        if matched is not None:
            return f"{KNOWN_MISTAKE}{matched.hint}"
        messages = [test.message for test in failing if test.message]
        return messages[0].splitlines()[0] if messages else ""


@dataclass
class GradingResult:
    assignment: str
    submission: str
    tasks: list[TaskResult]
    execution_time: float = 0.0
    notes: list[str] = field(default_factory=list)
    hint_seconds: float = 0.0  # of execution_time, spent matching failures to known mistakes

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
            "hint_seconds": round(self.hint_seconds, 3),
            "notes": self.notes,
            "tasks": [
                {
                    "name": task.name,
                    "score": task.score,
                    "max_score": task.max_score,
                    "rule_broken": task.rule_broken,
                    "tests": [{f.name: getattr(test, f.name) for f in fields(test)} for test in task.tests],
                }
                for task in self.tasks
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> GradingResult:
        """Rebuild a result from the project's JSON (what ``to_dict`` wrote); derived totals are recomputed."""
        known = {f.name for f in fields(TestResult)}
        tasks = [
            TaskResult(
                task["name"],
                [TestResult(**{k: v for k, v in test.items() if k in known}) for test in task["tests"]],
                task.get("rule_broken", ""),
            )
            for task in data["tasks"]
        ]
        return cls(
            data["assignment"],
            data["submission"],
            tasks,
            data.get("execution_time", 0.0),
            list(data.get("notes", [])),
            data.get("hint_seconds", 0.0),
        )

    def outcome(self) -> dict[str, list[tuple[str, str, float]]]:
        """Per task, each test's (name, status, score): what must agree between two gradings."""
        return {task.name: [(t.name, t.status, t.score) for t in task.tests] for task in self.tasks}
