"""What one grading costs, against what it cannot avoid, against Otter, and what the hint search adds.

Per assignment, as medians over ``--runs`` rounds that interleave the measurements (so a
machine busy with other work slows each of them alike), prints one row:

- ``cold``: a whole ``autograder grade`` of the reference, a new process, as Gradescope and CI run it;
- ``tests``: the same public and hidden tests run on the imported reference in one fresh
  process (no sandbox), timed from after its ``import torch``;
- ``torch``: a bare ``python -c "import torch"``;
- ``ratio``: cold / (torch + tests), the goal is at most 1.2;
- ``otter``: ``otter run`` of the assignment's Otter export (``autograder build``, then
  ``otter assign``) on the solution notebook Otter Assign writes, which holds the same
  definitions as the reference; ``x`` is otter / cold, the goal is at least 5. Otter runs
  offline here: ``otter run`` grades in this machine's Python (no Docker, no network) and the
  export's tests run this engine in-process; ``max x`` is otter / (torch + tests), the most any
  grader could be faster than Otter while it runs the same tests in the same Python (so where it is
  under 5, the goal of 5 is out of reach of any grader, and ``x`` is measured against that ceiling);
- ``warm``: one more grading in this process, which has graded before (zygote and tests warm);
- ``worst mistake``: the slowest grading, in this process, of a known mistake of the bank, and
  ``hints``, the share of that grading spent in the hint search (``GradingResult.hint_seconds``);
  ``all hints`` is the share over every mistake of the bank. Warm gradings are the shorter
  denominator, so these shares are the larger ones.

``cpu`` and ``cpu x`` are the same ratios in CPU seconds (``measure.py``: the grader, its zygote
and sandboxes; Otter and its Jupyter kernel; the whole test process). Last, starting a sandbox
by forking the zygote against starting a fresh Python that imports torch (what a process per
submission would pay).

Ratios of figures measured side by side in one run are fair on a loaded machine, absolute
seconds are not, with one exception: ``otter run``'s wall time is mostly waiting (for its
Jupyter kernel to start and answer), which load does not stretch as it stretches computing,
so on a busy machine ``x`` understates what Otter costs on an idle one, and ``cpu x`` is the
figure that holds. Likewise a cold grading imports torch twice (grader and zygote, at once on
two idle cores), so on a saturated machine ``ratio`` tends to ``cpu``.

Usage: python benchmarks/single_grading.py [ASSIGNMENT ...] [--runs N] [--no-otter] [--no-bank]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from measure import run

from autograder import bank, course
from autograder.grading import GraderPlugin, grade, run_tests
from autograder.sandbox.client import Limits, Sandbox
from autograder.testing.handles import LocalRunner, Submission

OTTER = Path(sys.executable).with_name("otter")


def tests_in_process(assignment_id: str) -> None:
    """Run the public and hidden tests on the reference imported in this process."""
    assignment = course.load(assignment_id)
    reference = assignment.reference_file
    runner = LocalRunner.from_file(reference, assignment.probes_file)
    plugin = GraderPlugin(assignment, Submission(reference.read_text(), runner))
    run_tests(plugin, [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests], reference.parent)


def fresh_tests(assignment: course.Assignment) -> tuple[float, float]:
    """Seconds of the tests (and of importing what runs them) in a fresh process after its ``import torch``,
    and the CPU seconds of that whole process."""
    script = (
        "import time, torch; started = time.perf_counter(); import runpy, sys; "
        f"sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"runpy.run_path({__file__!r})['tests_in_process']({assignment.id!r}); print(time.perf_counter() - started)"
    )
    _, cpu, output = run([sys.executable, "-c", script])
    return float(output.split()[-1]), cpu


def otter_export(assignment: course.Assignment, folder: Path) -> tuple[Path, Path]:
    """The autograder zip and the solution notebook of the assignment's Otter export."""
    run([sys.executable, "-m", "autograder", "build", assignment.id, "--out", str(folder / "dist")])
    master = folder / "dist" / assignment.id / "otter" / f"{assignment.id}.ipynb"
    run([str(OTTER), "assign", master.name, str(folder / "assigned")], cwd=master.parent)
    autograder = folder / "assigned" / "autograder"
    graded = folder / "graded"
    graded.mkdir()
    shutil.copy(autograder / master.name, graded / "submission.ipynb")
    return next(autograder.glob("*.zip")), graded / "submission.ipynb"


