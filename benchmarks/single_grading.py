"""What one grading costs, against what it cannot avoid, and what the hint search adds.

Per assignment, prints:
- a cold `autograder grade` of the reference (a new process, as Gradescope and CI run it);
- the same public and hidden tests run in-process on the imported reference (no sandbox);
- a bare `python -c "import torch"`;
- the ratio cold / (torch import + in-process tests) (the goal is at most 1.2);
- the slowest grading of a known mistake of the bank, and the share of that grading and of
  all the bank's gradings spent in the hint search.

Usage: python benchmarks/single_grading.py [ASSIGNMENT ...] [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autograder import bank, course
from autograder.grading import GraderPlugin, grade, run_tests
from autograder.testing.handles import LocalRunner, Submission


def timed(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``action()`` over ``runs`` runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class HintClock:
    """Adds up the time spent in ``bank.Explainer.explain`` in this process."""

    def __init__(self) -> None:
        self.seconds = 0.0
        explain = bank.Explainer.explain

        def timed_explain(explainer, *args):
            start = time.perf_counter()
            try:
                return explain(explainer, *args)
            finally:
                self.seconds += time.perf_counter() - start

        bank.Explainer.explain = timed_explain


def in_process_tests(assignment: course.Assignment) -> None:
    """Public and hidden tests on the reference imported here: the tests' own cost."""
    reference = assignment.reference_file
    runner = LocalRunner.from_file(reference, assignment.probes_file)
    plugin = GraderPlugin(assignment, Submission(reference.read_text(), runner))
    run_tests(plugin, [assignment.manifest_file, *assignment.public_tests, *assignment.hidden_tests], reference.parent)


def report(assignment: course.Assignment, runs: int, clock: HintClock) -> None:
    reference = assignment.reference_file
    command = [sys.executable, "-m", "autograder", "grade", assignment.id, str(reference)]
    cold = timed(lambda: subprocess.run(command, capture_output=True, check=True), runs)
    tests = timed(lambda: in_process_tests(assignment), runs)
    torch_import = timed(lambda: subprocess.run([sys.executable, "-c", "import torch"], check=True), runs)
    worst, worst_name, worst_hints, total, total_hints = 0.0, "", 0.0, 0.0, 0.0
    for entry in (e for e in bank.entries(assignment) if e.kind == "wrong"):
        with tempfile.TemporaryDirectory() as folder:
            path = entry.write(assignment, Path(folder))
            before, start = clock.seconds, time.perf_counter()
            grade(assignment, path)
            seconds, hints = time.perf_counter() - start, clock.seconds - before
        total, total_hints = total + seconds, total_hints + hints
        if seconds > worst:
            worst, worst_name, worst_hints = seconds, entry.name, hints
    print(f"assignment                                 {assignment.id}")
    print(f"cold `autograder grade` of the reference   {cold:6.2f} s")
    print(f"public + hidden tests in-process           {tests:6.2f} s")
    print(f"python -c 'import torch'                   {torch_import:6.2f} s")
    print(f"cold / (torch import + tests)              {cold / (torch_import + tests):6.2f}")
    print(f"slowest known mistake ({worst_name})")
    print(f"    graded in                              {worst:6.2f} s, hint search {100 * worst_hints / worst:4.1f} %")
    print(f"all known mistakes                         {total:6.2f} s, hint search {100 * total_hints / total:4.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignments", nargs="*", default=["01_gradient_descent"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    clock = HintClock()
    for name in args.assignments:
        report(course.load(name), args.runs, clock)


if __name__ == "__main__":
    main()
