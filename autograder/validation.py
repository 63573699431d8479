"""``autograder validate``: proof that an assignment's tests are sound.

For each assignment: the reference gets full marks, the untouched stub gets zero, every
correct variant gets full marks, every known mistake gets zero on each task it declares
(named as the first task's ``mistake`` in the result, or its rule reported) and full marks on the others,
and two gradings of the same submission agree exactly. No message of a failing hidden test
quotes a number (a size, a count, a threshold of the hidden inputs) other than the line, cell
or seconds the engine names.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder import bank, batch
from autograder.course import Assignment
from autograder.errors import GradingError
from autograder.results import GradingResult
from autograder.testing.context import HIDDEN

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
ENGINE_NUMBERS = re.compile(r"\b(?:lines?|cells?) \d+(?:(?:, | and )\d+)*|\d+(?:\.\d+)? s\b")  # where, how long


@dataclass
class Check:
    """One row of the validation table."""

    assignment: str
    subject: str
    expected: str
    actual: str
    ok: bool


@dataclass(frozen=True)
class Job:
    assignment_id: str
    root: Path
    label: str
    kind: str  # reference, stub, right, wrong
    entry: str = ""


def submission_file(assignment: Assignment, job: Job, folder: Path) -> Path:
    """The file a job grades (a bank entry is written to ``folder``)."""
    if job.kind == "reference":
        return assignment.reference_file
    if job.kind == "stub":
        return assignment.stub_file
    entry = next(e for e in bank.entries(assignment) if e.name == job.entry)
    folder.mkdir()
    return entry.write(assignment, folder)


def jobs_for(assignment: Assignment, root: Path) -> list[Job]:
    jobs = [
        Job(assignment.id, root, "reference", "reference"),
        Job(assignment.id, root, "reference (again)", "reference"),
        Job(assignment.id, root, "stub", "stub"),
    ]
    demo = bank.demo_entry(assignment)
    for entry in bank.entries(assignment):
        jobs.append(Job(assignment.id, root, f"{entry.kind}/{entry.name}", entry.kind, entry.name))
        if demo is not None and entry.name == demo.name:
            jobs.append(Job(assignment.id, root, f"{entry.kind}/{entry.name} (again)", entry.kind, entry.name))
    return jobs


def hidden_numbers(result: GradingResult) -> list[str]:
    """Messages of hidden tests that quote a number the engine did not put there."""
    messages = [test.message for task in result.tasks for test in task.tests if test.visibility == HIDDEN]
    return [message for message in messages if NUMBER.search(ENGINE_NUMBERS.sub("", message))]


def judge(assignment: Assignment, job: Job, result: GradingResult, results: dict[str, GradingResult]) -> Check:
    """Whether one grading came out as the job's kind requires, its hidden messages quoting no number."""
    check = _judge_scores(assignment, job, result, results)
    quoted = hidden_numbers(result)
    if quoted:
        return Check(
            assignment.id, job.label, check.expected, f"a hidden test's message quotes a number: {quoted[0]}", False
        )
    return check


def _judge_scores(assignment: Assignment, job: Job, result: GradingResult, results: dict[str, GradingResult]) -> Check:
    scores = {task.name: (task.score, task.max_score) for task in result.tasks}
    actual = _describe(scores)
    if job.label.endswith("(again)"):
        first = results[job.label.removesuffix(" (again)")]
        same = first.outcome() == result.outcome() and first.to_dict()["tasks"] == result.to_dict()["tasks"]
        verdict = "identical" if same else f"differs: {_first_difference(first, result)}"
        return Check(assignment.id, job.label, "identical to the first grading", verdict, same)
    if job.kind in ("reference", "right"):
        return Check(assignment.id, job.label, "full marks", actual, result.score == result.max_score > 0)
    if job.kind == "stub":
        return Check(assignment.id, job.label, "zero", actual, result.score == 0)
    entry = next(e for e in bank.entries(assignment) if e.name == job.entry)
    problems = []
    for task in result.tasks:
        if task.name in entry.loses and task.score != 0:
            problems.append(f"{task.name} kept {task.score:g}")
        elif task.name not in entry.loses and task.score != task.max_score:
            problems.append(f"{task.name} lost {task.max_score - task.score:g}")
    primary = next(task for task in result.tasks if task.name == entry.loses[0])
    if not (primary.rule_broken or any(test.mistake == entry.name for test in primary.tests)):
        problems.append(f"{primary.name} does not name the mistake")
    expected = f"zero on {', '.join(entry.loses)} (hint on {entry.loses[0]}); full marks elsewhere"
    return Check(assignment.id, job.label, expected, "; ".join(problems) or actual, not problems)


def _first_difference(first: GradingResult, again: GradingResult) -> str:
    """The first test whose result differs between two gradings, as (task, test, status, message, mistake)."""

    def tests(result: GradingResult) -> list[tuple]:
        return [(task.name, t.name, t.status, t.message, t.mistake) for task in result.tasks for t in task.tests]

    pairs = zip(tests(first), tests(again), strict=False)
    return next((f"{one} then {other}" for one, other in pairs if one != other), "the tests themselves")


def _describe(scores: dict[str, tuple[float, float]]) -> str:
    lost = [name for name, (score, most) in scores.items() if score < most]
    total = sum(score for score, _ in scores.values())
    most = sum(most for _, most in scores.values())
    return f"{total:g}/{most:g}" + (f", lost {', '.join(lost)}" if lost else "")


def coverage_checks(assignment: Assignment) -> list[Check]:
    """Every task is broken by some known mistake, and the bank has enough of each kind."""
    entries = bank.entries(assignment)
    declared = {task for entry in entries for task in entry.loses}
    checks = [
        Check(assignment.id, f"task {name}", "broken by a known mistake", str(name in declared), name in declared)
        for name in assignment.task_names
    ]
    wrong = sum(entry.kind == "wrong" for entry in entries)
    right = sum(entry.kind == "right" for entry in entries)
    min_wrong, min_right = bank.minimums(assignment)
    enough = wrong >= min_wrong and right >= min_right
    wanted = f"≥ {min_wrong} mistakes, ≥ {min_right} variants"
    checks.append(Check(assignment.id, "bank", wanted, f"{wrong}, {right}", enough))
    return checks


def validate(assignments: list[Assignment], root: Path, workers: int, progress: Callable[[Job], None]) -> list[Check]:
    """Grade every job of ``assignments`` on ``workers`` warm workers and judge the outcomes."""
    jobs = [job for assignment in assignments for job in jobs_for(assignment, root)]
    results: dict[tuple[str, str], GradingResult] = {}
    with tempfile.TemporaryDirectory() as folder:
        for assignment in assignments:
            mine = [job for job in jobs if job.assignment_id == assignment.id]
            where = [Path(folder) / f"{assignment.id}-{n}" for n in range(len(mine))]
            queue = [(submission_file(assignment, job, place), job) for job, place in zip(mine, where, strict=True)]
            with batch.WorkerPool(assignment, min(workers, len(mine)), None) as pool:
                for job, outcome in pool.grade(queue):
                    if "result" not in outcome:
                        raise GradingError(f"{assignment.id}, {job.label}: {outcome['error']}")
                    results[(job.assignment_id, job.label)] = batch.result_from_dict(outcome["result"])
                    progress(job)
    checks = []
    for assignment in assignments:
        mine = {label: result for (aid, label), result in results.items() if aid == assignment.id}
        checks += coverage_checks(assignment)
        checks += [judge(assignment, job, mine[job.label], mine) for job in jobs if job.assignment_id == assignment.id]
    return checks