def worst_mistake(assignment: course.Assignment) -> tuple[str, float, float, float]:
    """The bank's slowest mistake graded here: (name, seconds, its hint share, the bank's hint share)."""
    worst, name, share, total, hints = 0.0, "", 0.0, 0.0, 0.0
    for entry in (e for e in bank.entries(assignment) if e.kind == "wrong"):
        with tempfile.TemporaryDirectory() as folder:
            result = grade(assignment, entry.write(assignment, Path(folder)))
        total, hints = total + result.execution_time, hints + result.hint_seconds
        if result.execution_time > worst:
            worst, name, share = result.execution_time, entry.name, result.hint_seconds / result.execution_time
    return name, worst, share, hints / max(total, 1e-9)


def fork_against_fresh(assignment: course.Assignment, runs: int) -> tuple[float, float]:
    """Median seconds of a sandbox forked from the zygote, and of a fresh Python importing torch."""
    forks, fresh = [], []
    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / f"{assignment.module}.py"
        module.write_text(assignment.reference_file.read_text())
        for _ in range(runs):
            started = time.perf_counter()
            Sandbox(module, None, Limits()).close()
            forks.append(time.perf_counter() - started)
            fresh.append(run([sys.executable, "-c", "import torch"])[0])
    return statistics.median(forks), statistics.median(fresh)


HEADER = (
    f"{'assignment':<20} {'cold':>6} {'tests':>6} {'torch':>6} {'ratio':>6} {'cpu':>5}"
    f" {'otter':>6} {'x':>5} {'max x':>5} {'cpu x':>5} {'warm':>6}  {'worst mistake':<44} {'s':>5} {'hints':>6}"
    f" {'all hints':>9}"
)


def row(assignment: course.Assignment, runs: int, otter: bool, with_bank: bool) -> str:
    """One assignment's figures (medians over ``runs`` interleaved rounds)."""
    grade_reference = [sys.executable, "-m", "autograder", "grade", assignment.id, str(assignment.reference_file)]
    wall: dict[str, list[float]] = {"cold": [], "tests": [], "torch": [], "otter": []}
    cpu: dict[str, list[float]] = {"cold": [], "tests": [], "otter": []}
    with tempfile.TemporaryDirectory(prefix="bench-otter-") as folder:
        if otter:
            zip_file, notebook = otter_export(assignment, Path(folder))
            otter_run = [str(OTTER), "run", "-a", str(zip_file), notebook.name]
        for _ in range(runs):
            for key, figures in zip(("cold", "tests"), (run(grade_reference), fresh_tests(assignment)), strict=True):
                wall[key].append(figures[0])
                cpu[key].append(figures[1])
            wall["torch"].append(run([sys.executable, "-c", "import torch"])[0])
            if otter:
                seconds, used, _ = run(otter_run, notebook.parent)
                wall["otter"].append(seconds)
                cpu["otter"].append(used)
    cold, tests, torch_import = (statistics.median(wall[key]) for key in ("cold", "tests", "torch"))
    cold_cpu = statistics.median(cpu["cold"])
    cells = f"{cold:6.2f} {tests:6.2f} {torch_import:6.2f} {cold / (torch_import + tests):6.2f}"
    cells += f" {cold_cpu / statistics.median(cpu['tests']):5.2f}"
    if otter:
        by_otter = statistics.median(wall["otter"])
        cells += f" {by_otter:6.2f} {by_otter / cold:5.1f} {by_otter / (torch_import + tests):5.1f}"
        cells += f" {statistics.median(cpu['otter']) / cold_cpu:5.1f}"
    else:
        cells += f" {'-':>6} {'-':>5} {'-':>5} {'-':>5}"
    grade(assignment, assignment.reference_file)  # warms this process up: zygote started, tests imported
    cells += f" {grade(assignment, assignment.reference_file).execution_time:6.2f}"
    if with_bank:
        name, worst, share, all_share = worst_mistake(assignment)
        cells += f"  {name:<44} {worst:5.2f} {100 * share:5.1f}% {100 * all_share:8.1f}%"
    return f"{assignment.id:<20} {cells}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved rounds per assignment (medians)")
    parser.add_argument("--no-otter", action="store_true", help="skip the Otter export and `otter run`")
    parser.add_argument("--no-bank", action="store_true", help="skip grading the bank's mistakes")
    args = parser.parse_args()
    assignments = [course.load(name) for name in args.assignments] or course.all_assignments()
    otter = not args.no_otter and OTTER.exists()
    if not args.no_otter and not otter:
        print(f"no `otter` beside {sys.executable}: install the extra (pip install -e '.[otter]')")
    print(HEADER)
    for assignment in assignments:
        print(row(assignment, args.runs, otter, not args.no_bank), flush=True)
    fork, fresh = fork_against_fresh(assignments[0], 4 * args.runs)
    print(
        f"a sandbox forked from the zygote: {fork * 1000:.0f} ms; a fresh python importing torch: "
        f"{fresh * 1000:.0f} ms ({fresh / fork:.0f}x)"
    )


if __name__ == "__main__":
    main()
