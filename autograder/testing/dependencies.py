"""Which tasks a task uses, read from the submission's source, and what that means for hints.

The tasks of an assignment build on each other (``training_loop`` calls ``grad_fn``). When a
task fails and a task it uses fails too, the earlier one is the thing to fix first: its
failure is what the student is told about, not a guess about the later task's own code.
"""

from __future__ import annotations

from autograder import rules
from autograder.results import PASSED, TaskResult

FIX_FIRST = ", which fails its own tests: fix"  # in the note on a task that fails because a task it uses fails


def task_uses(source: str, task_names: list[str]) -> dict[str, list[str]]:
    """For each task, the other tasks its code reaches (directly or through helpers), in task order."""
    uses = {}
    for task in task_names:
        reached = rules.reached_definitions(source, task)
        uses[task] = [other for other in task_names if other != task and other in reached]
    return uses


def blame_failing_dependencies(tasks: dict[str, TaskResult], uses: dict[str, list[str]]) -> None:
    """Start the failures of each task that uses a failing task with "fix that one first".

    A known-mistake hint of the later task is dropped: it was matched assuming the tasks it
    uses are right. Where both tasks already say the same (an import error), nothing is added.
    """
    hints = {name: task.line().hint for name, task in tasks.items() if task.tests and not task.passed}
    for name, task in tasks.items():
        culprit = next((other for other in uses.get(name, []) if other in hints), None)
        if name not in hints or culprit is None or task.rule_broken or hints[name] == hints[culprit]:
            continue  # passed, on its own, its own rule broken, or already told (a stub, an import error)
        note = f"{name} uses {culprit}{FIX_FIRST} {culprit} first"
        for test in task.tests:
            if test.status != PASSED:
                test.message = "\n".join([note, test.message]) if test.message else note
                test.mistake = test.hint = ""
