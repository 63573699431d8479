"""The ``autograder`` command: grade submissions, prove tests sound, build what is handed out.

Only the standard library and rich are imported up front, so help and argument errors answer
at once; torch, pytest and the grading engine are imported inside the commands that grade.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import sys
import tempfile
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
    for add in (
        add_grade,
        add_grade_all,
        add_gradebook,
        add_demo,
        add_new,
        add_sync,
        add_validate,
        add_build,
        add_sandbox_setup,
    ):
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
    add_grading_options(command)
    command.add_argument("--budget-seconds", type=float, help="time the submission may use in all (default 600 s)")
    command.set_defaults(run=run_grade)


def add_grading_options(command: argparse.ArgumentParser) -> None:
    """The options every grading command shares: a cap on each call's time limit, and running
    hidden tests where the sandbox cannot be isolated."""
    command.add_argument(
        "--max-call-seconds", type=float, help="cap every call's time limit (tests set their own, 10 s by default)"
    )
    command.add_argument(
        "--allow-unisolated", action="store_true", help="run hidden tests even where the sandbox cannot be isolated"
    )


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
        "regenerate rules, stubs, notebooks and expected values from the manifests and references",
        "Run it after editing a manifest or a reference solution under solutions/: it renders each\n"
        "task's rule into the reference's docstring and the README, and writes the stub, the\n"
        "notebook, the conftest and the reference's expected values for the public tests. With\n"
        "--check it only reports (exit 1 when something is out of date), as CI does.\n\n"
        f"examples:\n  autograder sync\n  autograder sync {EXAMPLE} --check",
    )
    command.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    command.add_argument("--check", action="store_true", help="only report the generated files that are out of date")
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
    args.argv = sys.argv[1:] if argv is None else [str(arg) for arg in argv]
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
        ("autograder.errors", "GradingError"),
        ("autograder.sandbox.client", "SandboxSetupError"),
        ("autograder.batch", "BatchError"),
        ("autograder.layouts", "LayoutError"),
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


def _graded_elsewhere(args: argparse.Namespace, preload: tuple[str, ...] = ()) -> int | None:
    """Run this command in a grader forked from the zygote, which has imported torch once for the
    grader and its sandboxes, and return its exit status; None in that grader.

    Raises :class:`GraderFailure` if the zygote could not start, so that no submission is
    graded on a broken grader.
    """
    from autograder.sandbox import launcher

    if launcher.is_grader():
        return None
    zygote = launcher.shared_zygote()
    if not zygote.ready():
        raise GraderFailure(
            "the grader could not start its sandboxes (see the error above): nothing was graded, "
            "and this is not the submission's fault"
        )
    return launcher.run_as_grader(zygote, args.argv, preload)


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
    if (code := _graded_elsewhere(args, assignment.sandbox_preload)) is not None:
        return code
    from autograder.grading import grade
    from autograder.sandbox.client import Limits

    limits = Limits(budget_seconds=args.budget_seconds) if args.budget_seconds else Limits()
    result = grade(assignment, path, limits, args.max_call_seconds, args.allow_unisolated)
    others = submission.modules_in(path, assignment.module) if path.is_dir() else 0
    if others > 1:
        console.print(
            f"{path} holds {others} submissions: graded one, {result.submission} (use grade-all for many)",
            style="yellow",
            soft_wrap=True,
            markup=False,
        )
    if args.json:  # the files first: whatever happens to the terminal, the result is kept
        reports.write_json(result.to_dict(), args.json)
    if args.gradescope:
        reports.write_json(reports.gradescope(result), args.gradescope)
    reports.print_result(result, console)
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
    chosen = course.all_assignments(_root(args))
    if (code := _graded_elsewhere(args)) is not None:
        return code
    from autograder import bank, reports
    from autograder.grading import grade

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

    from autograder import batch, validation

    root = course.course_root(_root(args))
    chosen = _chosen(args)
    workers = args.workers or batch.default_workers()
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
    for check in misses:  # again, whole, where the end of a long run shows them
        line = f"MISS {check.assignment}, {check.subject}: expected {check.expected}; got {check.actual}"
        console.print(line, markup=False, soft_wrap=True)
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
        console.print("every generated file matches its source")
    return 1 if stale and args.check else 0


def _sync(chosen: list[course.Assignment], check: bool) -> list[Path]:
    """The generated files (the reference's and README's rules, stub, notebook, conftest, expected
    values) that differ from their source; rewritten unless ``check``."""
    from autograder import authoring, notebook

    stale = []
    for assignment in chosen:
        generated = {
            assignment.reference_file: authoring.reference_text(assignment),
            assignment.public_dir / "README.md": authoring.readme_text(assignment),
            assignment.stub_file: authoring.stub_for(assignment),
            notebook.notebook_file(assignment): notebook.notebook_text(assignment),
            assignment.public_dir / "conftest.py": authoring.CONFTEST,
        }
        expected = authoring.expected_text(assignment)
        if expected is not None:
            generated[assignment.expected_file] = expected
        for path, text in generated.items():
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not check:
                    path.write_text(text)
    return stale


def add_grade_all(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "grade-all",
        "grade a whole class into a folder of results and a gradebook",
        "SUBMISSIONS is a folder (or zip) with one submission per entry, a Gradescope export, a\n"
        "Canvas bulk download or a folder of GitHub Classroom clones. One result file per\n"
        "submission is kept in OUT/results/: a rerun grades only what is new or changed, and\n"
        "Ctrl-C stops cleanly (run the same command again to go on). Writes OUT/gradebook.csv,\n"
        "JUnit XML per submission, OUT/report.html, a feedback page per student in OUT/feedback/\n"
        "and, with a Canvas gradebook as roster, a Canvas import file.\n\n"
        f"examples:\n  autograder grade-all {EXAMPLE} submissions/ --out graded/ --jobs 2\n"
        f"  autograder grade-all {EXAMPLE} export.zip --out graded/ --roster roster.csv --due 2026-12-01T23:59\n"
        f"  autograder grade-all {EXAMPLE} export.zip --out graded/ --shard 1/4",
    )
    command.add_argument("assignment", help="assignment id (e.g. 01_gradient_descent) or its folder")
    command.add_argument(
        "submissions",
        type=Path,
        help="a folder (or zip) of submissions: one per entry, a Gradescope export, a Canvas download "
        "or GitHub Classroom clones",
    )
    command.add_argument("--out", type=Path, required=True, help="the folder of results and gradebook")
    command.add_argument("--jobs", type=int, help="warm worker processes (default: one per core)")
    command.add_argument("--roster", type=Path, help="a roster CSV (an exported Canvas gradebook works)")
    command.add_argument(
        "--due",
        type=due_time,
        metavar="DATETIME",
        help="the deadline, e.g. 2026-12-01T23:59 (local time) or 2026-12-01T23:59+01:00: a submission the "
        "export says was handed in later is late (Canvas marks late ones itself)",
    )
    command.add_argument("--regrade", action="store_true", help="grade every submission again")
    command.add_argument("--shard", help="grade only part K of N of the submissions (K/N, e.g. 2/4)")
    add_grading_options(command)
    command.set_defaults(run=run_grade_all)


def due_time(text: str) -> datetime.datetime:
    """``--due``: an ISO 8601 date and time; one without an offset is this machine's local time."""
    try:
        due = datetime.datetime.fromisoformat(text)
    except ValueError:
        due = None
    if due is None or ("T" not in text.upper() and " " not in text.strip()):
        raise argparse.ArgumentTypeError(f"give a date and time, such as 2026-12-01T23:59, not {text!r}")
    return due if due.tzinfo else due.astimezone()


