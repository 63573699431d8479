"""Views of a :class:`GradingResult`: a terminal table, the project's JSON, Gradescope's JSON."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from autograder.results import ERROR, FAILED, PARTLY, PASSED, TIMEOUT, GradingResult

GRADESCOPE_VISIBILITY = {"visible": "visible", "hidden": "after_published"}
TERMINAL_STATUS = {PASSED: "[green]passed[/]", PARTLY: "[yellow]partly[/]", FAILED: "[red]failed[/]"}
MARKDOWN_STATUS = {PASSED: "✅ passed", PARTLY: "🟡 partly", FAILED: "❌ failed"}


def table(result: GradingResult, shared: str = "") -> Table:
    """One row per task: points, status and the first thing to fix (whole: long hints fold)."""
    grid = Table()
    grid.add_column("task")
    grid.add_column("points", justify="right")
    grid.add_column("status")
    grid.add_column("hint", overflow="fold")
    for line in (task.line() for task in result.tasks):
        hint = "not graded: see above" if shared else escape(line.hint)
        grid.add_row(escape(line.name), line.points, TERMINAL_STATUS[line.status], hint)
    grid.add_section()
    grid.add_row("[bold]total[/]", f"[bold]{result.score:g}/{result.max_score:g}[/]", "", "")
    return grid


def shared_cause(result: GradingResult) -> str:
    """The one hint of every task when a single cause failed them all (say, a module that cannot be imported)."""
    hints = {task.line().hint for task in result.tasks}
    errors_only = all(test.status in (ERROR, TIMEOUT) for task in result.tasks for test in task.tests if test.max_score)
    if len(result.tasks) > 1 and len(hints) == 1 and "" not in hints and errors_only:
        return hints.pop()
    return ""


def print_result(result: GradingResult, console: Console, title: str = "") -> None:
    """The title, a shared cause once, the table, then the notes; lines are never hard-wrapped."""
    console.print(title or f"{result.assignment}: {result.submission}", style="bold", soft_wrap=True, markup=False)
    shared = shared_cause(result)
    if shared:
        console.print(f"not graded: {shared}", style="red", soft_wrap=True, markup=False)
    console.print(table(result, shared))
    for note in result.notes:
        console.print(f"  note: {note}", style="dim", soft_wrap=True, markup=False)


def gradescope(result: GradingResult) -> dict:
    """``results.json`` in Gradescope's autograder format.

    Hidden tests are shown after grades are published; their output never holds
    expected values, inputs or test source (the engine writes it that way).
    """
    tests = [
        {
            "name": line.name,
            "score": line.score,
            "max_score": line.max_score,
            "status": "passed" if line.passed else "failed",
            "output": line.output,
            "visibility": GRADESCOPE_VISIBILITY[test.visibility],
            "tags": [task.name],
        }
        for task in result.tasks
        for test, line in zip(task.tests, task.test_lines(), strict=True)
    ]
    return {
        "score": result.score,
        "output": "\n".join(result.notes),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def markdown(result: GradingResult) -> str:
    """The task table as Markdown, for a GitHub Actions job summary."""
    lines = [
        f"### {result.assignment}: {result.score:g}/{result.max_score:g} points",
        "",
        "| task | points | status | hint |",
        "|---|---:|---|---|",
    ]
    for line in (task.line() for task in result.tasks):
        hint = line.hint.replace("|", "\\|")
        lines.append(f"| `{line.name}` | {line.points} | {MARKDOWN_STATUS[line.status]} | {hint} |")
    return "\n".join(lines) + "\n"


def classroom(result: GradingResult) -> str:
    """The result in the runner format GitHub Classroom's grading reporter reads, base64-encoded."""
    tests = [
        {"name": line.name, "status": "pass" if line.passed else "fail", "score": line.score, "message": line.output}
        for task in result.tasks
        for line in task.test_lines()
    ]
    status = "pass" if result.score == result.max_score else "fail"
    data = {"version": 3, "status": status, "max_score": result.max_score, "tests": tests}
    return base64.b64encode(json.dumps(data).encode()).decode()


def gradescope_error(message: str) -> dict:
    """``results.json`` for a submission that could not be read at all."""
    return {"score": 0.0, "output": f"Nothing was graded: {message}", "tests": []}


def write_json(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
