"""A task's one line (status, points, hint) and a test's line come from one place, ``results``,
and every view shows exactly that: student summary, notebook check, ``grade`` table, GitHub
summary, feedback page, Gradescope and GitHub Classroom."""

import ast
import base64
import json
from html import escape
from pathlib import Path

from rich.console import Console

from autograder import feedback, reports, results
from autograder.results import FAILED, PASSED, GradingResult, TaskResult
from autograder.testing.student import MARKS, summary_line

ENGINE = Path(__file__).resolve().parents[1] / "autograder"


def outcome(name: str, status: str, points: float, message: str = "", hint: str = "") -> results.TestResult:
    return results.TestResult(name, status, points if status == PASSED else 0.0, points, "visible", message, hint=hint)


RESULT = GradingResult(
    "01_gradient_descent",
    "handin.py",
    [
        TaskResult("model", [outcome("model is a line", PASSED, 2)]),
        TaskResult(
            "loss_fn", [outcome("a mean", PASSED, 1), outcome("a quarter", FAILED, 2, "loss_fn returned wrong values")]
        ),
        TaskResult(
            "grad_fn", [outcome("averaged", FAILED, 2, "grad_fn returned wrong values", "it sums the gradients")]
        ),
        TaskResult(
            "training_loop",
            [outcome("one step", PASSED, 2), outcome("follows its rules", FAILED, 0, "must not use `backward`")],
            rule_broken="training_loop must not use `backward` (no autograd), but it does (line 3 of your file)",
        ),
    ],
)
LINES = [task.line() for task in RESULT.tasks]


def test_the_lines_say_what_each_task_earned_and_what_to_fix_first():
    assert [(line.status, line.points) for line in LINES] == [
        ("passed", "2/2"),
        ("partly", "1/3"),
        ("failed", "0/2"),
        ("failed", "0/2"),
    ]
    assert [line.hint for line in LINES] == [
        "",
        "loss_fn returned wrong values",
        "This looks like a known mistake: it sums the gradients",
        RESULT.tasks[3].rule_broken,
    ]


def test_every_task_view_shows_the_one_line():
    console = Console(record=True, width=400)
    console.print(reports.table(RESULT))
    table = console.export_text().splitlines()
    markdown = reports.markdown(RESULT).splitlines()
    page = feedback.page({"key": "s1", "result": RESULT.to_dict()})
    for line in LINES:
        row = next(row for row in table if f"│ {line.name} " in row)
        assert [cell.strip() for cell in row.strip("│").split("│")] == [line.name, line.points, line.status, line.hint]
        assert f"| `{line.name}` | {line.points} | {reports.MARKDOWN_STATUS[line.status]} | {line.hint} |" in markdown
        cells = [f"<code>{line.name}</code>", line.points, f'<span class="{line.status}">{line.status}</span>']
        assert "".join(f"<td>{cell}</td>" for cell in cells[:1]) in page
        assert f"{cells[2]}</td><td>{escape(line.hint)}</td>" in page
        assert summary_line(line).split() == [MARKS[line.status], line.name, line.points, *line.hint.split()]


def test_every_test_view_shows_the_one_test_line():
    lines = [line for task in RESULT.tasks for line in task.test_lines()]
    voided = next(line for line in lines if line.name == "training_loop: one step")
    assert (voided.status, voided.score, voided.output) == (
        "no points",
        0.0,
        "(no points: training_loop breaks its rule)",
    )
    gradescope = reports.gradescope(RESULT)["tests"]
    classroom = json.loads(base64.b64decode(reports.classroom(RESULT)))["tests"]
    page = feedback.page({"key": "s1", "result": RESULT.to_dict()})
    assert len(gradescope) == len(classroom) == len(lines)
    for line, scope, room in zip(lines, gradescope, classroom, strict=True):
        assert (scope["name"], scope["score"], scope["output"]) == (line.name, line.score, line.output)
        assert scope["status"] == ("passed" if line.passed else "failed")
        assert (room["name"], room["score"], room["message"], room["status"]) == (
            line.name,
            line.score,
            line.output,
            "pass" if line.passed else "fail",
        )
        assert f"<pre>{escape(line.output)}</pre>" in page


def test_no_view_works_out_a_task_hint_of_its_own():
    """A second renderer would call ``hint()``: every view takes the hint from ``TaskResult.line()``."""
    calls = [
        f"{path.relative_to(ENGINE)}:{node.lineno}"
        for path in sorted(ENGINE.rglob("*.py"))
        if path.name != "results.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "hint"
    ]
    assert not calls, f"these call hint() instead of TaskResult.line(): {calls}"
