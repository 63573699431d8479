"""The ``autograder`` command: grade submissions, prove tests sound, build what is handed out.

Only the standard library and rich are imported up front, so help and argument errors answer
at once; torch, pytest and the grading engine are imported inside the commands that grade.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

import autograder
from autograder import course
from autograder.course import CourseError

console = Console(highlight=False)

DISTRIBUTION = "nn-autograder"
EXAMPLE = "01_gradient_descent"


class UsageError(Exception):
    """The command was asked for something it does not do."""


class GraderFailure(Exception):
    """The grader itself broke: nothing the submission did."""


def version() -> str:
    """The installed distribution's version, else (an engine copied into a folder) the package's."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return autograder.__version__


def parser() -> argparse.ArgumentParser:
    """The command line: one sub-parser per command, each added by its own function."""
    top = argparse.ArgumentParser(
        prog="autograder",
        description="Grade neural-network assignments written with PyTorch, prove their tests sound, "
        "and build what students and grading platforms get.",
        epilog="Run `autograder COMMAND --help` for a command's options and examples.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    top.add_argument("--course", type=Path, help="the course folder (default: found from the working folder up)")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    course_option = argparse.ArgumentParser(add_help=False)
    course_option.add_argument(
        "--course", type=Path, default=argparse.SUPPRESS, help="the course folder (default: found from here up)"
    )
    for add in (add_grade, add_demo, add_new, add_sync, add_validate, add_build, add_sandbox_setup):
        add(commands, course_option)
    return top


def _command(
    commands: argparse._SubParsersAction, parents: argparse.ArgumentParser, name: str, summary: str, text: str
) -> argparse.ArgumentParser:
    """A sub-parser whose help shows ``summary``, then ``text`` (a description and examples) as written."""
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.\n\n{text}",
        parents=[parents],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_grade(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "grade",
        "grade one submission with the public and hidden tests",
        "The submission runs in a sandbox; the table shows each task's points and what to fix.\n"
        "Exits 0 whenever grading completes (whatever the score), 2 when it cannot start.\n\n"
        "examples:\n"
        f"  autograder grade {EXAMPLE} gradient_descent.py\n"
        f"  autograder grade {EXAMPLE} handin.zip --json result.json --gradescope results.json\n"
        "For a folder of many submissions use `autograder grade-all`.",
    )
    command.add_argument("assignment", help=f"assignment id (e.g. {EXAMPLE}) or its folder")
    command.add_argument(
        "submission", nargs="+", type=Path, help="a .py module, a .ipynb notebook, or a folder or .zip holding one"
    )
    command.add_argument("--json", type=Path, help="write the project's JSON result here")
    command.add_argument("--gradescope", type=Path, help="write Gradescope's results.json here")
    command.add_argument(
        "--github",
        action="store_true",
        help="in GitHub Actions: table to the job summary, result for Classroom to the step outputs",
    )
    command.add_argument(
        "--max-call-seconds", type=float, help="cap every call's time limit (tests set their own, 10 s by default)"
    )
    command.add_argument("--budget-seconds", type=float, help="time the submission may use in all (default 600 s)")
    command.add_argument(
        "--allow-unisolated", action="store_true", help="run hidden tests even where the sandbox cannot be isolated"
    )
    command.set_defaults(run=run_grade)


def add_demo(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "demo",
        "grade the bundled examples of every assignment",
        "For each assignment: the reference solution (full marks), the untouched stub (zero) and\n"
        "a typical mistake from its bank (loses the tasks it breaks, with a hint naming it).\n\n"
        "example:\n  autograder demo",
    )
    command.set_defaults(run=run_demo)


def add_new(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "new",
        "start a new assignment from a working example",
        "Writes assignments/ID/ (manifest, public test, README) and solutions/ID/ (reference,\n"
        "hidden test, a bank with one mistake and one variant) around one example task, then\n"
        "generates the stub, the notebook and the conftest. `autograder validate ID` passes at\n"
        "once; replace the example with your tasks (see docs/authoring.md).\n\n"
        "examples:\n  autograder new 06_attention\n  autograder new 06_attention --module attention --title Attention",
    )
    command.add_argument("assignment", help="the new assignment's id, e.g. 06_attention")
    command.add_argument("--module", help="the module students write (default: the id without its number)")
    command.add_argument("--title", help="the assignment's title (default: from the id)")
    command.set_defaults(run=run_new)


def add_sync(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "sync",
        "regenerate student stubs and notebooks from the references",
        "Run it after editing a reference solution under solutions/; with --check it only reports\n"
        "(exit 1 when something is out of date), as CI does.\n\n"
        f"examples:\n  autograder sync\n  autograder sync {EXAMPLE} --check",
    )
    command.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    command.add_argument("--check", action="store_true", help="only report stubs that are out of date")
    command.set_defaults(run=run_sync)


def add_validate(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "validate",
        "prove that an assignment's tests are sound",
        "Grades the reference (full marks), the stub (zero), every bank entry (wrong ones lose the\n"
        "tasks they break, right ones keep full marks) and a submission twice (same result).\n"
        "Exits 1 when a check misses.\n\n"
        f"examples:\n  autograder validate {EXAMPLE}\n  autograder validate --all --workers 2",
    )
    command.add_argument("assignments", nargs="*", help="assignment ids")
    command.add_argument("--all", action="store_true", help="every assignment of the course")
    command.add_argument("--workers", type=int, help="parallel graders (default: one per core)")
    command.set_defaults(run=run_validate)


def add_build(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "build",
        "build the student release, the Gradescope autograder and the Otter export",
        "Writes OUT/<id>/student.zip, gradescope.zip, the notebook and otter/, and the course\n"
        "repository's hidden-grading workflow OUT/github/grade-classroom.yml. Files holding\n"
        "instructor material are readable by their owner only.\n\n"
        f"examples:\n  autograder build {EXAMPLE}\n  autograder build --all --out dist",
    )
    command.add_argument("assignments", nargs="*", help="assignment ids")
    command.add_argument("--all", action="store_true", help="every assignment of the course")
    command.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    command.set_defaults(run=run_build)


def add_sandbox_setup(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "sandbox-setup",
        "as root, let the sandbox users reach Python's files",
        "Under root each sandbox runs as an unprivileged uid, which must be able to enter the\n"
        "folders on the way to Python (e.g. a Python installed under /root). This adds only the\n"
        "permission to enter (o+x) to those folders, never to list or read them.\n\n"
        "example:\n  sudo .venv/bin/autograder sandbox-setup",
    )
    command.set_defaults(run=run_sandbox_setup)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        if not isinstance(error, _command_errors()):
            raise
        console.print(f"[red]error:[/] {escape(str(error))}", soft_wrap=True)
        return 2


def _command_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the command cannot proceed, from the engine modules loaded so far."""
    errors: list[type[Exception]] = [UsageError, GraderFailure, CourseError]
    for module, name in (
        ("autograder.submission", "SubmissionFileError"),
        ("autograder.grading", "GradingError"),
        ("autograder.sandbox.client", "SandboxSetupError"),
        ("autograder.sandbox.launcher", "ZygoteError"),
    ):
        if module in sys.modules:
            errors.append(getattr(sys.modules[module], name))
    return tuple(errors)


def _root(args: argparse.Namespace) -> Path | None:
    """The course folder named by ``--course``, if any."""
    if not args.course:
        return None
    if not (args.course / "assignments").is_dir():
        raise UsageError(f"--course {args.course}: not a course folder (it has no assignments/ folder)")
    return args.course.resolve()


def _assignment(args: argparse.Namespace, name: str) -> course.Assignment:
    return course.load(name, _root(args))


def _start_sandboxes() -> Callable[[], None]:
    """Start the zygote that forks sandboxes, so that its import of torch overlaps the grader's.

    Returns a check to call once the grader is imported: it waits for the zygote and raises
    :class:`GraderFailure` if it could not start, so that no submission is graded on a broken grader.
    """
    from autograder.sandbox.launcher import shared_zygote

    zygote = shared_zygote()

    def check() -> None:
        if not zygote.ready():
            raise GraderFailure(
                "the grader could not start its sandboxes (see the error above): nothing was graded, "
                "and this is not the submission's fault"
            )

    return check


def run_grade(args: argparse.Namespace) -> int:
    if len(args.submission) > 1:
        names = ", ".join(map(str, args.submission))
        raise UsageError(f"grade takes one submission, got {len(args.submission)} ({names}): use grade-all for many")
    path = args.submission[0]
    assignment = _assignment(args, args.assignment)
    from autograder import reports, submission

    try:
        stub = assignment.stub_file.read_text() if assignment.stub_file.exists() else None
        submission.load(path, assignment.module, stub)  # a submission that cannot be read is told at once
    except submission.SubmissionFileError as error:
        if args.gradescope:  # the student sees why nothing was graded
            reports.write_json(reports.gradescope_error(str(error)), args.gradescope)
        raise
    sandboxes_ready = _start_sandboxes()
    from autograder.grading import grade
    from autograder.sandbox.client import Limits

    sandboxes_ready()
    limits = Limits(budget_seconds=args.budget_seconds) if args.budget_seconds else Limits()
    result = grade(assignment, path, limits, args.max_call_seconds, args.allow_unisolated)
    others = _submissions_in(path, assignment.module) if path.is_dir() else 0
    if others > 1:
        console.print(
            f"{path} holds {others} submissions: graded one, {result.submission} (use grade-all for many)",
            style="yellow",
            soft_wrap=True,
            markup=False,
        )
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


def _submissions_in(folder: Path, module: str) -> int:
    """How many modules named ``module`` sit in ``folder`` (each could be a submission of its own)."""
    return sum(
        1
        for path in folder.rglob(f"{module}.py")
        if not any(part.startswith(("__MACOSX", ".")) for part in path.relative_to(folder).parts)
    )


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a") as file:
            file.write(text)


def run_demo(args: argparse.Namespace) -> int:
    chosen = course.all_assignments(_root(args))
    sandboxes_ready = _start_sandboxes()
    from autograder import bank, reports
    from autograder.grading import grade

    sandboxes_ready()

    for assignment in chosen:
        console.rule(f"[bold]{assignment.id}[/]: {escape(assignment.title)}")
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


def _chosen(args: argparse.Namespace) -> list[course.Assignment]:
    if args.all == bool(args.assignments):
        raise UsageError(f"name assignments to {args.command}, or --all")
    if args.all:
        return course.all_assignments(_root(args))
    return [_assignment(args, name) for name in args.assignments]


def run_build(args: argparse.Namespace) -> int:
    from autograder import otter, packaging
    from autograder.grading import points_by_task

    chosen = _chosen(args)
    for assignment in chosen:
        otter_export = otter.export(assignment, points_by_task(assignment), args.out / assignment.id / "otter")
        for path in [*packaging.build(assignment, args.out), otter_export]:
            console.print(f"wrote {path}", markup=False, soft_wrap=True)
    console.print(f"wrote {packaging.build_course_workflow(chosen, args.out)}", markup=False, soft_wrap=True)
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from rich.progress import Progress
    from rich.table import Table

    from autograder import validation

    root = course.course_root(_root(args))
    chosen = _chosen(args)
    workers = args.workers or validation.default_workers()
    total = sum(len(validation.jobs_for(assignment, root)) for assignment in chosen)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("grading", total=total)
        checks = validation.validate(
            chosen, root, workers, lambda job: progress.update(bar, advance=1, description=job.label)
        )
    for assignment in chosen:
        grid = Table(title=f"validation of {assignment.id}", title_justify="left")
        for column in ("subject", "expected", "actual", ""):
            grid.add_column(column, overflow="fold")
        for check in (c for c in checks if c.assignment == assignment.id):
            verdict = "[green]ok[/]" if check.ok else "[red]MISS[/]"
            grid.add_row(escape(check.subject), escape(check.expected), escape(check.actual), verdict)
        console.print(grid)
    misses = [check for check in checks if not check.ok]
    console.print(f"{len(checks) - len(misses)} ok, {len(misses)} missed")
    return 1 if misses else 0


def run_sandbox_setup(args: argparse.Namespace) -> int:
    from autograder.sandbox.client import open_python_to_sandbox, sandbox_account

    for folder in open_python_to_sandbox():
        console.print(f"others may now enter (not list) {folder}", markup=False, soft_wrap=True)
    account = sandbox_account()
    console.print(f"sandboxes run as uid {account[0]}" if account else "not root: sandboxes run as the grader's user")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from autograder import scaffold

    root = args.course.resolve() if args.course else course.course_root()
    for path in scaffold.new(root, args.assignment, args.module, args.title):
        console.print(f"wrote {path}", markup=False, soft_wrap=True)
    for path in _sync([course.load(args.assignment, root)], check=False):
        console.print(f"generated {path}", markup=False, soft_wrap=True)
    console.print(f"next: autograder validate {args.assignment}, then replace the example task with yours")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    chosen = [_assignment(args, name) for name in args.assignments] or course.all_assignments(_root(args))
    stale = _sync(chosen, args.check)
    verb = "out of date" if args.check else "regenerated"
    for path in stale:
        console.print(f"{verb}: {path}", markup=False, soft_wrap=True)
    if not stale:
        console.print("every stub, notebook and conftest matches its source")
    return 1 if stale and args.check else 0


def _sync(chosen: list[course.Assignment], check: bool) -> list[Path]:
    """The generated files (stub, notebook, conftest) that differ from their source; rewritten unless ``check``."""
    from autograder import authoring, notebook

    stale = []
    for assignment in chosen:
        generated = {
            assignment.stub_file: authoring.stub_for(assignment),
            notebook.notebook_file(assignment): notebook.notebook_text(assignment),
            assignment.public_dir / "conftest.py": authoring.CONFTEST,
        }
        for path, text in generated.items():
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not check:
                    path.write_text(text)
    return stale


if __name__ == "__main__":
    sys.exit(main())
