"""The ``autograder`` command."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from autograder import authoring, bank, batch, course, gradebook, layouts, notebook, packaging, reports, validation
from autograder.course import CourseError
from autograder.grading import GradingError, grade
from autograder.sandbox.client import SandboxSetupError, open_python_to_sandbox, sandbox_account
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

    add_batch_commands(commands)

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
        result = grade(assignment, args.submission, max_call_seconds=args.max_call_seconds)
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


def add_batch_commands(commands: argparse._SubParsersAction) -> None:
    """``grade-all`` and ``gradebook``: a whole class, into results that last, and views of them."""
    grade_all = commands.add_parser("grade-all", help="grade a whole class into a folder of results and a gradebook")
    grade_all.add_argument("assignment", help="assignment id (e.g. 01_gradient_descent) or its folder")
    grade_all.add_argument(
        "submissions",
        type=Path,
        help="a folder (or zip) of submissions: one per entry, a Gradescope export, a Canvas download "
        "or GitHub Classroom clones",
    )
    grade_all.add_argument("--out", type=Path, required=True, help="the folder of results and gradebook")
    grade_all.add_argument("--jobs", type=int, default=validation.default_workers(), help="warm worker processes")
    grade_all.add_argument("--roster", type=Path, help="a roster CSV (an exported Canvas gradebook works)")
    grade_all.add_argument("--regrade", action="store_true", help="grade every submission again")
    grade_all.add_argument("--shard", help="grade only part K of N of the submissions (K/N, e.g. 2/4)")
    grade_all.add_argument(
        "--max-call-seconds", type=float, help="cap every call's time limit (tests set their own, 10 s by default)"
    )
    grade_all.set_defaults(run=run_grade_all)

    views = commands.add_parser("gradebook", help="rebuild the gradebook from result folders (merging shards)")
    views.add_argument("folders", type=Path, nargs="+", help="folders written by grade-all --out")
    views.add_argument("--out", type=Path, help="where to write the gradebook (default: the first folder)")
    views.add_argument("--roster", type=Path, help="a roster CSV (default: the one grade-all kept)")
    views.set_defaults(run=run_gradebook)


def run_grade_all(args: argparse.Namespace) -> int:
    try:
        return _grade_all(args)
    except layouts.LayoutError as error:
        console.print(f"[red]error:[/] {error}")
        return 2


def _grade_all(args: argparse.Namespace) -> int:
    assignment = _assignment(args, args.assignment)
    if args.jobs < 1:
        raise batch.BatchError("--jobs must be at least 1")
    shard = batch.parse_shard(args.shard) if args.shard else None
    roster = layouts.read_roster(args.roster) if args.roster else None
    stamp = batch.Stamp(
        batch.assignment_hash(assignment), batch.engine_version(), {"max_call_seconds": args.max_call_seconds}
    )
    with tempfile.TemporaryDirectory(prefix="autograder-class-") as staging:
        found = layouts.discover(args.submissions, Path(staging), roster)
        if not found:
            raise batch.BatchError(f"no submissions in {args.submissions}")
        plan = batch.plan(found, args.out, stamp, shard, args.regrade)
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
            try:
                batch.grade_all(
                    assignment,
                    plan.todo,
                    args.out,
                    stamp,
                    args.jobs,
                    lambda record: progress.update(bar, advance=1, description=record["key"]),
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


def _summarise(records: list[dict], views: gradebook.Views) -> None:
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