def add_gradebook(commands: argparse._SubParsersAction, parents: argparse.ArgumentParser) -> None:
    command = _command(
        commands,
        parents,
        "gradebook",
        "rebuild the gradebook from result folders (merging shards)",
        "Reads the results grade-all kept in each FOLDER/results/ and writes the gradebook, the\n"
        "JUnit files and the Canvas import again; several folders (one per shard) merge into one.\n\n"
        "examples:\n  autograder gradebook graded/\n  autograder gradebook shard-1/ shard-2/ --out graded/",
    )
    command.add_argument("folders", type=Path, nargs="+", help="folders written by grade-all --out")
    command.add_argument("--out", type=Path, help="where to write the gradebook (default: the first folder)")
    command.add_argument("--roster", type=Path, help="a roster CSV (default: the one grade-all kept)")
    command.set_defaults(run=run_gradebook)


def run_grade_all(args: argparse.Namespace) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from autograder import batch, feedback, gradebook, layouts, pages, submission

    assignment = _assignment(args, args.assignment)
    args.jobs = args.jobs or batch.default_workers()
    if args.jobs < 1:
        raise batch.BatchError("--jobs must be at least 1")
    shard = batch.parse_shard(args.shard) if args.shard else None
    roster = layouts.read_roster(args.roster) if args.roster else None
    stamp = batch.Stamp(
        batch.assignment_hash(assignment), batch.engine_version(), {"max_call_seconds": args.max_call_seconds}
    )
    with tempfile.TemporaryDirectory(prefix="autograder-class-") as staging:
        found = layouts.discover(args.submissions, Path(staging), roster, args.due)
        if not found:
            raise batch.BatchError(f"no submissions in {args.submissions}")
        if args.due and not any(item.submitted_at for item in found):
            console.print("note: these submissions do not say when they were handed in: --due marks none late")
        plan = batch.plan(found, args.out, stamp, shard, args.regrade)
        if plan.todo:
            pages.load_plotting()
        part = f" (shard {args.shard}: {len(found) - plan.outside} of them)" if shard else ""
        console.print(f"{len(found)} submissions{part}: {plan.current} already graded, {len(plan.todo)} to grade")
        stopped = False
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            bar = progress.add_task("grading", total=len(plan.todo))

            def graded(record: dict, bar: TaskID) -> None:
                """Count it, and draw its feedback page while the workers grade on."""
                feedback.write_feedback([record], args.out, assignment.title)
                progress.update(bar, advance=1, description=record["key"])

            try:
                batch.grade_all(
                    assignment,
                    plan.todo,
                    args.out,
                    stamp,
                    args.jobs,
                    lambda record: graded(record, bar),
                    args.allow_unisolated,
                    hidden=(submission.around(args.submissions),),
                )
            except KeyboardInterrupt:
                stopped = True
    wanted = {item.key for item in found if batch.in_shard(item.key, shard)}
    records = [record for record in batch.read_records(args.out) if record["key"] in wanted]
    stub = assignment.stub_file.read_text()
    views = gradebook.write_views(records, args.out, stamp, args.roster, assignment.title, stub)
    _summarise(records, views)
    if stopped:
        console.print(f"stopped: {len(wanted) - len(records)} not graded yet; run the same command again to go on")
        return 130
    return 0


