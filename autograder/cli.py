"""The ``autograder`` command."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from autograder import authoring, bank, course, notebook, packaging, reports, validation
from autograder.course import CourseError
from autograder.grading import GradingError, grade
from autograder.sandbox.client import Limits, SandboxSetupError, open_python_to_sandbox, sandbox_account
from autograder.submission import SubmissionFileError

console = Console(highlight=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    parser.add_argument("--course", type=Path, help="the course folder (default: found from here)")
    commands = parser.add_subparsers(dest="command", required=True)

    grade_parser = commands.add_parser("grade", help="grade one submission")
    grade_parser.add_argument("assignment", help="assignment id (e.g. 01_gradient_descent) or its folder")
    grade_parser.add_argument("submission", type=Path, help="a .py module, a folder, a .ipynb notebook or a .zip")
    grade_parser.add_argument("--json", type=Path, help="write the project's JSON result here")
    grade_parser.add_argument("--gradescope", type=Path, help="write Gradescope's results.json here")
    grade_parser.add_argument(
        "--github",
        action="store_true",
        help="in GitHub Actions: table to the job summary, result for Classroom to the step outputs",
    )
    grade_parser.add_argument(
        "--max-call-seconds", type=float, help="cap every call's time limit (tests set their own, 10 s by default)"
    )
    grade_parser.add_argument(
        "--budget-seconds", type=float, help=f"time the submission may use in all (default {Limits.budget_seconds:g} s)"
    )
    grade_parser.add_argument(
        "--allow-unisolated", action="store_true", help="run hidden tests even where the sandbox cannot be isolated"
    )
    grade_parser.set_defaults(run=run_grade)

    setup_parser = commands.add_parser(
        "sandbox-setup", help="as root: let the sandbox user enter the folders that hold Python's files"
    )
    setup_parser.set_defaults(run=run_sandbox_setup)

    sync_parser = commands.add_parser("sync", help="regenerate student stubs and notebooks from the references")
    sync_parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    sync_parser.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    sync_parser.set_defaults(run=run_sync)

    validate_parser = commands.add_parser("validate", help="prove that an assignment's tests are sound")
    validate_parser.add_argument("assignments", nargs="*", help="assignment ids")
    validate_parser.add_argument("--all", action="store_true", help="every assignment of the course")
    validate_parser.add_argument("--workers", type=int, default=validation.default_workers(), help="parallel graders")
    validate_parser.set_defaults(run=run_validate)

    build_parser = commands.add_parser("build", help="build the student release and the Gradescope autograder")
    build_parser.add_argument("assignments", nargs="*", help="assignment ids")
    build_parser.add_argument("--all", action="store_true", help="every assignment of the course")
    build_parser.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    build_parser.set_defaults(run=run_build)

    demo_parser = commands.add_parser("demo", help="grade the bundled examples of every assignment")
    demo_parser.set_defaults(run=run_demo)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CourseError, SubmissionFileError, GradingError, SandboxSetupError) as error:
        console.print(f"[red]error:[/] {error}")
        return 2


def _assignment(args: argparse.Namespace, name: str) -> course.Assignment:
    return course.load(name, args.course.resolve() if args.course else None)


def run_grade(args: argparse.Namespace) -> int:
    assignment = _assignment(args, args.assignment)
    try:
        limits = Limits(budget_seconds=args.budget_seconds) if args.budget_seconds else Limits()
        result = grade(assignment, args.submission, limits, args.max_call_seconds, args.allow_unisolated)
    except SubmissionFileError as error:
        if args.gradescope:  # the student sees why nothing was graded
            reports.write_json(reports.gradescope_error(str(error)), args.gradescope)
        raise
    reports.print_result(result, console)
    if args.json:
        reports.write_json(result.to_dict(), args.json)
    if args.gradescope:
        reports.write_json(reports.gradescope(result), args.gradescope)
    if args.github:
        _append(os.environ.get("GITHUB_STEP_SUMMARY"), reports.markdown(result))
        _append(os.environ.get("GITHUB_OUTPUT"), f"result={reports.classroom(result)}\n")
        console.print(f"Points {result.score:g}/{result.max_score:g}")
    return 0


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a") as file:
            file.write(text)


def run_demo(args: argparse.Namespace) -> int:
    root = args.course.resolve() if args.course else None
    for assignment in course.all_assignments(root):
        console.rule(f"[bold]{assignment.id}[/]: {assignment.title}")
        examples = [("the reference solution", assignment.reference_file), ("the untouched stub", assignment.stub_file)]
        with tempfile.TemporaryDirectory() as folder:
            mistake = bank.demo_entry(assignment)
            if mistake is not None:
                path = mistake.write(assignment, Path(folder))
                examples.append((f"a typical mistake ({mistake.name})", path))
            for label, path in examples:
                result = grade(assignment, path)
                reports.print_result(result, console, f"{assignment.id}: {label} ({result.execution_time:.1f} s)")
    return 0


def _chosen(args: argparse.Namespace, root: Path) -> list[course.Assignment]:
    if args.all == bool(args.assignments):
        raise CourseError(f"name assignments to {args.command}, or --all")
    return course.all_assignments(root) if args.all else [_assignment(args, name) for name in args.assignments]


def run_build(args: argparse.Namespace) -> int:
    root = course.course_root(args.course.resolve() if args.course else None)
    for assignment in _chosen(args, root):
        for path in packaging.build(assignment, args.out):
            console.print(f"wrote {path}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    root = course.course_root(args.course.resolve() if args.course else None)
    chosen = _chosen(args, root)
    total = sum(len(validation.jobs_for(assignment, root)) for assignment in chosen)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("grading", total=total)
        checks = validation.validate(
            chosen, root, args.workers, lambda job: progress.update(bar, advance=1, description=job.label)
        )
    for assignment in chosen:
        grid = Table(title=f"validation of {assignment.id}", title_justify="left")
        for column in ("subject", "expected", "actual", ""):
            grid.add_column(column, overflow="fold")
        for check in (c for c in checks if c.assignment == assignment.id):
            verdict = "[green]ok[/]" if check.ok else "[red]MISS[/]"
            grid.add_row(check.subject, check.expected, check.actual, verdict)
        console.print(grid)
    misses = [check for check in checks if not check.ok]
    console.print(f"{len(checks) - len(misses)} ok, {len(misses)} missed")
    return 1 if misses else 0


def run_sandbox_setup(args: argparse.Namespace) -> int:
    for folder in open_python_to_sandbox():
        console.print(f"others may now enter {folder}")
    account = sandbox_account()
    console.print(f"sandboxes run as uid {account[0]}" if account else "not root: sandboxes run as the grader's user")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    root = args.course.resolve() if args.course else None
    chosen = [_assignment(args, name) for name in args.assignments] or course.all_assignments(root)
    stale = []
    for assignment in chosen:
        generated = {
            assignment.stub_file: authoring.stub_for(assignment),
            notebook.notebook_file(assignment): notebook.notebook_text(assignment),
        }
        for path, text in generated.items():
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not args.check:
                    path.write_text(text)
    verb = "out of date" if args.check else "regenerated"
    for path in stale:
        console.print(f"{verb}: {path}")
    if not stale:
        console.print("every stub and notebook matches its reference solution")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