def _summarise(records: list[dict], views) -> None:
    failed = [record for record in records if record.get("error")]
    scores = [record["result"]["score"] for record in records if record.get("result")]
    mean = f", mean {sum(scores) / len(scores):.2f}" if scores else ""
    console.print(f"{len(records)} results{mean}; {len(failed)} could not be graded")
    for record in failed[:20]:
        console.print(f"  {record['key']}: {record['error']}", soft_wrap=True)
    if len(failed) > 20:
        console.print(f"  ... and {len(failed) - 20} more (see the error column)")
    if views.stale:
        console.print(f"{views.stale} results are stale (graded with other tests or engine): run grade-all again")
    canvas = f", {views.canvas}" if views.canvas else ""
    wrote = f"wrote {views.gradebook}{canvas}, {views.junit}/, {views.report} and {views.feedback}/"
    console.print(wrote, soft_wrap=True)


def run_gradebook(args: argparse.Namespace) -> int:
    from autograder import batch, gradebook

    missing = [folder for folder in args.folders if not (folder / batch.RESULTS).is_dir()]
    if missing:
        console.print(f"[red]error:[/] {missing[0]} holds no results (no {batch.RESULTS}/ folder)")
        return 2
    records = gradebook.merge(args.folders)
    assignments = {record.get("assignment") for record in records}
    if len(assignments) > 1:
        named = ", ".join(sorted(map(str, assignments)))
        console.print(f"[red]error:[/] the folders hold results of several assignments: {named}")
        return 2
    stamp, title, stub = None, "", ""
    if assignments:
        try:
            assignment = _assignment(args, str(assignments.pop()))
            stamp, title = batch.Stamp(batch.assignment_hash(assignment), batch.engine_version(), {}), assignment.title
            stub = assignment.stub_file.read_text()
        except CourseError:
            console.print("note: the assignment is not at hand here, so staleness is not checked")
    roster = args.roster or next(
        (folder / gradebook.ROSTER for folder in args.folders if (folder / gradebook.ROSTER).is_file()), None
    )
    views = gradebook.write_views(records, args.out or args.folders[0], stamp, roster, title, stub)
    _summarise(records, views)
    return 0


if __name__ == "__main__":
    sys.exit(main())
